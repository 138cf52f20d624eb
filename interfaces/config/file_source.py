"""The ``file`` source's config and what it shares with ``stdin``: ``multiline`` grouping.

Its own module because most configs read files: ``run`` on such a config builds these models and
not those of the network sources (``sources.py``, imported when a config names one; start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from pipeflow.interfaces.config.base import Format, Strict

if TYPE_CHECKING:  # imported by a config that groups lines (start-up time)
    from pipeflow.domain.multiline import MultilineMode, MultilineRule


class Multiline(Strict):
    """``multiline``: group lines into events (stack traces); one of ``start`` or ``continuation``."""

    start: str | None = Field(
        None, description="A regex: a line it matches begins a new event; any other joins the one before."
    )
    continuation: str | None = Field(
        None, description="A regex: a line it matches joins the event before; any other begins a new one."
    )
    timeout_ms: int = Field(
        1000, ge=1, description="A followed file's last event is complete after this long with no new line."
    )
    max_lines: int = Field(500, ge=1, description="An event is complete at this many lines.")

    @field_validator("start", "continuation")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        from pipeflow.domain.multiline import multiline_rule

        if pattern is not None and isinstance(problem := multiline_rule("start", pattern), str):
            raise ValueError(problem)
        return pattern

    @model_validator(mode="after")
    def _one_pattern(self) -> Multiline:
        if (self.start is None) == (self.continuation is None):
            raise ValueError("multiline needs exactly one of 'start' or 'continuation'")
        return self

    def rule(self) -> MultilineRule:
        """The domain's grouping rule (the pattern compiles: validation checked it)."""
        from pipeflow.domain.multiline import multiline_rule

        mode: MultilineMode = "start" if self.start is not None else "continuation"
        rule = multiline_rule(mode, self.start or self.continuation or "", self.max_lines)
        if isinstance(rule, str):  # not after validation, which compiled the pattern
            raise ValueError(rule)
        return rule


class LineSource(Strict):
    """What the ``file`` and ``stdin`` sources share: ``multiline`` needs ``format: lines``."""

    @model_validator(mode="after")
    def _multiline_reads_lines(self) -> LineSource:
        if getattr(self, "multiline", None) is not None and getattr(self, "format", None) != "lines":
            raise ValueError("multiline needs format: lines")
        return self


class FileSource(LineSource):
    """``file``: read files (a glob is allowed), optionally following them."""

    type: Literal["file"] = Field(description="Selects this source.")
    path: str = Field(description="The file to read; a glob reads every match.")
    format: Format = Field(
        "ndjson",
        description='`ndjson`: a JSON object per line; `lines`: each line becomes `{"message": line}`.',
    )
    follow: bool = Field(
        False, description="Keep reading as files grow, survive rotation, resume from the checkpoint."
    )
    start_at: Literal["beginning", "end"] = Field(
        "beginning", description="Where a file without a checkpoint is read from."
    )
    max_line_bytes: int = Field(1 << 20, ge=1, description="Longer lines are dead-lettered (as `raw`).")
    multiline: Multiline | None = Field(
        None, description="Group lines into multiline events (`format: lines` only; not on the fast path)."
    )


__all__ = ["FileSource", "LineSource", "Multiline"]
