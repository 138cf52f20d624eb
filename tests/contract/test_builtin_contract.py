"""Every installed ``pipeflow.functions`` plugin passes the contract suite with a sample config.

A plugin registered without a sample config here fails, so a new function cannot skip the suite.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.plugins import GROUP, load_function_plugins
from pipeflow.testing import check_plugin

FIXTURES = Path(__file__).parent.parent / "fixtures" / "loghub"

SAMPLE_CONFIGS: dict[str, list[JsonObject]] = {
    "mask": [{"field": "message", "pattern": r"\d+", "replacement": "<n>"}],
    "regex_extract": [
        {"field": "message", "pattern": r"user (?P<user>\S+) from (?P<ip>[\d.]+)"},
        {"field": "a.b", "pattern": r"(?P<x>\d)|(?P<y>[a-z])"},
    ],
    "parse": [
        {"field": "message", "format": "json"},
        {"field": "message", "format": "json", "target": "parsed"},
        {"field": "message", "format": "kv", "standalone_keys": True},
        {"field": "message", "format": "kv", "pair_delimiter": ",", "kv_delimiter": ":", "target": "kv"},
        {"field": "message", "format": "csv", "columns": ["a", "b", "c"]},
        {"field": "message", "format": "logfmt"},
        {"field": "message", "format": "syslog", "target": "syslog", "on_failure": "pass"},
        {"field": "message", "format": "clf", "on_failure": "drop"},
        {"field": "message", "format": "combined", "target": "http"},
        {"field": "message", "format": "cef", "on_failure": "pass"},
    ],
    "rename": [{"fields": {"message": "msg", "user.name": "user_name", "tags[0]": "first_tag"}}],
    "remove": [{"fields": ["message", "user.email", "tags[0]"]}],
    "split": [{"field": "tags"}, {"field": "a.list"}],
    "sample": [{"rate": 3}, {"rate": 2, "key": "user.id"}, {"rate": 1}],
    "lookup": [
        {"file": str(FIXTURES / "OpenSSH_templates.csv"), "key": "EventId", "fields": ["EventTemplate"]},
        {
            "file": str(FIXTURES / "OpenSSH_templates.csv"),
            "key": "event.id",
            "column": "EventId",
            "fields": {"EventTemplate": "event.template", "Occurrences": "event.count"},
        },
    ],
    "eval": [{"field": "x", "expression": "1"}],
    "drop": [{}],
    "window": [{"field": "latency_ms", "size": 3, "emit": {"avg": "avg"}}],
    "grok": [
        {"field": "message", "patterns": ["%{COMBINEDAPACHELOG}", "%{SYSLOGBASE} %{GREEDYDATA:msg}"]},
        {
            "field": "a.b",
            "patterns": [r"^%{IP:client.ip} (?<n>%{INT}) %{NUMBER:took:float}", r"%{WORD:w:int}"],
            "pattern_definitions": {"PAIR": r"%{WORD:k}=%{INT:v:int}"},
            "target": "g",
            "on_failure": "drop",
        },
        {"patterns": [r"(?P<x>\d)|(?<y>[a-z])", "%{PAIR}"], "pattern_definitions": {"PAIR": "%{WORD:k}="}},
        {"patterns": ["%{INT:n}"], "on_failure": "dead_letter"},
    ],
    "timestamp": [
        {"field": "time", "formats": ["%d/%b/%Y:%H:%M:%S %z", "iso8601", "unix", "unix_ms"]},
        {
            "field": "t",
            "formats": ["%b %d %H:%M:%S", "unix_ns"],
            "target": "@timestamp",
            "on_failure": "pass",
        },
        {
            "field": "t",
            "formats": ["iso8601"],
            "timezone": "Europe/Paris",
            "default_year": 2020,
            "on_failure": "drop",
        },
    ],
    "throttle": [
        {"rate": 2, "window_s": 60},
        {"rate": 1, "window_s": 0.5, "key": "host", "time_field": "at", "on_failure": "pass"},
        {"rate": 3, "window_s": 10, "key": 'user.name + "/" + str(status)', "on_failure": "drop"},
    ],
    "dedupe": [{"fields": ["message"]}, {"fields": ["user.id", "tags[0]"], "cache_size": 2}],
}

# Plugins of other distributions that may be installed in the dev venv (examples/plugins/*).
EXAMPLE_PLUGIN_CONFIGS: dict[str, list[JsonObject]] = {
    "hash": [{"fields": ["user.email", "message"]}, {"fields": ["user.email"], "salt": "k", "target": "_id"}],
}

PLUGINS, LOAD_ERRORS = load_function_plugins()
REGISTERED = sorted({ep.name for ep in entry_points(group=GROUP)})
OURS = sorted(
    {ep.name for ep in entry_points(group=GROUP) if ep.dist is not None and ep.dist.name == "pipeflow"}
)


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_function_passes_the_contract(name: str) -> None:
    failed = [e.reason for e in LOAD_ERRORS if e.name == name]
    assert not failed, f"{name} does not load: {failed[0] if failed else ''}"
    configs = SAMPLE_CONFIGS.get(name, EXAMPLE_PLUGIN_CONFIGS.get(name))
    assert configs, f"{name} has no sample config in SAMPLE_CONFIGS: add one"
    for config in configs:
        check_plugin(PLUGINS[name], config, max_examples=40)


def test_the_sample_configs_are_exactly_our_registered_functions() -> None:
    assert sorted(SAMPLE_CONFIGS) == OURS


def test_the_builtins_are_registered() -> None:
    assert set(REGISTERED) >= {
        "mask",
        "regex_extract",
        "parse",
        "rename",
        "remove",
        "split",
        "sample",
        "lookup",
    }
