"""Structured logs on stderr, plain or JSON, with the event id where one is involved."""

from __future__ import annotations

import json
import logging
import time


class JsonFormatter(logging.Formatter):
    """One JSON object per log record: time, level, logger, message, and ``event_id`` if given."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        out = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event_id = getattr(record, "event_id", None)
        if event_id is not None:
            out["event_id"] = event_id
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


def configure_logging(level: str, fmt: str) -> None:
    """Send pipeflow's logs to stderr at ``level`` in ``fmt`` (plain or json)."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("pipeflow")
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "WARNING")
    root.propagate = False


__all__ = ["JsonFormatter", "configure_logging"]
