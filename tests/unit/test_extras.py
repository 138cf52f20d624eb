"""A source or sink whose optional extra is missing is a config problem at its ``type``, with what to
install, when the config loads (not a traceback when the adapter is built)."""

from __future__ import annotations

from pathlib import Path

from returns.result import Success

from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.extras import check_extras, missing_extras
from pipeflow.interfaces.config.problems import render_problem

CONFIG = """\
sources:
  app: {type: stdin}
sinks:
  archive: {type: s3, bucket: logs-archive}
  out: {type: stdout}
routes:
  - {name: all, sinks: [archive, out]}
"""


def test_a_sink_whose_extra_is_missing_is_a_problem_at_its_type(tmp_path: Path) -> None:
    path = tmp_path / "pipeflow.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = bootstrap().load(str(path)).unwrap()  # every extra is installed for the tests
    problems = missing_extras(loaded, installed=lambda module: module != "boto3")
    assert [render_problem(p, "p.yaml") for p in problems] == [
        (
            "p.yaml:4:19: sinks.archive.type: the s3 sink needs an optional extra: "
            "pip install 'pipeflow[s3]' (missing: boto3)"
        )
    ]
    assert missing_extras(loaded, installed=lambda module: True) == ()


def test_a_config_whose_extras_are_installed_loads(tmp_path: Path) -> None:
    path = tmp_path / "pipeflow.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = bootstrap().load(str(path)).unwrap()
    assert check_extras(loaded) == Success(loaded)


def test_parquet_without_pyarrow_is_a_problem_at_the_format(tmp_path: Path) -> None:
    path = tmp_path / "pipeflow.yaml"
    path.write_text(CONFIG.replace("bucket: logs-archive}", "bucket: logs-archive, format: parquet}"))
    loaded = bootstrap().load(str(path)).unwrap()
    problems = missing_extras(loaded, installed=lambda module: module != "pyarrow")
    assert [render_problem(p, "p.yaml") for p in problems] == [
        (
            "p.yaml:4:53: sinks.archive.format: format: parquet needs an optional extra: "
            "pip install 'pipeflow[parquet]' (missing: pyarrow)"
        )
    ]
    assert missing_extras(loaded, installed=lambda module: module != "boto3")[0].where == "sinks.archive.type"
