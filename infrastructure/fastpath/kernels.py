"""Fusing pipeline functions: each built-in becomes a few lines of source working on a plain dict.

The fused code owns the event's fields ``f`` (a dict parsed for this event, or a copy taken at
a fan-out) and changes it in place, as the reference engine's ``Event.with_field`` would build a
new one. Nested containers are never changed in place: a nested write goes through ``set_in``
(structural sharing), so a shallow copy of ``f`` is a true copy. A kernel computes before it
writes, so a failing kernel leaves ``f`` as it was before that function (what a dead letter holds).

Three tiers, fastest first: the built-ins below are written inline; any function with a
``fuse()`` method (the ``Fusable`` protocol; plugins may implement it) runs as one call on the dict;
every other function runs through the reference engine on an ``Event`` (``compiler.py``).

The built-ins are recognised without importing their modules (``is_drop`` and the like): a config that uses
none of them does not pay for their modules and config models at start-up.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeGuard, runtime_checkable

from pipeflow.domain.filter.constant import Constant
from pipeflow.domain.filter.guard import Guarded
from pipeflow.domain.json import JsonObject
from pipeflow.domain.paths import Path, set_in
from pipeflow.domain.ports import PipelineFn
from pipeflow.infrastructure.fastpath.writer import Writer

if TYPE_CHECKING:
    from pipeflow.infrastructure.functions.drop import DropEvents
    from pipeflow.infrastructure.functions.eval import Eval
    from pipeflow.infrastructure.functions.mask import Mask
    from pipeflow.infrastructure.functions.regex_extract import RegexExtract


@runtime_checkable
class Fusable(Protocol):
    """A function that can also work in place on a dict: ``fuse()`` gives that kernel.

    The kernel changes the fields it is given in place (never nested containers: use
    ``domain.paths.set_in`` for nested writes) and returns ``False`` to drop the event. It must do
    exactly what ``__call__`` does when that returns ``Pass`` or ``Drop``; a function that may
    ``Split`` is not fusable.
    """

    def fuse(self) -> Callable[[JsonObject], bool]:
        """The in-place kernel of this function."""
        ...


def _builtin(fn: object, module: str, name: str) -> bool:
    """Whether ``fn`` is an instance of the class ``name`` of ``pipeflow.infrastructure.functions.<module>``.

    The module is not imported to answer: its functions exist only once it is imported.

    >>> _builtin(object(), "drop", "DropEvents"), _builtin(object(), "no_such_function", "X")
    (False, False)
    """
    home = sys.modules.get(f"pipeflow.infrastructure.functions.{module}")
    return home is not None and isinstance(fn, getattr(home, name))


def is_drop(fn: object) -> TypeGuard[DropEvents]:
    """Whether ``fn`` is the built-in ``drop``."""
    return _builtin(fn, "drop", "DropEvents")


def _is_mask(fn: object) -> TypeGuard[Mask]:
    return _builtin(fn, "mask", "Mask")


def _is_extract(fn: object) -> TypeGuard[RegexExtract]:
    return _builtin(fn, "regex_extract", "RegexExtract")


def _is_eval(fn: object) -> TypeGuard[Eval]:
    return _builtin(fn, "eval", "Eval")


def fuse(w: Writer, indent: int, fn: PipelineFn, drop: list[str], *, read_ahead: bool = False) -> bool:
    """Emit the kernel of ``fn`` at ``indent`` (``drop`` are the lines that drop the event).

    Returns ``False``, having emitted nothing, when ``fn`` cannot be fused. With ``read_ahead``
    a filter's fields are read into locals that later code shares (``Writer.test``).
    """
    if isinstance(fn, Guarded):
        if not _fusable(fn.fn):
            return False
        cond = w.test(indent, fn.text, fn.predicate, read_ahead=read_ahead)
        if cond == "False":
            return True
        if cond == "True":
            return fuse(w, indent, fn.fn, drop)
        w.emit(indent, f"if {cond}:")
        fuse(w, indent + 1, fn.fn, drop)
        if not is_drop(fn.fn):  # a drop leaves the loop: nothing after it changed
            w.forget()  # what was read or written under the condition is not known after it
        return True
    if is_drop(fn):
        for line in drop:
            w.emit(indent, line)
    elif _is_mask(fn):
        _mask(w, indent, fn)
    elif _is_extract(fn):
        _extract(w, indent, fn)
    elif _is_eval(fn):
        for path, value in fn.assignments:
            const = constant_of(value)
            _write(w, indent, path, f"{w.bind(value, 'e')}(f)" if const is None else w.bind(const[0], "k"))
    elif isinstance(fn, Fusable):
        w.forget()
        w.exact_str = False  # a plugin's kernel may store any ``str`` (a subclass): test as usual
        w.emit(indent, f"if not {w.bind(fn.fuse(), 'k')}(f):")
        for line in drop:
            w.emit(indent + 1, line)
    else:
        return False
    return True


def _fusable(fn: PipelineFn) -> bool:
    return is_drop(fn) or _is_mask(fn) or _is_extract(fn) or _is_eval(fn) or isinstance(fn, Fusable)


_SCALARS = (str, int, float, bool, type(None))


def constant_of(value: Callable[[JsonObject], object]) -> tuple[object] | None:
    """``(v,)`` when the compiled expression ``value`` always returns the immutable constant ``v``.

    The expression compiler says so itself: a constant expression compiles to a ``Constant``.

    >>> from pipeflow.domain.filter import compile_expression
    >>> constant_of(compile_expression("1 + 2")), constant_of(compile_expression("a + 2"))
    ((3,), None)
    >>> constant_of(compile_expression("[1]")) is None  # a list is not inlined: it could change
    True
    """
    if isinstance(value, Constant) and type(value.value) in _SCALARS:
        return (value.value,)
    return None


def _load(w: Writer, indent: int, path: Path) -> str:
    """A local holding the value at ``path`` (``None`` when absent): emitted, or already known."""
    if len(path) == 1 and isinstance(path[0], str):
        known = w.known.get(path[0])
        if known is not None:
            return known
        v = w.local()
        w.emit(indent, f"{v} = f.get({w.bind(path[0], 'k')})")
        w.known[path[0]] = v
        return v
    v = w.local()
    w.emit(indent, f"{v} = _read(f, {w.bind(path, 'p')})")
    return v


def _write(w: Writer, indent: int, path: Path, value: str) -> None:
    if isinstance(path[0], str):
        w.known.pop(path[0], None)
    if len(path) == 1 and isinstance(path[0], str):
        w.emit(indent, f"f[{w.bind(path[0], 'k')}] = {value}")
        return
    new = w.local("n")
    w.emit(indent, f"{new} = {w.bind(set_in, 'set')}(f, {w.bind(path, 'p')}, {value})")
    w.emit(indent, f"if {new} is not f:")
    w.emit(indent + 1, "f.clear()")
    w.emit(indent + 1, f"f.update({new})")


def _string_test(w: Writer, indent: int, value: str, literal: str | None) -> str:
    """The test that ``value`` (a local from ``_load``) is a string holding ``literal``.

    Over raw lines the class is tested once per local, into a flag the next kernels on the same
    field reuse (a mask keeps it a string; any other write forgets the local).
    """
    if w.exact_str:
        test = w.str_flags.get(value)
        if test is None:
            test = w.str_flags[value] = w.local("s")
            w.emit(indent, f"{test} = {value}.__class__ is _str")
    else:
        test = f"{w.bind(isinstance, 'is')}({value}, _str)"
    return test if literal is None else f"{test} and {w.bind(literal, 'l')} in {value}"


def _mask(w: Writer, indent: int, fn: Mask) -> None:
    from pipeflow.infrastructure.fastpath.literals import required_literal

    v = _load(w, indent, fn.path)
    w.emit(indent, f"if {_string_test(w, indent, v, required_literal(fn.regex))}:")
    masked = w.local("m")
    if "\\" in fn.replacement:  # a template: ``Pattern.sub`` imports ``re`` to expand it
        w.emit(indent + 1, f"{masked} = {w.bind(template_sub(fn.regex, fn.replacement), 'sub')}({v})")
    else:
        w.emit(indent + 1, f"{masked} = {w.bind(fn.regex.sub, 'sub')}({w.bind(fn.replacement, 'c')}, {v})")
    w.emit(indent + 1, f"if {masked} != {v}:")
    _write(w, indent + 2, fn.path, masked)
    if len(fn.path) == 1 and isinstance(fn.path[0], str):
        w.emit(indent + 2, f"{v} = {masked}")  # whether masked or not, ``v`` holds the field now
        w.known[fn.path[0]] = v


def template_sub(regex: re.Pattern[str], template: str) -> Callable[[str], str]:
    """``regex.sub(template, text)`` as a function of ``text``, run in this module's frame.

    ``Pattern.sub`` expands a template (a replacement with a backslash) with the ``re`` module,
    which it imports through the builtins of the frame that called it; generated code has none,
    so it calls this function instead (a literal replacement needs no import: called directly).

    >>> template_sub(re.compile(r"(\\d)"), r"<\\1>")("a1b2")
    'a<1>b<2>'
    """

    def sub(text: str) -> str:
        return regex.sub(template, text)

    return sub


def _extract(w: Writer, indent: int, fn: RegexExtract) -> None:
    from pipeflow.infrastructure.fastpath.literals import required_literal

    v, m = _load(w, indent, fn.path), w.local("m")
    for name in fn.regex.groupindex:
        w.known.pop(name, None)
    w.emit(indent, f"if {_string_test(w, indent, v, required_literal(fn.regex))}:")
    w.emit(indent + 1, f"{m} = {w.bind(fn.regex.search, 'search')}({v})")
    w.emit(indent + 1, f"if {m} is not None:")
    names = list(fn.regex.groupindex)
    if len(names) == 1:
        g, key = w.local("g"), w.bind(names[0], "k")
        w.emit(indent + 2, f"{g} = {m}.group({key})")
        w.emit(indent + 2, f"if {g} is not None:")
        w.emit(indent + 3, f"f[{key}] = {g}")
        return
    k, g = w.local("k"), w.local("g")
    w.emit(indent + 2, f"for {k}, {g} in {m}.groupdict().items():")
    w.emit(indent + 3, f"if {g} is not None:")
    w.emit(indent + 4, f"f[{k}] = {g}")


__all__ = ["Fusable", "constant_of", "fuse", "is_drop", "template_sub"]
