"""``pipeflow test``: one pass/fail line per ``tests:`` case, a diff for a failure, exit 1 then."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import cli, no_traceback, write_config

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e2e"


def test_passing_cases_exit_0() -> None:
    done = cli("test", "good.yaml", cwd=FIXTURES)

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [
        "PASS errors are copied, then masked",
        "PASS debug is dropped, trace is unmatched",
        "2 passed, 0 failed",
    ]


def test_a_failing_case_prints_a_diff_and_exits_1() -> None:
    done = cli("test", "failing_tests.yaml", cwd=FIXTURES)

    assert done.returncode == 1
    no_traceback(done.stderr)
    assert done.stdout.decode().splitlines() == [
        "PASS errors are copied, then masked",
        "FAIL debug is dropped, trace is unmatched",
        "  sink 'rest' differs:",
        "    --- expected",
        "    +++ got",
        "    @@ -1 +1 @@",
        '    -{"level": "info", "message": "n 7", "seen": true}',
        '    +{"level": "info", "message": "n #", "seen": true}',
        "1 passed, 1 failed",
    ]


def test_a_config_without_tests_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        sources: {app: {type: stdin}}
        sinks: {out: {type: stdout}}
        routes: [{name: all, sink: out}]
        """,
    )

    done = cli("test", str(config))

    assert done.returncode == 2
    assert b"no tests" in done.stderr
    no_traceback(done.stderr)
