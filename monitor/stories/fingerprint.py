"""What story matching keeps of a text: a word-shingle MinHash and language-free features.

The fingerprint is stored in `Article.minhash`, so the in-memory index can be rebuilt from
the database on start without reading or re-hashing any text.

Choices (measured on tests/data/stories by bench/stories.py):
- 3-word shingles of the normalised text. Single words and word pairs are shared by texts
  on one topic (other pairs reach a containment of 0.39 and 0.14 on the test set, against
  0.06 for 3-word shingles); longer shingles separate no better (the same margin, 0.52)
  but break on every small edit a news desk makes to a quoted press release, so copies
  score lower.
- 128 permutations: the Jaccard estimate then has a standard error of about 0.04 near the
  thresholds we use, and a signature costs 512 bytes.
- The number of distinct shingles is kept next to the signature, because "a report that
  quotes most of a press release" is a question of containment, which needs the set sizes.
- Templated statements ("the Coalition condemns the massacre in <town>, <N> killed …")
  share most of their words with each other, and only the names and numbers of their lead
  tell them apart, so the lead's features are kept apart from the whole text's.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash

from monitor.domain import match_document
from monitor.stories.crosslang import features
from monitor.text.arabic import normalize_arabic

NUM_PERM = 128
SHINGLE_WORDS = 3
SEED = 1
LEAD_WORDS = 40  # the title and first sentences: where a report names its place and toll
FORMAT_VERSION = 1

_WORD = re.compile(r"\w+")
# Drawn once: datasketch would redraw the same permutations for every MinHash.
_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME).permutations
_HEADER = struct.Struct("<BIII")  # version, distinct shingles, features, lead features


def words(text: str) -> list[str]:
    return _WORD.findall(normalize_arabic(text))


def shingles(tokens: list[str], k: int = SHINGLE_WORDS) -> set[bytes]:
    if len(tokens) <= k:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + k]).encode() for i in range(len(tokens) - k + 1)}


def minhash_of(items: set[bytes]) -> LeanMinHash:
    # crc32 is a stable C hash: a signature must not change between processes (Python's
    # hash() is salted) and sha1, datasketch's default, is several times slower here.
    sketch = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=zlib.crc32,
        scheme=_SCHEME,
        permutations=_PERMUTATIONS,
    )
    sketch.update_batch(list(items))
    return LeanMinHash(sketch)


@dataclass(frozen=True)
class Fingerprint:
    size: int  # distinct shingles
    minhash: LeanMinHash
    features: frozenset[int]
    lead: frozenset[int]  # features of the title and the first LEAD_WORDS words

    def jaccard(self, other: Fingerprint) -> float:
        return float(np.mean(self.minhash.hashvalues == other.minhash.hashvalues))

    def containment(self, other: Fingerprint) -> float:
        """Estimated share of the smaller text's shingles found in the larger one."""
        if not self.size or not other.size:
            return 0.0
        j = self.jaccard(other)
        shared = j * (self.size + other.size) / (1 + j)
        return min(1.0, shared / min(self.size, other.size))

    def to_bytes(self) -> bytes:
        buf = bytearray(self.minhash.bytesize())
        self.minhash.serialize(buf)
        header = _HEADER.pack(FORMAT_VERSION, self.size, len(self.features), len(self.lead))
        feats = np.array([*sorted(self.features), *sorted(self.lead)], dtype="<u4").tobytes()
        return header + feats + bytes(buf)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Fingerprint:
        version, size, count, lead_count = _HEADER.unpack_from(blob)
        if version != FORMAT_VERSION:
            raise ValueError(f"unknown fingerprint format {version}")
        feats = np.frombuffer(blob, dtype="<u4", count=count + lead_count, offset=_HEADER.size)
        minhash = LeanMinHash.deserialize(blob[_HEADER.size + feats.nbytes :])
        return cls(
            size, minhash, frozenset(feats[:count].tolist()), frozenset(feats[count:].tolist())
        )


def fingerprint(title: str, text: str) -> Fingerprint:
    doc = match_document(title, text)
    items = shingles(words(doc))
    lead = match_document(title, " ".join(text.split()[:LEAD_WORDS]))
    return Fingerprint(len(items), minhash_of(items), features(doc), features(lead))
