"""The normaliser folds every spelling trick away and still knows where each character came from."""

from __future__ import annotations

import random
import re
from importlib.machinery import EXTENSION_SUFFIXES

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


def test_the_compiled_module_does_the_per_character_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert chars._fold.__file__.endswith(tuple(EXTENSION_SUFFIXES))
    seen: list[str] = []

    def fold(text: str, folds: bytes, astral: bytes) -> None:
        seen.append(text)

    monkeypatch.setattr(chars._fold, "fold", fold)
    assert normalize("أسـ.لحة").text == "اسلحه"  # careful path, since the stand-in says so
    assert seen == ["أسـ.لحة"]


# Code point ranges scraped text may hold, weighted towards what the table treats specially:
# Arabic and its presentation forms, marks, invisible characters, surrogates, astral ones.
CODE_POINT_RANGES = [
    (0x00, 0x80), (0x80, 0x250), (0x300, 0x370), (0x370, 0x530), (0x600, 0x700),
    (0x750, 0x780), (0x2000, 0x2070), (0xD800, 0xE000), (0xFB50, 0x10000),
    (0x1D400, 0x1D800), (0x1F300, 0x1F700), (0xE0000, 0xE0080), (0x10000, 0x110000),
]  # fmt: skip


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        ranges = rng.choices(CODE_POINT_RANGES, k=rng.randint(1, 3))
        texts.append(
            "".join(
                chr(rng.randrange(*rng.choice(ranges))) if rng.random() < 0.7 else " "
                for _ in range(rng.randint(0, 40))
            )
        )
    return texts


ADVERSARIAL = [
    "", " ", "\x00", "\ud800", "\udfff", "a\ud800b", "\ud83d\udca5", "\uffff", "\ufffe", "\uffff\u064b",
    "\U0010ffff", "\U000e0001", "\U000e01ef\U000e01f0", "💥" * 3, "ـ" * 50, "ً" * 300, "a" + "ً" * 300,
    "\u00b5", "\u00ad" * 5, "é" * 10 + "\U0001f4a5", "ﹰ", "٣" * 7, "\u200d💥\u200d", "𠀀ً",
]  # fmt: skip


def test_the_c_fold_is_the_careful_fold_on_random_and_adversarial_text() -> None:
    quick = 0
    for text in _random_texts(4000, 3) + ADVERSARIAL:
        folded, maps, categories = _fold(text)  # never fails, whichever path it takes
        if chars.fold_one_to_one(text) is None:
            continue
        quick += 1
        careful, careful_maps = _fold_carefully(text)
        assert folded == careful, ascii(text)
        assert categories == chars.word_categories(folded), ascii(text)
        quick_map = Normalized(folded, text, maps, frozenset()).index_map
        assert quick_map == Normalized(careful, text, careful_maps, frozenset()).index_map
    assert quick > 1000  # the comparison did run on many texts


def test_lone_surrogates_take_the_careful_path() -> None:
    for text in ["\ud800", "a\udfffb", "\udca5\ud83d", "💥\ud83d"]:
        assert chars.fold_one_to_one(text) is None, ascii(text)
        assert normalize(text).original == text


def test_empty_and_huge_texts_fold_like_their_pieces() -> None:
    assert chars.fold_one_to_one("") == ("", b"", None)
    assert chars.words_between_spaces("") == "  "
    piece = "أيضاً كيمـ.يائية weapons 💥 ٢٠١٣ "
    quick = chars.fold_one_to_one(piece)
    assert quick is not None and quick[2] is not None
    repeats = 2_000_000 // len(piece)
    huge = chars.fold_one_to_one(piece * repeats)
    assert huge == (quick[0] * repeats, quick[1] * repeats, quick[2] * repeats)


def test_the_c_scans_are_their_definitions() -> None:
    """Each C scan of a category string against the plain Python it replaces."""
    rng = random.Random(4)
    for _ in range(3000):
        categories = bytes(rng.choices(b"al M.DX", k=rng.randint(0, 40)))
        letters = [c >= ord(chars.ASCII_LETTER) for c in categories]
        alone = [
            i for i, letter in enumerate(letters)
            if letter and not (i and letters[i - 1]) and not (i + 1 < len(letters) and letters[i + 1])
        ]  # fmt: skip
        assert chars.one_letter_words(categories) == alone
        assert chars.has_double_space(categories) == (b"  " in categories)
        drops = [i for i, c in enumerate(categories) if c == ord(chars.DROPPED)]
        assert chars.kept_before_drops(categories) == [at - k for k, at in enumerate(drops)]
        no_both = categories.replace(chars.BOTH, chars.OTHER)
        joins = [m.span() for m in re.finditer(rb"M(?<=[al]M)M{0,15}(?=[al])", no_both)]
        assert chars.marks_between_letters(no_both) == joins
        assert chars.latin_runs(categories) == [m.span() for m in re.finditer(rb"a+", categories)]


def test_words_between_spaces_is_its_definition() -> None:
    for text in _random_texts(2000, 5) + ADVERSARIAL:
        spaced = chars.words_between_spaces(text)
        if any(ord(c) >= 0x10000 for c in text):
            assert spaced is None
        else:
            assert spaced == " " + "".join(c if c.isalnum() else " " for c in text) + " "


def test_the_c_module_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="folds"):
        chars._fold.fold("a", b"short", chars._ASTRAL)
    with pytest.raises(ValueError, match="astral"):
        chars._fold.categorise("a", chars._CATEGORIES, chars._ASTRAL[:-1])
    with pytest.raises(TypeError):
        chars._fold.fold(b"a", chars._FOLDS_TABLE, chars._ASTRAL)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        chars._fold.one_letter_words("a")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        chars._fold.latin_runs("a")  # type: ignore[arg-type]
