"""A CPU-time limit on one ``re`` match: the bound that lets grok run on Python's fast ``re``.

CPython's regex engine checks for signals every few thousand steps, so a signal handler that
raises stops a match that runs too long. While searches are being made, a periodic
``ITIMER_VIRTUAL`` timer (user CPU time of the process) ticks every ``TICK_S``; each search takes
a fresh ticket, and a tick that finds the same search running as the ticks before it, for as many
ticks as the search's limit spans, raises ``MatchTimedOut`` out of that search. A search is thus
stopped after between its limit and its limit plus one tick of CPU time. No system call is made
per search; the timer stops itself after a few ticks with no search, and starts again with the
next one. The handler is installed with ``SA_RESTART`` (``siginterrupt(False)``), so a tick does not
interrupt a system call of another thread.

Signals reach Python code only in the main thread, and the process has one ``SIGVTALRM``: the
limit applies when the caller is the main thread and the signal is ours (its handler was the
default one when pipeflow first asked). Elsewhere ``search_within`` answers ``UNBOUNDED`` without
searching, and the caller uses its unbounded or linear-time way instead.
"""

from __future__ import annotations

import atexit
import math
import os
import re
import signal
import threading
from enum import Enum
from types import FrameType
from typing import Final, Literal, TypeAlias


class MatchTimedOut(Exception):
    """Raised by the timer's handler inside a search that outlived its limit."""


class Outcome(Enum):
    """Why ``search_within`` has no match object to give."""

    TIMED_OUT = "timed out"
    UNBOUNDED = "unbounded"


TIMED_OUT: Final = Outcome.TIMED_OUT
"""The search ran past its limit and was stopped."""

UNBOUNDED: Final = Outcome.UNBOUNDED
"""No limit can be set here (not the main thread, or ``SIGVTALRM`` belongs to someone else)."""

Searched: TypeAlias = re.Match[str] | Literal[Outcome.TIMED_OUT, Outcome.UNBOUNDED] | None
"""A match, ``None`` (no match), ``TIMED_OUT`` or ``UNBOUNDED``."""

TICK_S: Final = 0.005
"""The timer's period in CPU seconds: a limit is kept to within one tick."""

_IDLE_TICKS = 20  # ticks in a row with no search before the timer stops itself


def ticks(seconds: float) -> int:
    """How many ticks in a row must find one search running to stop it after ``seconds``.

    >>> ticks(0.02), ticks(0.001), ticks(0.0225)
    (5, 2, 6)
    """
    return max(2, math.ceil(seconds / TICK_S - 1e-9) + 1)


class _Watchdog:
    """The process's one ``SIGVTALRM`` handler, its periodic timer and the search under way."""

    def __init__(self) -> None:
        self.main = threading.main_thread().ident
        self.ours: bool | None = None  # None: not asked yet
        self.running = False  # the periodic timer ticks
        self.armed = False  # a search is under way: a tick may stop it
        self.ticket = 0  # the search under way (or the last one)
        self.need = 2  # ticks in a row that stop it
        self.seen = -1  # the ticket the last ticks found
        self.streak = 0  # how many ticks in a row found it
        self.idle = 0  # ticks in a row that found no search

    def forked(self) -> None:
        """In a child process: no timer ticks there (``fork`` does not pass timers on)."""
        self.main, self.running, self.armed = threading.get_ident(), False, False

    def start(self) -> bool:
        """Start ticking (the caller is the main thread) when the signal is ours; whether it ticks."""
        if self.ours is None:
            self.ours = signal.getsignal(signal.SIGVTALRM) == signal.SIG_DFL
            if self.ours:
                signal.signal(signal.SIGVTALRM, self.tick)
                signal.siginterrupt(signal.SIGVTALRM, False)
        if self.ours:
            self.idle, self.running = 0, True
            signal.setitimer(signal.ITIMER_VIRTUAL, TICK_S, TICK_S)
        return self.ours

    def stop(self) -> None:
        """Stop ticking (at exit: once Python restores the default action, a tick would kill it)."""
        self.running = False
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)

    def tick(self, signum: int, frame: FrameType | None) -> None:
        """Stop the search under way once enough ticks in a row found it; stop ticking when idle."""
        if not self.armed:
            self.seen, self.idle = -1, self.idle + 1
            if self.idle >= _IDLE_TICKS:
                self.stop()
            return
        self.idle = 0
        if self.ticket != self.seen:
            self.seen, self.streak = self.ticket, 1
            return
        self.streak += 1
        if self.streak >= self.need:
            self.armed = False
            raise MatchTimedOut


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.forked)
atexit.register(_WATCHDOG.stop)


def ticking() -> bool:
    """Whether the timer ticks now (it stops itself after ``_IDLE_TICKS`` ticks with no search)."""
    return _WATCHDOG.running


def search_within(regex: re.Pattern[str], text: str, need: int) -> Searched:
    """``regex.search(text)``, stopped once ``need`` ticks in a row (see ``ticks``) found it running.

    >>> search_within(re.compile("b+"), "abbc", ticks(0.01))
    <re.Match object; span=(1, 3), match='bb'>
    >>> search_within(re.compile(r"(a+)+$"), "a" * 64 + "!", ticks(0.01))
    <Outcome.TIMED_OUT: 'timed out'>
    """
    dog = _WATCHDOG
    if threading.get_ident() != dog.main:  # before anything changes: a tick raises in the main thread
        return UNBOUNDED
    dog.ticket += 1
    dog.need = need
    dog.armed = True  # from here on no tick stops the timer
    try:
        if not dog.running and not dog.start():
            return UNBOUNDED
        match = regex.search(text)
        dog.armed = False  # from here on a tick finds no search
    except MatchTimedOut:
        return TIMED_OUT
    finally:
        dog.armed = False
    return match


__all__ = [
    "TICK_S",
    "TIMED_OUT",
    "UNBOUNDED",
    "MatchTimedOut",
    "Outcome",
    "Searched",
    "search_within",
    "ticking",
    "ticks",
]
