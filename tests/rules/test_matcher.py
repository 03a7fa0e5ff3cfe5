"""Matching: spelling tricks are caught, ordinary texts are not, spans show what was written."""

from __future__ import annotations

import random
import time

import pytest

from monitor.domain import RuleMatch, match_document
from monitor.rules import BUILTIN_RULES, Rule, RuleBook
from monitor.text.arabic import normalize

RULES_DIR = BUILTIN_RULES
ZWJ, ZWNJ, RLM = "\u200d", "\u200c", "\u200f"


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return RuleBook.load(RULES_DIR)


def rule(**fields: object) -> RuleBook:
    return RuleBook([Rule.model_validate({"id": "r", "name": "R", **fields})])


def matched(book: RuleBook, text: str, rule_id: str) -> RuleMatch | None:
    return next((m for m in book.match(text) if m.rule == rule_id), None)


def written(text: str, match: RuleMatch) -> list[str]:
    return [text[s.start : s.end] for s in match.spans]


def test_default_pack_has_the_promised_rules(book: RuleBook) -> None:
    assert {r.id for r in book.rules} == {"chemical", "chlorine", "white_helmets", "astana"}
    assert all(r.examples.should_match and r.examples.should_not_match for r in book.rules)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وثّق ناشطون استخدام أسـ.لحة كيمـ.يائية في الغوطة", ["أسـ.لحة", "كيمـ.يائية"]),
        ("اتهمت المنظمة النظام باستخدام الأسلحة الكيـ.مياوية", ["الأسلحة", "الكيـ.مياوية"]),
        ("ضربة كيمـــاوية جديدة على دوما", ["ضربة", "كيمـــاوية"]),
        (f"هجوم كي{ZWJ}ميا{ZWNJ}ئي على خان شيخون", ["هجوم", f"كي{ZWJ}ميا{ZWNJ}ئي"]),
        ("قصفٌ كِيمِيَائِيٌّ على الغوطة", ["قصفٌ", "كِيمِيَائِيٌّ"]),
        ("اسلحه كيماويه في مستودع", ["اسلحه", "كيماويه"]),
        ("يحيي السوريون ذكرى مجزرة الكيماوي في الغوطة", ["مجزرة", "الكيماوي"]),
        ("وهدد بالكيماوي مرة أخرى", ["بالكيماوي"]),
        ("ذكرى ضحايا الكيمياوي في حلبجة", ["الكيمياوي"]),
        ("حظر استخدام الأسلحة الكيميائية", ["الأسلحة", "الكيميائية"]),
        ("تكررت الهجمات الكيمياوية على الغوطة", ["الهجمات", "الكيمياوية"]),
        ("هدد بالسلاح الكيماوي مجدداً", ["بالسلاح", "الكيماوي"]),
        ("The regime used chemical weapons in Douma.", ["chemical weapons"]),
        ("The regime used CHEMICAL WEAPON'S stockpile", ["CHEMICAL WEAPON'S"]),
        ("A chemical.weapons depot was hit", ["chemical.weapons"]),
        ("Shells carried s-a-r-i-n, the report said", ["s-a-r-i-n"]),
        ("Shells carried 𝐬𝐚𝐫𝐢𝐧, the report said", ["𝐬𝐚𝐫𝐢𝐧"]),
        ("Chemical munitions were found.", ["Chemical munitions"]),
        ("a chemical attack on Ghouta", ["chemical attack"]),
    ],
)
def test_chemical_spellings_and_obfuscations(
    book: RuleBook, text: str, expected: list[str]
) -> None:
    match = matched(book, text, "chemical")
    assert match is not None, text
    assert written(text, match) == expected
    assert match.terms == expected


@pytest.mark.parametrize(
    ("text", "rule_id", "expected"),
    [
        ("ألقت المروحيات براميل بغاز الكلور على سراقب", "chlorine", "الكلور"),
        ("أصيب مدنيون جراء استخدام الكلـ.ور في الهجوم", "chlorine", "الكلـ.ور"),
        ("Barrels filled with Chlo\u00adrine fell on Saraqib.", "chlorine", "Chlo\u00adrine"),
        ("قال متطوعو الدفاع المدني السوري إن", "white_helmets", "الدفاع المدني السوري"),
        ("وأكدت منظمة الخُوَذ البَيْضاء أن", "white_helmets", "الخُوَذ البَيْضاء"),
        ("للخوذ البيضاء فرق في إدلب", "white_helmets", "للخوذ البيضاء"),
        ("The White Helmets' volunteers", "white_helmets", "White Helmets"),
        ("Syrian Civil Defense teams", "white_helmets", "Syrian Civil Defense"),
    ],
)
def test_other_rules_and_their_variants(
    book: RuleBook, text: str, rule_id: str, expected: str
) -> None:
    match = matched(book, text, rule_id)
    assert match is not None, text
    assert written(text, match) == [expected]


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("مستشفى", "قصف مستشفي المدينة"),
        ("مستشفي", "قصف مستشفى المدينة"),
        ("المدرسة", "قصف المدرسه"),
        ("إدلب", "في ادلب"),
        ("أستانة", "في آستانه"),
        ("مؤتمر", "في موتمر"),
        ("الرئيس", "قال الرييس"),
        ("عام 2013", "في عام ٢٠١٣"),
        ("عام ٢٠١٣", "في عام 2013"),
    ],
)
def test_arabic_spelling_variants_match_each_other(term: str, text: str) -> None:
    assert rule(terms=[term]).match(text)


@pytest.mark.parametrize(
    "text",
    [
        "انطلقت في أستانة جولة جديدة من المحادثات حول سوريا",
        "انطلقت في استانا جولة جديدة من المحادثات حول سوريا",
        "انطلقت في آستانا جولة جديدة من المحادثات حول سورية",
        "انطلقت في أستانا جولة جديدة من المفاوضات حول سوريا",
        "The Astana talks on Syria resumed.",
        "Talks on Syria resumed in Nur-Sultan on Monday.",
        "Talks on Syria resumed in Nur Sultan on Monday.",
        "Turkey backs the Astana format for the Syrian file.",
    ],
)
def test_astana_spellings(book: RuleBook, text: str) -> None:
    assert matched(book, text, "astana") is not None


@pytest.mark.parametrize(
    "prefix",
    [
        "و",
        "ف",
        "ب",
        "ك",
        "ل",
        "ال",
        "وب",
        "فب",
        "ول",
        "وال",
        "بال",
        "فال",
        "كال",
        "لل",
        "ولل",
        "فلل",
        "وبال",
    ],
)
def test_arabic_proclitics_before_a_term(prefix: str) -> None:
    book = rule(terms=["سلاح"])
    text = f"حذر التقرير من استخدام {prefix}سلاح في المدينة"
    match = book.match(text)
    assert match and match[0].terms == [f"{prefix}سلاح"]


@pytest.mark.parametrize("prefix", ["م", "ت", "با", "سي", "والب"])
def test_other_letters_before_a_term_are_another_word(prefix: str) -> None:
    assert not rule(terms=["سلاح"]).match(f"حذر التقرير من {prefix}سلاح في المدينة")


def test_a_term_written_with_the_article_needs_it_in_the_text() -> None:
    book = rule(terms=["الكلور"])
    assert book.match("هجوم بالكلور") and book.match("هجوم للكلور") and book.match("والكلور")
    assert not book.match("هجوم بكلور") and not book.match("كلور")
    assert rule(terms=["كلور"]).match("هجوم بكلور والكلور")[0].terms == ["بكلور", "والكلور"]


def test_word_boundaries() -> None:
    book = rule(terms=["chlorine", "سارين"])
    assert not book.match("Chlorinedioxide and chlorines2 are different")
    assert not book.match("pre-chlorinex")
    assert not book.match("صارينسارينه")
    assert book.match("(chlorine)") and book.match("«سارين»")


def test_wildcard_lets_a_term_take_a_suffix() -> None:
    plain = rule(terms=["كيماوي"])
    wild = rule(terms=["كيماوي*"])
    for text in ["مواد كيماوية", "الكيماويات", "كيماويين"]:
        assert not plain.match(text)
        match = wild.match(text)
        assert match and match[0].terms == [text.split()[-1]]
    assert rule(terms=["attack*"]).match("the attackers fled")[0].terms == ["attackers"]


def test_exclusion_cancels_only_the_hits_inside_it() -> None:
    book = rule(terms=["chemical"], none=["chemical industry", "كلورة المياه"])
    assert not book.match("Syria's chemical industry shrank.")
    match = book.match("The chemical industry shrank. Then a chemical shell fell.")
    assert match and len(match[0].spans) == 1
    assert match[0].spans[0].start == len("The chemical industry shrank. Then a ")


def test_near_counts_words_between_terms() -> None:
    book = rule(near=[{"terms": ["Astana"], "with": ["talks"], "within": 3}])
    assert book.match("Astana talks")
    assert book.match("talks were held in Astana")  # 3 words between
    assert not book.match("talks were held yesterday in Astana")  # 4 words between
    assert book.match("Astana hosted talks")[0].terms == ["Astana", "talks"]


def test_near_counts_a_join_as_a_word_break() -> None:
    book = rule(near=[{"terms": ["astana"], "with": ["talks"], "within": 1}])
    assert book.match("Astana/talks")


def test_near_marks_every_hit_with_a_partner_close_enough_and_no_other() -> None:
    """Checked against counting words pair by pair, on random word sequences."""
    rng = random.Random(3)
    for _ in range(300):
        within = rng.randint(0, 3)
        book = rule(near=[{"terms": ["astana", "sochi"], "with": ["talks"], "within": within}])
        words = rng.choices(["astana", "sochi", "talks", "and", "more", "x"], k=rng.randint(2, 14))
        text = " ".join(words)
        sides = [
            [i for i, w in enumerate(words) if w in ("astana", "sochi")],
            [i for i, w in enumerate(words) if w == "talks"],
        ]
        close = {i for a in sides[0] for b in sides[1] if abs(a - b) - 1 <= within for i in (a, b)}
        starts = [sum(len(w) + 1 for w in words[:i]) for i in sorted(close)]
        found = book.match(text)
        assert ([s.start for s in found[0].spans] if found else []) == starts, (within, text)


def test_all_groups_must_each_match() -> None:
    book = rule(terms=["Astana"], all=[["Syria", "سوريا"], ["talks"]])
    assert not book.match("Astana talks on trade")
    assert not book.match("Astana and Syria")
    match = book.match("Astana talks on Syria")
    assert match and match[0].terms == ["Astana", "talks", "Syria"]


def test_language_filter() -> None:
    book = rule(terms=["chlorine"], languages=["en"])
    assert book.match("chlorine", language="en")
    assert book.match("chlorine", language=None)
    assert book.match("chlorine", language="und")
    assert not book.match("chlorine", language="ar")


def test_spans_index_the_original_text_exactly() -> None:
    title = "هجوم بغاز الكـ.ـلور"
    body = f"قال مسعفون إن {RLM}الكلــور{RLM}، وفق الشهود، تسبب باختناق عشرات. Chlorine's smell."
    text = match_document(title, body)
    match = rule(terms=["الكلور", "chlorine"]).match(text)[0]
    assert written(text, match) == ["الكـ.ـلور", "الكلــور", "Chlorine's"]
    assert match.terms == ["الكـ.ـلور", "الكلــور", "Chlorine's"]


def test_overlapping_terms_make_one_span() -> None:
    match = rule(terms=["chemical", "chemical weapons", "weapons"]).match("chemical weapons")[0]
    assert match.terms == ["chemical weapons"]
    assert len(match.spans) == 1


def test_snippets_show_the_text_around_hits_as_written() -> None:
    filler = "كلام عادي " * 20
    text = f"{filler}ألقت المروحيات الكلـ.ـور على البلدة. {filler}"
    match = rule(terms=["الكلور"]).match(text)[0]
    (snippet,) = match.snippets
    assert "الكلـ.ـور" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 160


def test_match_result_fields_and_json() -> None:
    book = rule(terms=["sarin"], severity="critical", notify=["urgent"])
    (match,) = book.match("Sarin was used.")
    assert (match.rule, match.name, match.severity, match.notify) == (
        "r",
        "R",
        "critical",
        ["urgent"],
    )
    assert match.as_json() == {
        "rule": "r",
        "severity": "critical",
        "terms": ["Sarin"],
        "snippets": ["Sarin was used."],
    }


def test_nothing_to_match() -> None:
    book = rule(terms=["sarin"])
    assert book.match("") == []
    assert book.match("ـــ\u200d\u200c") == []


def test_terms_are_literal_and_cannot_make_matching_slow() -> None:
    book = rule(terms=["(a+)+$", ".*", "a" * 200])
    started = time.perf_counter()
    assert not book.match("a" * 50_000 + "!")
    assert book.match("xx (a+)+$ yy")  # (x (a+)+$ y would be letters spaced out: xay)
    assert time.perf_counter() - started < 2


def test_a_page_repeating_terms_cannot_stall_matching() -> None:
    book = rule(
        near=[{"terms": ["Astana"], "with": ["talks"], "within": 50}],
        none=["Astana Expo"],
        all=[["Syria"]],
    )
    text = "Astana talks Astana Expo Syria " * 20_000
    started = time.process_time()
    (match,) = book.match(text)
    assert time.process_time() - started < 5
    assert match.terms == ["Astana", "talks", "Syria"]


# Precision: ordinary texts the default pack must leave alone.
@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Workers at the chemical industry strike for higher wages.", "chemical"),
        ("The chemical industry attack surface grew, analysts said.", "chemical"),
        ("أطلقت البلدية حملة كلورة المياه في مخيمات الشمال", "chlorine"),
        ("وزعت المنظمة أقراصاً لتعقيم المياه بالكلور", "chlorine"),
        ("Kazakhstan hosted a new round of talks on Syria.", "astana"),
        ("وقعت كازاخستان اتفاقية تجارية مع سوريا", "astana"),
        ("Astana, the capital of Kazakhstan, hosted a Syrian film week.", "astana"),
        ("Astana talks on trade with China ended on Friday.", "astana"),
        ("قال الدفاع المدني اللبناني إن الحريق أخمد", "white_helmets"),
    ],
)
def test_precision(book: RuleBook, text: str, rule_id: str) -> None:
    assert matched(book, text, rule_id) is None


def test_any_obfuscation_of_a_term_is_found_at_its_exact_span() -> None:
    """Random filler, a term broken with random tricks: the span is exactly what was inserted."""
    rng = random.Random(6)
    tricks = ["ـ", "ـــ", ".", "ـ.", "-", "_", "·", ZWJ, ZWNJ, RLM, "\u00ad", "\u200b", "\u064e"]
    filler = [
        "قال",
        "مصدر",
        "في",
        "ريف",
        "إدلب",
        "إن",
        "القصف",
        "استهدف",
        "الأحياء",
        "السكنية،",
        "وأكد",
        "ناشطون",
        "ذلك",
    ]
    book = rule(terms=["الكيميائية", "sarin"])
    for _ in range(300):
        term = rng.choice(["الكيميائية", "الكيمياىية", "Sarin", "SARIN"])
        broken = (
            term[0]
            + "".join(c + (rng.choice(tricks) if rng.random() < 0.4 else "") for c in term[1:-1])
            + term[-1]
        )
        if rng.random() < 0.5 and term[0] == "ا":
            broken = rng.choice(["و", "ب", "وب", "ف"]) + broken
        before = " ".join(rng.choices(filler, k=rng.randint(0, 6)))
        after = " ".join(rng.choices(filler, k=rng.randint(0, 6)))
        text = f"{before} {broken}{rng.choice(['', '،', '.', ' '])} {after}".strip()
        (match,) = book.match(text)
        assert match.terms == [broken], text
        assert text[match.spans[0].start : match.spans[0].end] == broken


QUICK_BOOK = RuleBook(
    [
        Rule.model_validate(fields)
        for fields in (
            {"id": "a", "name": "A", "terms": ["قصف", "وقصف", "سوري*", "الكيماوي", "غاز الخردل"]},
            {"id": "b", "name": "B", "terms": ["chemical weapons", "sarin*", "Nur-Sultan"]},
            {
                "id": "c",
                "name": "C",
                "near": [{"terms": ["هجوم", "attack"], "with": ["كيماوي*", "gas"], "within": 2}],
                "all": [["ادلب", "Idlib"]],
                "none": ["هجوم إلكتروني"],
            },
        )
    ]
)
PIECES = ["قصف", "وقصف", "فقصف", "قصفت", "سوريه", "السوري", "بالكيماوي", "كيماوي", "الكيماويه",
          "للكيماوي", "غاز", "الخردل", "هجوم", "إلكتروني", "ادلب", "وادلب", "chemical", "weapons",
          "Sarin", "sarins", "Nur", "Sultan", "attack", "gas", "Idlib", "قال", "في"]  # fmt: skip
GLUE = [" ", " ", " ", "، ", ".", "-", "", "💥", "\ue000", " ( ", "ـ", "\u200c"]


def test_the_quick_path_finds_what_the_careful_path_finds() -> None:
    """Terms that are other terms with a proclitic, definite and running-on terms, phrases,
    glued at joins, behind punctuation, next to characters that are not word characters
    but stay in the text: the spaced automaton and the careful one agree on every text."""
    rng = random.Random(14)
    for _ in range(3000):
        pieces = rng.choices(PIECES, k=rng.randint(1, 12))
        text = "".join(p + rng.choice(GLUE) for p in pieces)
        norm = normalize(text)
        assert QUICK_BOOK._match(norm, None, quick=True) == QUICK_BOOK._match(
            norm, None, quick=False
        ), text


def test_a_phrase_needs_its_space_where_spacing_sees_one() -> None:
    # a private-use character stays in the normalised text and is no word character:
    # spaced, `غاز\ue000الخردل` reads as `غاز الخردل`, yet the phrase is not written there
    assert QUICK_BOOK.match("غاز\ue000الخردل") == []
    assert [m.rule for m in QUICK_BOOK.match("غاز الخردل")] == ["a"]
    assert [m.rule for m in QUICK_BOOK.match("وقال ان غاز الخردل.")] == ["a"]
