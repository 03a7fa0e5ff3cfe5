"""Story matching on the labelled test set: the cases the issue names, then P/R gates."""

from __future__ import annotations

from monitor.stories.evaluate import Doc, assign_all, story_scores


def stories_of(documents: dict[str, Doc]) -> dict[str, int]:
    return assign_all(list(documents.values()))


def test_press_release_and_report_quoting_most_of_it_are_one_story(documents) -> None:
    story = stories_of(documents)
    assert story["a_pr_ar"] == story["a_report_ar"]  # Arabic
    assert story["b_sd_en"] == story["b_report_en"]  # English
    assert story["d_wh_en"] == story["d_wh_report_en"]


def test_same_article_under_two_urls_is_one_story(documents) -> None:
    story = stories_of(documents)
    assert story["a_pr_ar"] == story["a_pr_ar_url2"]
    assert story["c_rt_ar"] == story["c_rt_ar_amp"]
    assert story["f_pr_ar"] == story["f_republish_ar"]  # republished by another site


def test_different_statements_on_one_topic_and_day_stay_apart(documents) -> None:
    story = stories_of(documents)
    for a, b in [("a_pr_ar", "a_other_ar"), ("b_sd_en", "b_other_en"),
                 ("c_rt_ar", "c_etilaf_ar"), ("d_wh_ar", "d_other_ar"),
                 ("e_douma_ar", "e_harasta_ar"), ("a_pr_en", "a_other_en"),
                 ("g_sd_en", "g_sd_other_en")]:  # E, G: shared template or closing paragraph
        assert story[a] != story[b], (a, b)


def test_translation_joins_the_story_of_its_original(documents) -> None:
    story = stories_of(documents)
    for arabic, english in [("a_pr_ar", "a_pr_en"), ("a_other_ar", "a_other_en"),
                            ("b_sd_ar", "b_sd_en"), ("c_etilaf_ar", "c_etilaf_en"),
                            ("d_wh_ar", "d_wh_en"), ("d_other_ar", "d_other_en"),
                            ("f_pr_ar", "f_pr_en")]:
        assert story[arabic] == story[english], (arabic, english)
    assert story["c_rt_ar"] != story["c_etilaf_en"]  # same day and topic, other statement


def test_precision_and_recall_on_the_whole_set(documents) -> None:
    docs = list(documents.values())
    same_language, cross_language = story_scores(docs, False), story_scores(docs, True)
    assert same_language.precision == 1.0 and same_language.recall == 1.0, same_language
    assert cross_language.precision == 1.0 and cross_language.recall >= 0.9, cross_language
