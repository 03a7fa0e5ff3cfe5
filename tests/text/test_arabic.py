"""The normaliser folds every spelling trick away and still knows where each character came from."""

from __future__ import annotations

import random

import pytest

from monitor.text.arabic import (
    _LOOKALIKE,
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
        (f"chlo{SHY}rine", "chlorin"),
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
        ("ｃｈｌｏｒｉｎｅ", "chlorin"),
        ("𝐬𝐚𝐫𝐢𝐧", "sarin"),
        ("Straße", "strass"),
        ("ﹰكيماوي", "كيماوي"),  # an isolated-form mark is no word break
        ("كيم™اوي", "كيماوي"),  # a symbol does not become letters inside a word
        # Persian and Urdu letter forms
        ("ڪيماوي مدرسۃ بہت ے", "كيماوي مدرسه بهت ي"),
        # look-alike letters in Latin words only
        ("сhlоrine ѕаrіn", "chlorin sarin"),  # Cyrillic с, о, ѕ, а, і
        ("chlorıne", "chlorin"),  # Latin dotless ı
        ("Сирия", "сирия"),  # a Russian word stays Cyrillic
        # English: case and the Snowball stem
        ("Chemical WEAPONS", "chemic weapon"),
        ("Astana's talks", "astana talk"),
        ("Astana’s", "astana"),
        ("the helmets' colour", "the helmet' colour"),
        ("casualties attacked", "casualti attack"),
        ("gas, bus, crisis, class", "gas, bus, crisi, class"),
        ("Nur-Sultan", "nursultan"),
        # letters spaced out, symbols and emoji inside a word
        ("ك ي م ي ا ئ ي ة", "كيمياييه"),
        ("ف ا ل ك ل و ر", "فالكلور"),
        ("وال ك ي م ا و ي", "والكيماوي"),
        ("s a r i n", "sarin"),
        ("w.e.a.p.o.n.s", "weapon"),
        ("chlo💀rine", "chlorin"),
        ("الكي🔥☠️ماوي", "الكيماوي"),
        ("و قال ب ل", "و قال ب ل"),  # one-letter words are not glued in twos
        ("قال ك ي م ا و ي", "قال كيماوي"),  # a word before is not taken in
        ("weapons.The", "weapon.the"),  # a sentence end without its space
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
    text = "ﻻ Weapons"
    normalised, index_map = normalize_with_map(text)
    assert normalised == "لا weapon"
    assert index_map == [0, 0, 1, 2, 3, 4, 5, 6, 7]


def test_normalising_twice_changes_nothing() -> None:
    for text in ["أسـ.لحة كيمـ.يائية", "Astana's talks on chemical weapons", "الكِيمِيَائِيَّة ٢٠١٣"]:
        once = normalize_arabic(text)
        assert normalize_arabic(once) == once


def test_fast_path_equals_folding_each_character_alone() -> None:
    """The whole-text fast path must give what folding each character separately gives,
    or the offsets recorded for the map would be wrong (look-alikes depend on their word,
    so they are left out here)."""
    chars = [
        chr(cp)
        for cp in sorted(_REST)
        if cp < 0x10000 and not any(ord(c) in _LOOKALIKE for c in _REST[cp])
    ] + ["a", "ä", "\u064e", "\ufefb"]
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
