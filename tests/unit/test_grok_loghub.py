"""``grok`` on real logs: every line of six loghub samples against its ground-truth structure."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.grok import Grok
from pipeflow.infrastructure.functions.grok import plugin as grok

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"
NOT_FIELDS = {"LineId", "EventId", "EventTemplate"}  # the ground truth's own bookkeeping

# One pattern per sample, built from the core library; field names are the CSV's columns.
# The ground truth strips trailing blanks from Content, hence %{DATA:Content}\s*$.
PATTERNS: dict[str, list[str]] = {
    "Apache": [
        r"^\[(?<Time>%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR})\] \[%{LOGLEVEL:Level}\] %{DATA:Content}\s*$"
    ],
    "OpenSSH": [
        (
            r"^%{MONTH:Date} +%{MONTHDAY:Day} %{TIME:Time} %{SYSLOGHOST:Component} sshd\[%{POSINT:Pid}\]: "
            r"%{DATA:Content}\s*$"
        )
    ],
    "HDFS": [
        (
            r"^(?<Date>\d{6}) (?<Time>\d{6}) %{NONNEGINT:Pid} %{LOGLEVEL:Level} %{JAVACLASS:Component}: "
            r"%{DATA:Content}\s*$"
        )
    ],
    "Zookeeper": [
        (
            r"^(?<Date>%{YEAR}-%{MONTHNUM}-%{MONTHDAY}) %{TIME:Time} - %{LOGLEVEL:Level} +"
            r"\[(?<Node>[^:]*):(?<Component>[^@]*)@%{POSINT:Id}\] - %{DATA:Content}\s*$"
        )
    ],
    "Linux": [
        # syslog lines; the program may hold blanks ("syslogd 1.4.1") and lack a pid
        (
            r"^%{MONTH:Month} +%{MONTHDAY:Date} %{TIME:Time} %{SYSLOGHOST:Level} +%{PROG:Component}"
            r"(?:\[%{POSINT:PID}\])?: +%{DATA:Content}\s*$"
        ),
        (
            r"^%{MONTH:Month} +%{MONTHDAY:Date} %{TIME:Time} %{SYSLOGHOST:Level} +(?<Component>[^:\[]+)"
            r"(?:\[%{POSINT:PID}\])?: +%{DATA:Content}\s*$"
        ),
    ],
    "Spark": [
        (
            r"^(?<Date>%{YEAR}/%{MONTHNUM}/%{MONTHDAY}) %{TIME:Time} %{LOGLEVEL:Level} "
            r"%{JAVACLASS:Component}: %{DATA:Content}\s*$"
        )
    ],
}


def truth(name: str) -> list[dict[str, str]]:
    with (LOGHUB / f"{name}_2k.log_structured.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_line_parses_to_its_ground_truth(name: str) -> None:
    fn = grok({"patterns": list[Json](PATTERNS[name]), "on_failure": "dead_letter"}).unwrap()
    assert isinstance(fn, Grok)
    assert all(p.matcher.engine == "re2" for p in fn.patterns)
    lines = (LOGHUB / f"{name}_2k.log").read_text(encoding="utf-8").splitlines()
    rows = truth(name)
    assert len(lines) == len(rows) == 2000
    for line, row in zip(lines, rows, strict=True):
        result = fn(Event(EventId(row["LineId"]), EventMeta(name, 0.0), {"message": line}))
        assert isinstance(result, Pass)
        expected = {k: v for k, v in row.items() if k not in NOT_FIELDS and v != ""}
        got = {k: v for k, v in result.event.fields.items() if k != "message"}
        assert got == expected, f"{name} line {row['LineId']}: {line!r}"


def test_the_linux_sample_needs_its_second_pattern() -> None:
    first_only = grok({"patterns": list[Json](PATTERNS["Linux"][:1]), "on_failure": "drop"}).unwrap()
    lines = (LOGHUB / "Linux_2k.log").read_text(encoding="utf-8").splitlines()
    unmatched = [
        line
        for line in lines
        if not isinstance(first_only(Event(EventId("x"), EventMeta("t", 0.0), {"message": line})), Pass)
    ]
    assert unmatched, "the second pattern is there for lines the first does not read"
    assert all("syslogd 1.4.1:" in line or " -- " in line for line in unmatched)
