"""The normaliser folds every spelling trick away and still knows where each character came from."""

from __future__ import annotations

import random

import pytest

from monitor.text.arabic import (
    _IRREGULAR,
    _REST,
    Normalized,
    _fold_characters,
    normalize,
    normalize_arabic,
    normalize_with_map,
)

ZWJ, ZWNJ, LRM, RLM, SHY, ZWSP = "\u200d", "\u200c", "\u200e", "\u200f", "\u00ad", "\u200b"


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        # tatweel, and punctuation pushed between the letters of a word
        ("كيمـ.يائية", "كيمياييه"),
        ("أسـ.لحة", "اسلحه"),
        ("الكيـ.مياوية", "الكيمياويه"),
        ("الكيـــماوي", "الكيماوي"),
        ("كيم-يا_ئي*ة", "كيمياييه"),
        ("ك·ي·م·ا·و·ي", "كيماوي"),
        # diacritics, zero-width and direction marks, soft hyphens
        ("الكِيمِيَائِيَّة", "الكيمياييه"),
        ("أيضاً", "ايضا"),
        (f"الكي{ZWJ}ما{ZWNJ}وي", "الكيماوي"),
        (f"{RLM}الكلور{LRM}", "الكلور"),
        (f"chlo{SHY}rine", "chlorine"),
        (f"sa{ZWSP}rin", "sarin"),
        # alef and hamza forms, ى/ي, ة/ه, Persian letters
        ("أستانة", "استانه"),
        ("آستانا", "استانا"),
        ("إدلب", "ادلب"),
        ("ٱلله", "الله"),
        ("مؤتمر", "موتمر"),
        ("رئيس", "رييس"),
        ("مستشفى", "مستشفي"),
        ("کیمیایی", "كيميايي"),
        # digits and compatibility forms
        ("٢٠١٣/٨/٢١", "2013/8/21"),
        ("۱۴۰۲", "1402"),
        ("ﻻ ﷲ", "لا الله"),
        ("ｃｈｅｍｉｃａｌ", "chemical"),
        ("𝐬𝐚𝐫𝐢𝐧", "sarin"),
        ("Straße", "strasse"),
        # English case, possessive and plural
        ("Chemical WEAPONS", "chemical weapon"),
        ("Astana's talks", "astana talk"),
        ("Astana’s", "astana"),
        ("the helmets' colour", "the helmet colour"),
        ("casualties", "casualty"),
        ("churches and boxes", "church and box"),
        ("gas, bus, crisis, class", "gas, bus, crisis, class"),
        ("Nur-Sultan", "nursultan"),
        # spaces
        ("غاز\u00a0 \t الكلور", "غاز الكلور"),
        ("line\nbreak", "line break"),
    ],
)
def test_folds_spelling_tricks(written: str, normalised: str) -> None:
    assert normalize_arabic(written) == normalised


def test_sentence_end_without_space_is_a_join() -> None:
    result = normalize("استخدم الكيماوي.وقال المصدر")
    assert result.text == "استخدم الكيماويوقال المصدر"
    assert result.joins == {len("استخدم الكيماوي")}


def test_punctuation_next_to_spaces_or_digits_stays() -> None:
    assert normalize_arabic("قال: «الكلور» 3.5 كغ، (OPCW)") == "قال: «الكلور» 3.5 كغ، (opcw)"
    assert not normalize("قال: «الكلور» 3.5").joins


@pytest.mark.parametrize(
    "text",
    [
        "أسـ.لحة كيمـ.يائية",
        f"الكِيمِيَائِيَّة{ZWJ} و{RLM}Chemical  Weapons' use, Straße ﻻ 𝐬𝐚𝐫𝐢𝐧 ٢٠١٣",
        "Astana's talks: casualties   rose.",
        "",
    ],
)
def test_index_map_points_at_the_character_each_one_came_from(text: str) -> None:
    normalised, index_map = normalize_with_map(text)
    assert len(index_map) == len(normalised)
    assert index_map == sorted(index_map)
    for i, source in enumerate(index_map):
        folded = normalize_arabic(text[source])
        # a character is either its own fold, or part of a word ending/space rewritten around it
        assert normalised[i] in folded or text[source] in " '’sie", (i, source)
    result = normalize(text)
    assert [result.source_index(i) for i in range(len(normalised))] == index_map


def test_index_map_of_an_obfuscated_word() -> None:
    text = "أسـ.لحة"
    normalised, index_map = normalize_with_map(text)
    assert normalised == "اسلحه"
    assert [text[i] for i in index_map] == ["أ", "س", "ل", "ح", "ة"]


def test_index_map_of_expansions_and_removed_endings() -> None:
    text = "ﻻ weapons'"
    normalised, index_map = normalize_with_map(text)
    assert normalised == "لا weapon"
    assert index_map == [0, 0, 1, 2, 3, 4, 5, 6, 7]


def test_normalising_twice_changes_nothing() -> None:
    for text in ["أسـ.لحة كيمـ.يائية", "Astana's talks on chemical weapons", "الكِيمِيَائِيَّة ٢٠١٣"]:
        once = normalize_arabic(text)
        assert normalize_arabic(once) == once


@pytest.mark.parametrize("with_casefold_growth", [False, True])
def test_fast_path_equals_folding_each_character_alone(with_casefold_growth: bool) -> None:
    """The whole-text fast path must give what folding each character separately gives,
    or the offsets recorded for the map would be wrong."""
    chars = [chr(cp) for cp in sorted({*_REST, *_IRREGULAR}) if cp < 0x10000]
    chars = [c for c in chars if (len(c.casefold()) > 1) == with_casefold_growth] + ["a"]
    if with_casefold_growth:
        chars += ["ä", "\u064e", "\ufefb"]
    text = "".join(chars)
    folded, maps = _fold_characters(text)
    one_by_one = [_fold_characters(c)[0] for c in chars]
    assert folded == "".join(one_by_one)
    expected_map = [i for i, piece in enumerate(one_by_one) for _ in piece]
    assert Normalized(folded, text, maps, frozenset()).index_map == expected_map


def test_index_map_invariants_on_random_mixtures() -> None:
    rng = random.Random(6)
    pieces = [
        "ال", "كيم", "ـ", ".", "-", " ", "  ", "\n", "ً", "ّ", ZWJ, RLM, SHY, "أ", "ة", "ى",
        "ﻻ", "ß", "İ", "𝐬", "٢", "weapons", "Astana's", "talks'", "classes", "'", "s", "e",
    ]  # fmt: skip
    for _ in range(500):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 12)))
        normalised, index_map = normalize_with_map(text)
        assert len(index_map) == len(normalised)
        assert index_map == sorted(index_map)
        assert all(0 <= i < len(text) for i in index_map)
