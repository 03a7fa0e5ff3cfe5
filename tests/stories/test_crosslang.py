from __future__ import annotations

from monitor.stories.crosslang import DATE, NAME, NUMBER, feature_id, features, similarity


def test_names_numbers_and_months_agree_across_languages() -> None:
    arabic = features("أعلن الائتلاف في ١٢ آذار/مارس 2019 مقتل 1,435 مدنياً بقصف روسي على خان شيخون وبإدلب")
    english = features("The Coalition said on March 12, 2019 that 1435 civilians died in Russian "
                       "shelling of Khan Sheikhoun and Idlib")
    expected = {feature_id(NAME, n) for n in ("coalition", "russia", "khan_sheikhoun", "idlib",
                                              "airstrike")}
    expected |= {feature_id(DATE, "12"), feature_id(DATE, "2019"), feature_id(DATE, "month:3"),
                 feature_id(NUMBER, "1435")}
    assert expected <= arabic and expected <= english
    assert similarity(arabic, english) > 0.9


def test_proclitics_attach_to_arabic_names_but_do_not_invent_them() -> None:
    assert feature_id(NAME, "idlib") in features("وبإدلب ولإدلب")
    assert feature_id(NAME, "aleppo") in features("والحلب")  # و + ال + حلب
    assert feature_id(NAME, "assad") in features("بشار")  # a name that starts with ب
    assert not features("الأبواب")


def test_english_case_marks_acronyms_and_months() -> None:
    assert feature_id(DATE, "month:5") in features("on 3 May")
    assert feature_id(DATE, "month:5") not in features("the council may act")
    assert feature_id(NAME, "usa") in features("the U.S. envoy")
    assert feature_id(NAME, "usa") not in features("told us")
