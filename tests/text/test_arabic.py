"""The normaliser folds every spelling trick away and still knows where each character came from."""

from __future__ import annotations

import random
import re

import pytest

from monitor.text import characters as chars
from monitor.text.arabic import (
    _SEPARATOR,
    Normalized,
    _fold,
    _fold_carefully,
    _glue,
    _joins,
    _spaced_out,
    normalize,
    normalize_arabic,
    normalize_with_map,
)
from monitor.text.characters import FOLDS, LETTER, LOOKALIKES, MARK_CLASS

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
        "وقالَ الدِّفاعُ المَدَنِيُّ " * 20,  # more than a hundred dropped marks
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


def test_careful_path_equals_folding_each_character_alone() -> None:
    """The careful path's whole-text passes must give what folding each character
    separately gives, or the offsets recorded for the map would be wrong (look-alikes
    depend on their word, so they are left out here)."""
    chars = [
        chr(cp)
        for cp in sorted(FOLDS)
        if cp < 0x10000 and not any(ord(c) in LOOKALIKES for c in FOLDS[cp])
    ] + ["a", "ä", "\u064e", "\ufefb"]
    text = "".join(chars)
    folded, maps = _fold_carefully(text)
    one_by_one = [_fold_carefully(c)[0] for c in chars]
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


# The quick path (the C table pass, category string) must give exactly what the careful path
# and the regex definitions give; these compare them on texts built to hit every case.
QUICK_PIECES = [
    "ال", "كيم", "ي", "و", "ك", "ـ", "ً", "ّ", ZWJ, ZWNJ, RLM, SHY, "أ", "إ", "ة", "ى", "ؤ",
    "٢", "۱", "ک", "ی", "ہ", " ", "  ", "\n", "\t", "\u00a0", ".", "-", "_", "*", "«", "’",
    "💥", "☠️", "👨‍👩", "a", "I", "s", "weapons", "The", "Astana's", "ab.Cde", "é", "3", "x.y",
]  # fmt: skip


def _quick_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(QUICK_PIECES, k=rng.randint(1, 16))) for _ in range(count)]


def test_the_quick_fold_is_the_careful_fold() -> None:
    for text in _quick_texts(3000, 1):
        folded, maps, categories = _fold(text)
        assert chars.fold_one_to_one(text) is not None, text  # nothing here needs care
        careful, careful_maps = _fold_carefully(text)
        assert folded == careful, text
        quick_map = Normalized(folded, text, maps, frozenset()).index_map
        assert quick_map == Normalized(careful, text, careful_maps, frozenset()).index_map
        assert categories == chars.word_categories(folded)


def test_a_character_that_needs_care_takes_the_careful_path() -> None:
    for text in ["ﻻ", "ß", "сhlorine", "𝐬𝐚𝐫𝐢𝐧", "\U0001d213", "a\ud83d", "\udca5b", "\ud83d\udca5"]:
        assert chars.fold_one_to_one(text) is None, text
        assert _fold(text)[0] == _fold_carefully(text)[0]


def test_word_categories_are_the_regex_classes() -> None:
    text = "".join(chr(cp) for cp in range(0x20, 0x2100)) + "💥𠀀𝟎 ٣"
    categories = chars.word_categories(text)
    letters = {m.start() for m in re.finditer(LETTER, text)}
    marks = {m.start() for m in re.finditer(MARK_CLASS, text)}
    for i, category in enumerate(categories):
        expected = {
            (True, False): ord(chars.ASCII_LETTER if text[i].isascii() else chars.OTHER_LETTER),
            (False, True): ord(chars.MARK),
            (True, True): ord(chars.BOTH),
        }.get((i in letters, i in marks), ord(chars.SPACE if text[i] == " " else chars.OTHER))
        assert category == expected, (i, text[i])


# the definitions the category patterns stand for, as the careful regexes over the text
INSIDE_WORD = re.compile(
    MARK_CLASS
    + r"(?:(?P<sentence>(?<=[a-z]{2}[.!?;:,])(?=[A-Z][a-z]{2}))"
    + f"|(?P<join>(?<={LETTER}{MARK_CLASS}){MARK_CLASS}{{0,15}}(?={LETTER})))"
)
SPACED_LETTER = re.compile(f" {_SEPARATOR}{{0,15}}{LETTER}(?!{LETTER})")


def test_joins_and_spaced_out_runs_are_found_as_the_regex_definitions_find_them() -> None:
    texts = _quick_texts(3000, 2) + ["ك ي م ي ا ئ ي ة", "وال ك ي م ا و ي", "z.-.💥.Z x 𠀀 y z"]
    for text in texts:
        folded, _, categories = _fold(text)
        expected = [m.span() for m in INSIDE_WORD.finditer(folded) if m.lastgroup == "join"]
        assert list(_joins(folded, categories)) == expected, folded
        # every candidate tried, none skipped, over the whole text
        candidates = (m.span() for m in SPACED_LETTER.finditer(folded))
        assert _spaced_out(folded, categories) == _glue(folded, candidates), folded


def test_english_words_are_stemmed_alike_in_dense_and_sparse_text() -> None:
    english = "Chemical WEAPONS were used; the attacks killed civilians"
    sparse = "قال المصدر إن " + english + " في ريف إدلب"
    dense, sparse_norm = normalize(english), normalize(sparse)
    assert sparse_norm.text.split(" ")[3:11] == dense.text.split(" ")
    assert "chemic weapon" in sparse_norm.text
