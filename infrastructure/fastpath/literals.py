"""The literal text every match of a regex must contain: a cheap ``in`` test before the regex.

``"user_id=" in message`` is false for most messages and costs a fraction of a regex search; when
it is false the regex cannot match, so ``sub`` leaves the text as it is and ``search`` finds
nothing. Skipping the regex then changes no result, only the time taken.

The pattern is read here, by Python's own syntax rules but only as far as needed: the top level
is cut into atoms (a literal character, or anything else: a class, a group, an escape that is not
a character, an anchor), a repeat makes what it repeats not literal, and a run of literal atoms is
text every match holds. Whatever is not understood ends a run: a doubt costs speed, not a result.
"""

from __future__ import annotations

import re
from typing import Final

_ESCAPE: Final = re.compile(
    r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|0[0-7]{0,2}|[1-7][0-7]{2}|[0-9]{1,2}|.)",
    re.DOTALL,
)
"""One escape outside a class, as ``re`` reads it (hex, named, octal, a group number, a character)."""
_SIMPLE: Final = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_REPEAT: Final = re.compile(r"\{[0-9]*(?:,[0-9]*)?\}")
"""A ``{m,n}`` repeat (``{}`` is two literal braces); anything else after ``{`` is literal."""
_OTHER: Final = None  # an atom that is not one literal character
_VERBOSE_GROUP: Final = re.compile(r"\(\?[a-zA-Z-]*x")
"""A group that turns verbose mode on: inside it ``#`` starts a comment, which may hold ``)``."""


def required_literal(regex: re.Pattern[str]) -> str | None:
    """The longest run of literal characters at the top level of ``regex``, or ``None``.

    Such a run lies outside every group, branch and repeat, so each match contains it.

    >>> required_literal(re.compile(r"user_id=(?P<id>\\d+)"))
    'user_id='
    >>> required_literal(re.compile(r"[a-z]+@[a-z]+\\.com")) in ("@", ".com")
    True
    >>> required_literal(re.compile(r"ab*c\\x41{2}")), required_literal(re.compile("a|bc"))
    ('a', None)
    >>> required_literal(re.compile("(?i)abc")) is None
    True
    """
    if regex.flags & (re.IGNORECASE | re.VERBOSE) or _VERBOSE_GROUP.search(regex.pattern):
        return None
    units = _units(regex.pattern)
    if units is None:
        return None
    best, run = "", ""
    for atom in (atom for unit in units for atom in unit):
        run = run + atom if atom is not _OTHER else ""
        best = max(best, run, key=len)
    return best or None


def _units(pattern: str) -> list[list[str | None]] | None:
    """The top level of ``pattern`` as the units a repeat applies to, each a list of atoms.

    An atom is a literal character or ``_OTHER``; a plain ``(?:...)`` group is one unit of the
    atoms inside it (as ``re`` unpacks it), a comment is no unit at all. ``None`` when the top
    level has branches (``a|b``): then no text is in every match.
    """
    units: list[list[str | None]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            m = _ESCAPE.match(pattern, i)
            if m is None:  # a lone backslash at the end: not a valid pattern
                return None
            units.append([_escaped(m.group()[1:])])
            i = m.end()
        elif c == "[":
            end = _class_end(pattern, i)
            if end is None:
                return None
            units.append([_single(pattern[i + 1 : end - 1])])
            i = end
        elif c == "(":
            end = _group_end(pattern, i)
            if end is None:
                return None
            if pattern.startswith("(?:", i):
                inner = _units(pattern[i + 3 : end - 1])
                units.append([a for u in inner for a in u] if inner is not None else [_OTHER])
            elif not pattern.startswith("(?#", i):  # a comment is nothing: a repeat after it
                units.append([_OTHER])  # repeats what came before it
            i = end
        elif c in "|)":  # branches; a ``)`` here would mean the groups were misread
            return None
        elif c in "*+?" or (c == "{" and _is_repeat(pattern, i)):
            i = _REPEAT.match(pattern, i).end() if c == "{" else i + 1  # type: ignore[union-attr]
            if i < n and pattern[i] in "?+":  # lazy or possessive
                i += 1
            if units:
                units[-1] = [_OTHER]  # the repeated unit may occur any number of times
        elif c in ".^$":
            units.append([_OTHER])
            i += 1
        else:
            units.append([c])
            i += 1
    return units


def _escaped(body: str) -> str | None:
    """The character an escape (without its backslash) stands for, or ``_OTHER``."""
    first = body[0]
    if first in _SIMPLE and len(body) == 1:
        return _SIMPLE[first]
    if first in "xuU":
        return chr(int(body[1:], 16))
    if first == "0" or (len(body) == 3 and body.isdigit()):
        return chr(int(body, 8))  # octal: ``\0``, ``\012``, ``\101``
    if first.isascii() and first.isalnum():
        return _OTHER  # a class (``\d``), an anchor (``\b``), a group reference, a named character
    return first  # an escaped punctuation or non-ASCII character stands for itself


def _is_repeat(pattern: str, i: int) -> bool:
    m = _REPEAT.match(pattern, i)
    return m is not None and m.group() != "{}"


def _class_end(pattern: str, i: int) -> int | None:
    """Where the class opening at ``i`` ends (after its ``]``): a ``]`` first is a member."""
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while j < len(pattern):
        if pattern[j] == "\\":
            j += 2
        elif pattern[j] == "]":
            return j + 1
        else:
            j += 1
    return None


def _single(members: str) -> str | None:
    """The one character a class such as ``[.]`` or ``[\\.]`` stands for, or ``_OTHER``."""
    if len(members) == 1 and members not in "^\\":
        return members
    if len(members) == 2 and members[0] == "\\" and not (members[1].isascii() and members[1].isalnum()):
        return members[1]
    return _OTHER


def _group_end(pattern: str, i: int) -> int | None:
    """Where the group opening at ``i`` ends (after its ``)``), past nested groups and classes."""
    if pattern.startswith("(?#", i):  # a comment: up to the first ``)`` not escaped
        j = i + 3
        while j < len(pattern) and pattern[j] != ")":
            j += 2 if pattern[j] == "\\" else 1
        return j + 1 if j < len(pattern) else None
    depth, j = 0, i
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            end = _class_end(pattern, j)
            if end is None:
                return None
            j = end
            continue
        if c == "(":
            if pattern.startswith("(?#", j):
                end = _group_end(pattern, j)
                if end is None:
                    return None
                j = end
                continue
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None


__all__ = ["required_literal"]
