"""Charset handling (reliability.md B1, B2, B3, B5): header, <meta>, detection, refusal."""

from __future__ import annotations

import gzip

import pytest

from monitor.domain import ExtractionError
from monitor.extract import decode_html
from monitor.extract.decode import MAX_BODY_BYTES, decode, looks_mis_decoded

ARABIC = (
    "أدان الائتلاف الوطني السوري الهجوم الكيميائي الذي استهدف بلدة خان شيخون في ريف إدلب، "
    "وطالب مجلس الأمن بمحاسبة المسؤولين عن استخدام غاز السارين ضد المدنيين."
)


def page(head: str = "") -> str:
    return f"<html><head>{head}<title>بيان</title></head><body><p>{ARABIC}</p></body></html>"


def html_type(charset: str | None = None) -> dict[str, str]:
    return {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}


def assert_clean(text: str) -> None:
    assert ARABIC in text
    assert "\ufffd" not in text and "Ø§Ù" not in text and "Ã" not in text


def test_cp1256_declared_in_the_header() -> None:
    assert_clean(decode_html(page().encode("cp1256"), html_type("windows-1256")))


def test_cp1256_declared_only_in_meta() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    assert_clean(decode_html(body.encode("cp1256"), html_type()))
    body = page('<meta charset="windows-1256">')
    assert_clean(decode_html(body.encode("cp1256"), {}))


def test_cp1256_undeclared_is_detected() -> None:
    decoded = decode(page().encode("cp1256"), html_type())
    assert (decoded.encoding, decoded.suspect) == ("cp1256", False)
    assert_clean(decoded.text)


def test_wrong_latin1_header_is_overruled_when_its_result_is_mojibake() -> None:
    """Documented outcome: a declared charset whose text is mojibake loses to detection."""
    decoded = decode(page().encode("cp1256"), html_type("iso-8859-1"))
    assert (decoded.encoding, decoded.suspect) == ("cp1256", False)
    assert_clean(decoded.text)


def test_utf8_mislabelled_as_cp1256_is_read_as_utf8() -> None:
    decoded = decode(page().encode("utf-8"), html_type("windows-1256"))
    assert decoded.encoding == "utf-8" and not decoded.suspect
    assert_clean(decoded.text)


def test_byte_order_mark_wins() -> None:
    body = "\ufeff".encode("utf-16-le") + page().encode("utf-16-le")
    assert_clean(decode_html(body, html_type("iso-8859-1")))


def test_mojibake_that_cannot_be_repaired_is_flagged() -> None:
    double_encoded = page().encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    decoded = decode(double_encoded, html_type("utf-8"))
    assert decoded.suspect
    invalid = page().encode("utf-8").replace("الكيميائي".encode(), b"\xff\xfe\xff\xfe" * 5)
    assert decode(invalid * 3, html_type("utf-8")).suspect


def test_bytes_that_are_no_text_in_any_charset_are_bad_charset() -> None:
    random = bytes((i * 7919 + 13) % 128 + 128 for i in range(5000))  # high bytes, no NUL
    with pytest.raises(ExtractionError) as refused:
        decode(random, html_type("utf-8"))
    assert refused.value.reason == "bad_charset"


@pytest.mark.parametrize(
    "text",
    [
        page(),
        "<p>L'été dernier, le président a déclaré à Genève que la sécurité était prioritaire.</p>",
        "<p>Koalisyon, İdlib'deki kimyasal saldırıyı kınadı ve soruşturma çağrısında bulundu.</p>",
        "<p>Plain English only.</p>",
    ],
)
def test_real_text_is_not_flagged(text: str) -> None:
    assert not looks_mis_decoded(text)


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (
            gzip.compress(page().encode() * 50),
            html_type("utf-8"),
            "not_html",
        ),  # no Content-Encoding
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", html_type(), "not_html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", html_type(), "not_html"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", {"Content-Type": "image/jpeg"}, "not_html"),
        (b"<html>fine</html>", {"Content-Type": "application/octet-stream"}, "not_html"),
        (b"\x00\x01\x02\x03" * 600, html_type(), "not_html"),
        (b"", html_type(), "empty"),
        (b"  \r\n\t ", html_type(), "empty"),
        (b"<p>" + b"a" * MAX_BODY_BYTES + b"</p>", html_type(), "too_large"),
    ],
    ids=[
        "gzip-without-header",
        "pdf",
        "png",
        "jpeg",
        "octet-stream",
        "nul-bytes",
        "empty",
        "blank",
        "huge",
    ],
)
def test_bodies_that_are_not_html_text_are_refused(
    body: bytes, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(ExtractionError) as refused:
        decode_html(body, headers)
    assert refused.value.reason == reason
