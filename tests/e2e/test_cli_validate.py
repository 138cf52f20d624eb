"""``pipeflow validate``: exit 0 on a good config; exit 2 and every problem at ``file:line:col``
otherwise; never a Python traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import cli, no_traceback

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e2e"


def _validate(name: str) -> tuple[int, list[str], str]:
    done = cli("validate", name, cwd=FIXTURES)
    no_traceback(done.stderr)
    return done.returncode, done.stderr.decode("utf-8").splitlines(), done.stdout.decode("utf-8")


def test_a_good_config_is_ok() -> None:
    code, err, out = _validate("good.yaml")

    assert (code, err) == (0, [])
    assert out == "good.yaml: ok (1 sources, 1 pipelines, 3 routes, 4 sinks)\n"


def test_every_mistake_after_the_schema_is_reported_at_its_place() -> None:
    code, err, out = _validate("mistakes.yaml")

    assert code == 2
    assert out == ""
    assert err == [
        (
            "mistakes.yaml:7:47: pipelines.scrub.functions[0].pattern: invalid regex: "
            "missing ), unterminated subpattern at position 0"
        ),
        (
            "mistakes.yaml:8:30: pipelines.scrub.functions[1].filter: line 1, column 10: "
            "expected expression, found end of input"
        ),
        "mistakes.yaml:9:16: pipelines.scrub.functions[2].type: unknown function type 'frobnicate'",
        "mistakes.yaml:10:9: pipelines.scrub.functions[3].pattern: Field required",
        "mistakes.yaml:14:66: routes[0].sink: unknown sink 'nowhere'",
        (
            'mistakes.yaml:15:23: routes[1].filter: line 1, column 17: invalid regex "[": '
            "unterminated character set at position 0"
        ),
        "mistakes.yaml: 6 problem(s)",
    ]


def test_every_schema_mistake_is_reported_at_its_place() -> None:
    code, err, _ = _validate("schema_mistakes.yaml")

    assert code == 2
    assert err[0] == "schema_mistakes.yaml:3:46: sources.app.colour: unknown field"
    assert err[1].startswith("schema_mistakes.yaml:4:8: sources.bus: type 'carrier_pigeon' does not match")
    assert err[2] == "schema_mistakes.yaml:6:8: sinks.out.path: Field required"
    assert err[3:] == ["schema_mistakes.yaml: 3 problem(s)"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("syntax_error.yaml", "syntax_error.yaml:4:6: invalid YAML: expected ',' or '}', but got ':'"),
        ("missing.yaml", "missing.yaml: cannot read config: No such file or directory"),
    ],
)
def test_an_unreadable_config_is_one_problem(name: str, expected: str) -> None:
    code, err, _ = _validate(name)

    assert (code, err) == (2, [expected, f"{name}: 1 problem(s)"])


def test_bad_usage_exits_2_with_usage() -> None:
    done = cli("validate")

    assert done.returncode == 2
    assert b"Usage: pipeflow validate" in done.stderr
    assert b"Missing argument 'CONFIG'" in done.stderr
    no_traceback(done.stderr)
