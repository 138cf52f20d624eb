"""The readable form of an ``explain`` trace, for a terminal."""

from __future__ import annotations

import json
from typing import Any


def render_trace(trace: dict[str, Any]) -> str:
    """Routes tried in order; for the ones taken, each step and what reaches each sink."""
    out = [f"event {json.dumps(trace['event'], ensure_ascii=False)}"]
    for route in trace["routes"]:
        if not route["matched"]:
            out.append(f"  route {route['name']}: no match")
            continue
        out.append(f"  route {route['name']}: matched")
        for step in route["steps"]:
            reason = f" ({step['reason']})" if step.get("reason") else ""
            out.append(f"    [{step['index']}] {step['type']}: {step['outcome']}{reason}")
            out.extend(f"        {json.dumps(e, ensure_ascii=False)}" for e in step["events"])
        for sink, events in route["sinks"].items():
            out.append(f"    -> sink {sink}: {len(events)} event(s)")
    if trace.get("unmatched"):
        out.append("  unmatched: no route took the event (it is counted and dropped)")
    return "\n".join(out)


__all__ = ["render_trace"]
