"""The literal text every match of a regex must contain: a cheap ``in`` test before the regex.

``"user_id=" in message`` is false for most messages and costs a fraction of a regex search; when
it is false the regex cannot match, so ``sub`` leaves the text as it is and ``search`` finds
nothing. Skipping the regex then changes no result, only the time taken.
"""

from __future__ import annotations

import re
from re import _parser  # type: ignore[attr-defined]  # the stdlib regex parser (stable in 3.11)


def required_literal(regex: re.Pattern[str]) -> str | None:
    """The longest run of literal characters at the top level of ``regex``, or ``None``.

    Such a run lies outside every group, branch and repeat, so each match contains it.

    >>> required_literal(re.compile(r"user_id=(?P<id>\\d+)"))
    'user_id='
    >>> required_literal(re.compile(r"[a-z]+@[a-z]+\\.com")) in ("@", ".com")
    True
    >>> required_literal(re.compile("(?i)abc")) is None
    True
    """
    if regex.flags & re.IGNORECASE:
        return None
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
    except Exception:  # noqa: BLE001 - no literal is always a correct answer
        return None
    best, run = "", ""
    for op, arg in parsed:
        if op is _parser.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    return best or None


__all__ = ["required_literal"]
