"""The run summary as people read it (stderr) and as machines read it (``--summary-file``)."""

from __future__ import annotations

import json
import os
from typing import Any

import click


def render_summary(summary: dict[str, Any]) -> str:
    """A few aligned lines: events in, out per sink, dropped, unmatched, dead-lettered, rate."""
    rows = [
        ("events in", summary["events_in"]),
        *((f"  -> {name}", count) for name, count in summary["events_out"].items()),
        ("dropped", summary["dropped"]),
        ("unmatched", summary["unmatched"]),
        ("dead-lettered", summary["dead_lettered"]),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{label:<{width}}{count:>10,}" for label, count in rows]
    lines.append(f"took {summary['seconds']:.3f} s, {summary['events_per_second']:,.0f} events/s")
    return "\n".join(lines)


def summary_path(value: str | None) -> str | None:
    """``--summary-file``'s value, checked before the run: its folder must exist.

    :raises click.BadParameter: when it does not (a usage error, exit 2).
    """
    if value is None:
        return None
    folder = os.path.dirname(os.path.abspath(value))
    if not os.path.isdir(folder):
        raise click.BadParameter(f"folder {folder!r} does not exist")
    return value


def write_summary_file(path: str, summary: dict[str, Any]) -> None:
    """Write the summary as JSON (keys of spec section 1, plus timing)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")


__all__ = ["render_summary", "summary_path", "write_summary_file"]
