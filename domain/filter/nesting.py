"""How deeply an expression's brackets nest, and stack room for parsing that deep.

The parser combinators take ~66 Python frames per level of ``(``/``[`` nesting (a call's
parentheses too): 48 levels need ~3,300 frames, over Python's default limit of 1,000. So the
nesting is counted first, in one pass over the text, and an expression within ``MAX_DEPTH`` is
parsed with the room it needs whatever the caller's own stack: the interpreter's recursion limit
is raised to that while it parses, and put back after. What the limit then allows is bounded by
``MAX_DEPTH``, not by the text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final

FRAMES_PER_LEVEL: Final = 80
"""Python frames one level of bracket nesting may take in the parser (measured: ~66)."""

_STRING = re.compile(r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""", re.DOTALL)
_BRACKET = re.compile(r"[()\[\]]")


def bracket_depth(text: str) -> int:
    """How deeply ``(`` and ``[`` nest in ``text``, outside its string literals.

    >>> bracket_depth('lower((a)) in ["(", [1]]'), bracket_depth("a or b"), bracket_depth("((")
    (2, 0, 2)
    """
    deepest = level = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        level += 1 if m.group() in "([" else -1
        deepest = max(deepest, level)
    return deepest


@contextmanager
def room_for(levels: int) -> Iterator[None]:
    """Within it, parsing ``levels`` of nesting from here cannot exceed the recursion limit; the
    limit is put back after (unless another thread changed it meanwhile)."""
    frames = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        frames, frame = frames + 1, frame.f_back
    needed = frames + FRAMES_PER_LEVEL * (levels + 2) + 200
    before = sys.getrecursionlimit()
    if before >= needed:
        yield
        return
    sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if sys.getrecursionlimit() == needed:
            sys.setrecursionlimit(before)


__all__ = ["FRAMES_PER_LEVEL", "bracket_depth", "room_for"]
