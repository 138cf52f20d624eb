"""Config problems with their place in the file, and how they are printed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import final

from pipeflow.interfaces.config.yaml_source import Loc, Position, YamlDocument


@final
@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem: where in the document (a location), the file position if known, and what."""

    loc: Loc
    message: str
    position: Position | None = None

    def render(self, filename: str) -> str:
        """``file:line:col: where: message``, as compilers print it."""
        place = (
            filename if self.position is None else f"{filename}:{self.position.line}:{self.position.column}"
        )
        where = render_loc(self.loc)
        return f"{place}: {where}: {self.message}" if where else f"{place}: {self.message}"


def render_loc(loc: Loc) -> str:
    """``pipelines.scrub.functions[1].pattern`` for a location tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def parse_loc(text: str) -> Loc:
    """The inverse of ``render_loc`` for the dotted locations the domain reports.

    >>> parse_loc("functions[0].pattern")
    ('functions', 0, 'pattern')
    """
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2) for m in _PART.finditer(text))


def located(doc: YamlDocument | None, loc: Loc, message: str) -> ConfigProblem:
    """A problem at ``loc`` with its position looked up in the document."""
    return ConfigProblem(loc, message, doc.position(loc) if doc is not None else None)


__all__ = ["ConfigProblem", "located", "parse_loc", "render_loc"]
