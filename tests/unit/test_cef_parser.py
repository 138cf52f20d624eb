from __future__ import annotations

import pytest

from pipeflow.domain.parsers.cef import escape_header, escape_value, parse_cef, render_cef

HEADER = {
    "cef_version": "0",
    "device_vendor": "Security",
    "device_product": "threatmanager",
    "device_version": "1.0",
    "signature_id": "100",
    "name": "worm successfully stopped",
    "severity": "10",
}


def test_the_arcsight_example() -> None:
    line = (
        "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232"
    )
    assert parse_cef(line) == {**HEADER, "src": "10.0.0.1", "dst": "2.1.2.2", "spt": "1232"}


def test_escaped_pipes_and_backslashes_in_the_header() -> None:
    line = r"CEF:0|security|threat\|manager|1.0|100|detected a \\ in packet|10|"
    fields = parse_cef(line)
    assert isinstance(fields, dict)
    assert fields["device_product"] == "threat|manager"
    assert fields["name"] == "detected a \\ in packet"


def test_escapes_in_extension_values() -> None:
    line = r"CEF:0|V|P|1|1|n|3|msg=a\=b c\\d\|e\nf\rg\x act=blocked a\=b"
    fields = parse_cef(line)
    assert isinstance(fields, dict)
    assert fields["msg"] == "a=b c\\d|e\nf\rg\\x"
    assert fields["act"] == "blocked a=b"


def test_values_hold_spaces_and_unicode_and_may_be_empty() -> None:
    line = "CEF:1|Ven dor|Pröduct|2.0|sig-1|Nämé|High|suser=José Ñ cs1Label= cs1=x  y ad.field[0]=z"
    fields = parse_cef(line + "\r\n")
    assert fields == {
        **HEADER,
        "cef_version": "1",
        "device_vendor": "Ven dor",
        "device_product": "Pröduct",
        "device_version": "2.0",
        "signature_id": "sig-1",
        "name": "Nämé",
        "severity": "High",
        "suser": "José Ñ",
        "cs1Label": "",
        "cs1": "x  y",
        "ad.field[0]": "z",
    }


def test_a_syslog_header_before_cef_is_skipped_and_the_last_pipe_is_optional() -> None:
    fields = parse_cef("Sep 19 08:26:10 host CEF:0|V|P|1|1|n|3")
    assert isinstance(fields, dict)
    assert fields["cef_version"] == "0"
    assert fields["severity"] == "3"
    assert len(fields) == 7


def test_a_header_field_wins_over_an_extension_key() -> None:
    fields = parse_cef("CEF:0|V|P|1|1|n|3|name=other x=1")
    assert isinstance(fields, dict)
    assert (fields["name"], fields["x"]) == ("n", "1")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello", "no CEF: header"),
        ("xCEF:0|a|b|c|d|e|f|", "no CEF: header"),
        ("CEF:0|a|b|c|d|e", "expected 7 header fields, found 6"),
        ("CEF:0|a|b|c|d|e\\|f", "expected 7 header fields, found 6"),
        ("CEF:0|a|b|c|d|e|f|junk src=1", "extension text before the first key=: 'junk'"),
        ("CEF:0|a|b|c|d|e|f|just text", "extension text before the first key=: 'just text'"),
    ],
)
def test_malformed_lines_give_the_reason(line: str, reason: str) -> None:
    assert parse_cef(line) == reason


def test_render_escapes_and_parses_back() -> None:
    header = ["0", "V|x", "P\\y", "1", "2", "n", "5"]
    extension = {"msg": "a=b\\c d=e\nz", "empty": "", "act": "ok"}
    line = render_cef(header, extension)
    assert line == r"CEF:0|V\|x|P\\y|1|2|n|5|msg=a\=b\\c d\=e\nz empty= act=ok"
    assert parse_cef(line) == {**dict(zip(HEADER, header, strict=True)), **extension}
    assert escape_header("|\\") == "\\|\\\\"
    assert escape_value("=\r") == "\\=\\r"
