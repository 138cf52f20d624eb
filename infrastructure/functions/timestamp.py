"""``timestamp``: read a time written in one of several formats and set it as ISO 8601 UTC.

The conversion is the pure ``domain.parsers.timestamp``; this adapter resolves the ``timezone``
name (zoneinfo reads the time zone database, so that stays out of the domain), checks every
format when the function is built, and tries the formats in order on each event.

A format without a year (syslog's ``%b %d %H:%M:%S``) takes ``default_year``, or else the year in
which the event entered pipeflow: its ``meta.received_at``, which the source reads from the
injected ``Clock`` (a factory is given only its config, so the function reads the clock's time
through the event; tests fix it by fixing the event's time). The year is taken in ``timezone``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.parsers.timestamp import (
    format_problem,
    format_timestamp,
    needs_year,
    parse_time,
    year_at,
)
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path
from pipeflow.infrastructure.functions.on_failure import OnFailure, settle


class TimestampConfig(FunctionConfig):
    """Config of ``timestamp``: ``formats`` tried in order; the result goes to ``target`` (or ``field``)."""

    field: str = pydantic.Field(description="The field holding the time to read.")
    formats: list[str] = pydantic.Field(
        min_length=1,
        description="Tried in order: strftime formats, `iso8601`, `unix`, `unix_ms`, `unix_us`, `unix_ns`.",
    )
    target: str | None = pydantic.Field(
        None, description="Where the ISO 8601 UTC time (milliseconds) is written (none: it replaces `field`)."
    )
    timezone: str = pydantic.Field(
        "UTC", description="The zone of times that carry no offset, an IANA name such as `Europe/Paris`."
    )
    default_year: int | None = pydantic.Field(
        default=None,
        ge=1,
        le=9999,
        description="The year of a format without one (none: the year of the event's ingest time).",
    )
    on_failure: OnFailure = pydantic.Field(
        "dead_letter", description="A time that does not parse: `dead_letter`, `pass` (unchanged) or `drop`."
    )


@final
@dataclass(frozen=True, slots=True)
class Timestamp:
    """Sets ``target`` to the value at ``path`` read with the first format that fits, in ISO 8601 UTC.

    A missing or null value passes unchanged; a value no format reads goes where ``on_failure`` says.
    """

    path: Path
    target: Path
    formats: tuple[str, ...]
    zone: tzinfo
    default_year: int | None
    year_less: bool
    on_failure: OnFailure = "dead_letter"

    def __call__(self, event: Event, /) -> FnResult:
        """Convert the field."""
        value = event.get(self.path)
        if value is None:  # missing or null
            return Pass(event)
        year = self.default_year
        if year is None and self.year_less:
            year = year_at(event.meta.received_at, self.zone)
        for fmt in self.formats:
            moment = parse_time(value, fmt, self.zone, year)
            if moment is not None:
                return Pass(event.with_field(self.target, format_timestamp(moment)))
        shown = repr(value)[:60]
        return settle(self.on_failure, event, f"timestamp: no format matches {shown}")


def zone_named(name: str) -> Result[tzinfo, Problems]:
    """The time zone of an IANA name (``UTC`` needs no database), or a problem at ``timezone``."""
    if name == "UTC":
        return Success(UTC)
    try:
        return Success(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not a key (an absolute path, ``..``)
        return Failure(
            (Problem("timezone", f"unknown time zone {name!r} (an IANA name, e.g. Europe/Paris)"),)
        )


def _formats(formats: list[str]) -> Result[tuple[str, ...], Problems]:
    problems = tuple(
        Problem(f"formats[{i}]", reason) for i, fmt in enumerate(formats) if (reason := format_problem(fmt))
    )
    return Failure(problems) if problems else Success(tuple(formats))


def build(config: TimestampConfig) -> Result[Timestamp, Problems]:
    """Build ``timestamp``; paths, every format and the time zone are checked here (all problems at once)."""
    path = field_path(config.field)
    target = field_path(config.target, "target") if config.target is not None else path
    formats = _formats(config.formats)
    zone = zone_named(config.timezone)
    match path, target, formats, zone:
        case Success(p), Success(t), Success(fs), Success(z):
            year_less = any(needs_year(f) for f in fs)
            return Success(Timestamp(p, t, fs, z, config.default_year, year_less, config.on_failure))
        case _:
            checks: tuple[Result[object, Problems], ...] = (path, formats, zone)
            if config.target is not None:
                checks += (target,)
            return Failure(
                tuple(p for check in checks if isinstance(check, Failure) for p in check.failure())
            )


plugin = FunctionPlugin(
    "timestamp", TimestampConfig, build, "Read a time in one of several formats; set it as ISO 8601 UTC."
)

__all__ = ["Timestamp", "TimestampConfig", "build", "plugin", "zone_named"]
