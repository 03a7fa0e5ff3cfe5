"""Language detection: Arabic (dialects pooled), English, other, and the source default."""

from __future__ import annotations

import pytest

from monitor.extract.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "أدان الائتلاف الوطني السوري الهجوم الكيميائي الذي استهدف بلدة خان شيخون في ريف إدلب.",
            "ar",
        ),
        (
            "The Secretary spoke today with the Syrian Foreign Minister about chemical weapons.",
            "en",
        ),
        (
            "Koalisyon, İdlib'deki kimyasal saldırıyı kınadı ve uluslararası soruşturma istedi.",
            "tr",
        ),
        (
            "La Coalition nationale syrienne a condamné l'attaque chimique contre les civils d'Idlib.",
            "fr",
        ),
    ],
)
def test_detects_the_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_too_little_text_falls_back_to_the_source_default() -> None:
    assert detect_language("بلدي نيوز", default="ar") == "ar"
    assert detect_language("OK", default="en") == "en"
    assert detect_language("OK") == "und"
