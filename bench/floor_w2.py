"""W2's hand-written floor: one precompiled ``re`` of grok's own ``%{COMBINEDAPACHELOG}`` expansion.

Per line: ``search``, ``groupdict()``, the two int conversions, ``orjson``, buffered writes; the
output is what ``grok`` makes (``message`` first, then the fields that matched, ``response`` and
``bytes`` as ints). Lines that do not match are skipped. No actors, no events, no checkpoints.

Usage: ``python bench/floor_w2.py INPUT OUTPUT``
"""

from __future__ import annotations

import re
import sys

import orjson

from pipeflow.domain.parsers.grok import Expansion, expand
from pipeflow.infrastructure.functions.grok_patterns import CORE_PATTERNS


def named_regex() -> re.Pattern[str]:
    """The expansion with each capture group named by its field (every field is top-level here)."""
    expanded = expand("%{COMBINEDAPACHELOG}", CORE_PATTERNS)
    assert isinstance(expanded, Expansion)
    names = {c.group: str(c.path[0]) for c in expanded.captures}
    return re.compile(
        re.sub(r"\(\?P<(g\d+)>", lambda m: f"(?P<{names[m.group(1)]}>", expanded.regex), re.ASCII
    )


def main(inp: str, out: str) -> None:
    search = named_regex().search
    dumps = orjson.dumps
    with open(inp, encoding="utf-8") as src, open(out, "wb", buffering=1 << 20) as dst:
        write = dst.write
        for raw in src:
            text = raw.rstrip("\n")
            m = search(text)
            if m is None:
                continue
            record: dict[str, str | int] = {"message": text}
            for k, v in m.groupdict().items():
                if v is not None:
                    record[k] = v
            record["response"] = int(record["response"])
            if "bytes" in record:
                record["bytes"] = int(record["bytes"])
            write(dumps(record) + b"\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
