"""Regressions for bugs found while writing the end-to-end suite: every problem reported at once,
and a source that cannot start named with its address."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.conftest import cli, no_traceback, write_config

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e2e"


def test_validate_reports_schema_mistakes_and_later_mistakes_together() -> None:
    """Spec 1: ``validate`` prints *every* problem. A schema mistake must not hide the others."""
    done = cli("validate", "mixed_mistakes.yaml", cwd=FIXTURES)

    no_traceback(done.stderr)
    assert done.returncode == 2
    err = done.stderr.decode().splitlines()
    assert "mixed_mistakes.yaml:3:46: sources.app.colour: unknown field" in err
    assert "mixed_mistakes.yaml:10:8: sinks.out.path: Field required" in err
    assert any(
        line.startswith("mixed_mistakes.yaml:7:47: pipelines.scrub.functions[0].pattern:") for line in err
    )
    assert (
        "mixed_mistakes.yaml:8:16: pipelines.scrub.functions[1].type: unknown function type 'frobnicate'"
        in err
    )
    assert "mixed_mistakes.yaml:12:38: routes[0].sink: unknown sink 'nowhere'" in err
    assert err[-1] == "mixed_mistakes.yaml: 5 problem(s)"


def test_a_source_that_cannot_listen_is_named_with_its_address(tmp_path: Path) -> None:
    """Spec 1: errors name the thing that is wrong and where, not ``internal error: ExceptionGroup``."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(
            tmp_path,
            f"""
            sources: {{web: {{type: http, address: "127.0.0.1:{port}"}}}}
            sinks: {{out: {{type: stdout}}}}
            routes: [{{name: all, sink: out}}]
            """,
        )

        done = cli("run", str(config))

    assert done.returncode == 1
    no_traceback(done.stderr)
    err = done.stderr.decode()
    assert "web" in err
    assert f"127.0.0.1:{port}" in err
