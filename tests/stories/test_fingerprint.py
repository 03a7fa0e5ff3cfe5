from __future__ import annotations

from monitor.stories.fingerprint import Fingerprint, fingerprint, shingles, words
from monitor.stories.index import names_another_event


def test_fingerprint_survives_the_database_round_trip() -> None:
    original = fingerprint("إدلب", "قصف روسي على إدلب في 12 آذار/مارس 2019 أسفر عن 23 قتيلاً")
    restored = Fingerprint.from_bytes(original.to_bytes())
    assert (restored.size, restored.features, restored.lead) == (
        original.size, original.features, original.lead)
    assert restored.jaccard(original) == 1.0


def test_shingles_are_taken_on_normalised_words() -> None:
    # tatweel, hamza forms and Eastern digits fold away: the same shingles
    assert shingles(words("أعلنـت الكيمـيائية ١٢")) == shingles(words("اعلنت الكيميائيه 12"))


def test_containment_estimate_sees_a_quoted_text_inside_a_longer_one() -> None:
    quoted = " ".join(f"w{i}" for i in range(200))
    report = quoted + " " + " ".join(f"x{i}" for i in range(200))
    small, large = fingerprint("", quoted), fingerprint("", report)
    assert small.jaccard(large) < 0.6  # Jaccard alone would call them different
    assert small.containment(large) > 0.85


def test_templated_statements_about_two_places_name_another_event(documents) -> None:
    douma, harasta = documents["e_douma_ar"], documents["e_harasta_ar"]
    a, b = fingerprint(douma.title, douma.text), fingerprint(harasta.title, harasta.text)
    assert a.containment(b) > 0.5  # the wording is the same template
    assert names_another_event(a, b)
    report, release = documents["a_report_ar"], documents["a_pr_ar"]
    assert not names_another_event(fingerprint(report.title, report.text),
                                   fingerprint(release.title, release.text))
