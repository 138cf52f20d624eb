"""The config loader: every problem, located, in file order; relative paths anchored at the config."""

from __future__ import annotations

import os
from pathlib import Path

from returns.result import Result

from pipeflow.domain.errors import Problems
from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.config.loader import LoadedConfig, load_config_text
from pipeflow.interfaces.config.models import FileSink, FileSource
from pipeflow.interfaces.config.problems import render_problem

APP = bootstrap()


def load(text: str, path: str = "/cfg/pipeflow.yaml") -> Result[LoadedConfig, Problems]:
    return load_config_text(text, path, APP.factories, APP.path_fields)


def rendered(result: Result[LoadedConfig, Problems]) -> list[str]:
    return [render_problem(p, "c.yaml") for p in result.failure()]


def test_a_test_case_naming_an_unknown_sink_is_a_problem() -> None:
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {page: {type: stdout}}
routes: [{name: all, sink: page}]
tests:
  - {name: t, input: {a: 1}, expect: {pagr: []}}
"""
    )
    assert rendered(out) == ["c.yaml:6:45: tests[0].expect.pagr: unknown sink 'pagr'"]


def test_problems_come_in_file_order() -> None:
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {out: {type: stdout}}
routes:
  - {name: a, filter: 'level ==', sink: nowhere}
"""
    )
    lines = rendered(out)
    assert [line.split(":")[1:3] for line in lines] == sorted(
        (line.split(":")[1:3] for line in lines), key=lambda lc: (int(lc[0]), int(lc[1]))
    )
    assert len(lines) == 2


def test_relative_paths_are_relative_to_the_config_folder() -> None:
    out = load(
        """
state_dir: st
sources: {app: {type: file, path: logs/*.log, format: lines}}
sinks: {out: {type: file, path: out/x.ndjson}}
routes: [{name: all, sink: out}]
""",
        path="/srv/conf/pipeflow.yaml",
    ).unwrap()
    assert out.config.state_dir == os.path.join("/srv/conf", "st")
    source, sink = out.config.sources["app"], out.config.sinks["out"]
    assert isinstance(source, FileSource)
    assert isinstance(sink, FileSink)
    assert source.path == "/srv/conf/logs/*.log"
    assert sink.path == "/srv/conf/out/x.ndjson"


def test_a_bad_listen_address_is_a_problem() -> None:
    out = load(
        """
sources: {net: {type: syslog, address: "localhost"}}
sinks: {out: {type: stdout}}
routes: [{name: all, sink: out}]
"""
    )
    assert any("sources.net.address" in line for line in rendered(out))


def test_a_good_config_loads(tmp_path: Path) -> None:
    out = load(
        """
sources: {app: {type: stdin}}
pipelines: {p: {functions: [{type: drop, filter: 'level == "debug"'}]}}
sinks: {out: {type: stdout}}
routes: [{name: all, pipeline: p, sink: out}]
"""
    ).unwrap()
    assert [r.name for r in out.routes.routes] == ["all"]


def test_file_sinks_sharing_a_file_are_a_problem() -> None:
    """Each file sink cuts its file back to what it wrote after a crash: a shared file would lose
    what the other wrote (the dead-letter sink too). Paths compare after anchoring."""
    out = load(
        """
sources: {app: {type: stdin}}
sinks:
  a: {type: file, path: out/x.ndjson}
  b: {type: file, path: ./out/../out/x.ndjson}
  c: {type: file, path: /cfg/out/y.ndjson}
routes: [{name: all, sinks: [a, b, c]}]
dead_letter: {type: file, path: out/y.ndjson}
"""
    )
    assert rendered(out) == [
        "c.yaml:5:25: sinks.b.path: the same file as sink 'a': each file sink needs its own",
        "c.yaml:8:33: dead_letter.path: the same file as sink 'c': each file sink needs its own",
    ]


def test_a_sink_named_twice_in_a_route_is_a_problem() -> None:
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {a: {type: stdout}, b: {type: stdout}}
routes: [{name: all, sinks: [a, b, a]}]
"""
    )
    assert rendered(out) == [
        "c.yaml:4:36: routes[0].sinks[2]: sink 'a' is named twice (its events would be written twice)"
    ]


def test_a_yaml_timestamp_in_a_test_case_is_the_string_it_reads_as() -> None:
    """Regression: ``input: {ts: 2024-06-01T00:00:00Z}`` became a ``datetime`` and ``pipeflow
    test`` failed with an internal error; NDJSON input holds that text as a string."""
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {page: {type: stdout}}
routes: [{name: all, sink: page}]
tests:
  - {name: t, input: {ts: 2024-06-01T00:00:00Z, d: 2024-06-01}, expect: {page: []}}
"""
    )
    assert out.unwrap().config.tests[0].input == {"ts": "2024-06-01T00:00:00Z", "d": "2024-06-01"}


def test_a_key_written_twice_is_a_problem_where_it_is_repeated() -> None:
    """Regression: the second ``scrub`` pipeline silently replaced the first."""
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {page: {type: stdout}}
pipelines:
  scrub: {functions: [{type: drop, filter: 'level == "debug"'}]}
  scrub: {functions: []}
routes: [{name: all, sink: page}]
"""
    )
    assert rendered(out) == ["c.yaml:6:3: invalid YAML: duplicate key 'scrub'"]


def test_a_yaml_value_json_has_not_is_a_problem_at_its_place() -> None:
    for value, says in (("!!binary aGk=", "bytes"), (".nan", "nan"), ("!!timestamp 2024-06-01", "date")):
        head = "sources: {app: {type: stdin}}\nsinks: {p: {type: stdout}}\nroutes: [{name: a, sink: p}]\n"
        out = load(f"{head}x: {value}\n")
        assert rendered(out) == [
            f"c.yaml:4:4: invalid YAML: {says} is not a JSON value: write it as a string"
        ]


def test_a_pipeline_name_serve_could_not_take_as_its_id_is_a_problem() -> None:
    """Regression: ``my scrub`` passed validate and run, and serve refused to start on it."""
    out = load(
        """
sources: {app: {type: stdin}}
sinks: {page: {type: stdout}}
pipelines:
  my scrub: {functions: [{type: drop, filter: 'level == "debug"'}]}
routes: [{name: all, sink: page, pipeline: my scrub}]
"""
    )
    rule = "1-128 letters, digits, '_', '.' or '-', starting alphanumeric"
    assert rendered(out) == [f"c.yaml:5:13: pipelines.my scrub: a pipeline name must be {rule}"]


def test_a_listen_port_past_65535_is_a_problem() -> None:
    """Regression: 99999 passed validate; UDP then listened on 99999 mod 65536, TCP failed at run."""
    out = load(
        """
sources: {app: {type: syslog, address: "127.0.0.1:99999"}}
sinks: {page: {type: stdout}}
routes: [{name: all, sink: page}]
"""
    )
    expected = "expected host:port (or [v6 address]:port, :port), the port from 0 to 65535"
    assert rendered(out) == [f"c.yaml:2:40: sources.app.address: {expected}"]
