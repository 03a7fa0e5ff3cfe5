"""Language of an article: "ar", "en", another ISO code, or the source's default when unsure."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNKNOWN = "und"
MIN_CONFIDENCE = 0.6
MIN_LETTERS = 20  # below this (a caption, "OK") the detector's answer is noise
SAMPLE_CHARS = 400  # the opening decides (same answers on the evaluation set as 800, half the time)
# The model scores Arabic dialects (Moroccan, Egyptian, ...) as separate labels; for us they
# are all Arabic, so their probabilities are pooled before deciding.
_LETTER = re.compile(r"[^\W\d_]")
_MACRO = {"ary": "ar", "arz": "ar", "apc": "ar", "ajp": "ar", "acm": "ar", "arb": "ar"}


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, default: str | None = None) -> str:
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return default or UNKNOWN
    language, probability = _identifier().classify(sample)
    if probability < MIN_CONFIDENCE:  # maybe Arabic split over dialect labels: pool them
        pooled: dict[str, float] = defaultdict(float)
        for label, share in _identifier().rank(sample)[:8]:
            pooled[_MACRO.get(label, label)] += share
        language, probability = max(pooled.items(), key=lambda item: item[1])
    if probability < MIN_CONFIDENCE:
        return default or UNKNOWN
    return _MACRO.get(language, language)
