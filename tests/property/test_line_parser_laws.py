"""Laws of the log-line parsers: render then parse gives back what was rendered, and no text
makes a parser raise (it gives fields or a reason)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.access_log import parse_clf, parse_combined
from pipeflow.domain.parsers.cef import HEADER_FIELDS, parse_cef, render_cef
from pipeflow.domain.parsers.logfmt import is_logfmt_key, parse_logfmt, render_logfmt
from tests.strategies import cef_extensions, cef_headers, logfmt_fields


@given(logfmt_fields)
def test_logfmt_render_then_parse_is_identity(fields: dict[str, str | Literal[True]]) -> None:
    assert all(is_logfmt_key(key) for key in fields)
    assert parse_logfmt(render_logfmt(fields)) == fields


@given(logfmt_fields)
def test_logfmt_parse_then_render_is_stable(fields: dict[str, str | Literal[True]]) -> None:
    line = render_logfmt(fields)
    parsed = parse_logfmt(line)
    assert isinstance(parsed, dict)
    assert render_logfmt({k: v for k, v in parsed.items() if isinstance(v, str) or v is True}) == line


@given(cef_headers, cef_extensions)
def test_cef_escape_then_parse_is_identity(header: list[str], extension: dict[str, str]) -> None:
    assert parse_cef(render_cef(header, extension)) == {
        **extension,
        **dict(zip(HEADER_FIELDS, header, strict=True)),
    }


@given(cef_headers, cef_extensions, st.text(max_size=6).map(lambda s: s.replace("CEF:", "") + " "))
def test_a_prefix_before_cef_changes_nothing(
    header: list[str], extension: dict[str, str], prefix: str
) -> None:
    line = render_cef(header, extension)
    assert parse_cef(prefix + line) == parse_cef(line)


@pytest.mark.parametrize("parser", [parse_logfmt, parse_cef, parse_clf, parse_combined])
@given(text=st.text())
def test_no_text_makes_a_parser_raise(parser: Callable[[str], JsonObject | str], text: str) -> None:
    assert isinstance(parser(text), dict | str)
