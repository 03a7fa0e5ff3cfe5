"""Bytes -> text, refusing bodies that are not text and flagging text that looks mis-decoded.

trafilatura guesses the charset from the bytes alone and inflates compressed bytes without a
size cap (shared/reliability.md 2.3), so it only ever sees the `str` made here. Order of
trust (as browsers do): byte-order mark, HTTP header, <meta>, UTF-8 validity, detection.
A declared charset that fails strict decoding, or yields mojibake, is passed over for the
next candidate; when every candidate is bad, the least bad text is kept and flagged.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from monitor.domain import ExtractionError

MAX_BODY_BYTES = 8 * 1024 * 1024  # the crawler's default download cap; news pages are < 1 MB

# Signatures of bodies that are never HTML even when served as text/html.
_BINARY_MAGIC = (
    (b"\x1f\x8b", "gzip data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"BZh", "bzip2 data"),
    (b"PK\x03\x04", "zip archive"),
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF media"),
    (b"\x00\x00\x01\x00", "icon"),
)
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")
_SNIFF_BYTES = 2048


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    suspect: bool  # the text looks mis-decoded (mojibake, replacement characters)


def decode_html(body: bytes, headers: dict[str, str]) -> str:
    """The page as text; see `decode` for the rules."""
    return decode(body, headers).text


def decode(body: bytes, headers: dict[str, str]) -> Decoded:
    """Decode an HTTP body, or raise ExtractionError(not_html|empty|too_large|bad_charset)."""
    refuse_non_text(body, headers)
    bom_encoding, _ = read_bom(body[:4])
    declared = [bom_encoding] if bom_encoding else _declared(body, _header(headers, "content-type"))
    candidates = declared if bom_encoding else _then_detected(body, declared)
    fallback: Decoded | None = None
    for encoding in candidates:
        try:
            text = body.decode(encoding).removeprefix("\ufeff")
        except (UnicodeDecodeError, LookupError):
            continue
        decoded = Decoded(text, encoding, looks_mis_decoded(text))
        if not decoded.suspect:
            return decoded
        fallback = fallback or decoded
    if fallback is not None:
        return fallback
    # Every candidate failed strictly: keep what the page declared (or UTF-8), marked.
    encoding = declared[0]
    text = body.decode(encoding, errors="replace").removeprefix("\ufeff")
    if text.count("\ufffd") > len(text) // 4:
        raise ExtractionError("bad_charset", f"cannot decode the body as {encoding}")
    return Decoded(text, encoding, True)


def refuse_non_text(body: bytes, headers: dict[str, str]) -> None:
    """Refuse empty, oversized and binary bodies before anything parses them."""
    if not body.strip():
        raise ExtractionError("empty", "the body is empty")
    if len(body) > MAX_BODY_BYTES:
        raise ExtractionError("too_large", f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    content_type = (_header(headers, "content-type") or "").split(";")[0].strip().lower()
    if content_type and not content_type.startswith(_TEXT_TYPES) and "+xml" not in content_type:
        raise ExtractionError("not_html", f"content type {content_type!r} is not HTML")
    head = body[:_SNIFF_BYTES]
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise ExtractionError("not_html", f"the body is {what}, not HTML")
    if read_bom(head)[0] is None and head.count(b"\x00") > len(head) // 100:
        raise ExtractionError("not_html", "the body is binary (NUL bytes), not HTML")


def _declared(body: bytes, content_type: str | None) -> list[str]:
    """Header, <meta>, then UTF-8, as codec names without repeats."""
    declared = [
        http_content_type_encoding(content_type) if content_type else None,
        html_body_declared_encoding(body[: _SNIFF_BYTES * 2]),
        "utf-8",
    ]
    names: list[str] = []
    for encoding in declared:
        if encoding and (name := _codec_name(encoding)) and name not in names:
            names.append(name)
    return names


def _then_detected(body: bytes, declared: list[str]) -> Iterator[str]:
    """The declared encodings, then charset-normalizer's guess (only computed if reached)."""
    yield from declared
    best = charset_normalizer.from_bytes(body[:65536]).best()
    if best is not None and (name := _codec_name(best.encoding)) and name not in declared:
        yield name


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


# UTF-8 Arabic read as cp1252/latin-1 ("Ø§Ù„"), or as cp1256 ("ط§ظ„"), and cp1256 Arabic read
# as latin-1/cp1252 ("ÇáÇÆÊáÇÝ"): each leaves a signature real text does not have. Accented
# Latin letters come one or two at a time inside words; mojibake comes in long runs.
_MOJIBAKE_RUN = re.compile("[\u00a1-\u00ffŒœŠšŸŽžƒˆ˜–—‘’‚“”„†‡•…‰‹›€™]{3,}")


def looks_mis_decoded(text: str) -> bool:
    """Heuristic mojibake test: replacement characters, Latin-1 runs, or ط/ظ everywhere.

    Written with str.count/encode and one regex so a 200 kB Arabic page costs ~1 ms.
    """
    sample = text[:200_000]
    non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))
    if not non_ascii:
        return False
    if sample.count("\ufffd") > max(3, non_ascii // 100):
        return True
    latin1_letters = len(sample.encode("latin-1", "ignore")) - (len(sample) - non_ascii)
    if latin1_letters >= 20:  # the regex scan only when there is something to find
        run_chars = sum(m.end() - m.start() for m in _MOJIBAKE_RUN.finditer(sample))
        if run_chars >= 20 and run_chars > non_ascii * 0.3:
            return True
    taa_zaa = sample.count("ط") + sample.count("ظ")
    return taa_zaa > 25 and taa_zaa > non_ascii * 0.2
