"""``leave`` ends the process at once, as ``sys.exit`` would: same status, output flushed."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _leave(arg: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import logging, sys\n"
        "from pipeflow.interfaces.cli.main import leave\n"
        "logging.basicConfig(stream=sys.stderr, format='%(message)s')\n"
        "print('out', end='')\n"
        "logging.getLogger('t').warning('logged')\n"
        f"leave({arg})\n"
        "print('never')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize(("arg", "status"), [("None", 0), ("0", 0), ("2", 2), ("'bad input'", 1)])
def test_leave_exits_with_the_status_sys_exit_would_give(arg: str, status: int) -> None:
    done = _leave(arg)
    assert done.returncode == status
    assert done.stdout == "out"  # flushed, and nothing runs after ``leave``
    assert "logged" in done.stderr
    if arg.startswith("'"):
        assert "bad input" in done.stderr
