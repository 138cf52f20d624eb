"""Config problems: the domain's ``Problem`` placed in the file, and how they are printed."""

from __future__ import annotations

import re

from pipeflow.domain.errors import Problem
from pipeflow.interfaces.config.yaml_source import Loc, YamlDocument


def render_problem(problem: Problem, filename: str) -> str:
    """``file:line:col: where: message``, as compilers print it.

    >>> from pipeflow.domain.errors import Position
    >>> render_problem(Problem("sinks.out.path", "field required", Position(3, 5)), "p.yaml")
    'p.yaml:3:5: sinks.out.path: field required'
    >>> render_problem(Problem("", "cannot read config"), "p.yaml")
    'p.yaml: cannot read config'
    """
    at = problem.position
    place = filename if at is None else f"{filename}:{at.line}:{at.column}"
    return f"{place}: {problem.where}: {problem.message}" if problem.where else f"{place}: {problem.message}"


def render_loc(loc: Loc) -> str:
    """``pipelines.scrub.functions[1].pattern`` for a location tuple.

    >>> render_loc(("pipelines", "scrub", "functions", 1, "pattern"))
    'pipelines.scrub.functions[1].pattern'
    """
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


def located(doc: YamlDocument | None, loc: Loc, message: str) -> Problem:
    """A problem at ``loc`` with its position looked up in the document."""
    return Problem(render_loc(loc), message, doc.position(loc) if doc is not None else None)


__all__ = ["located", "parse_loc", "render_loc", "render_problem"]
