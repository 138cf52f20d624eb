"""The table of built-in expression functions: each name's function, arity and regex arguments.

The parser checks names and argument counts against it (and compiles regex literals at load), the
reference interpreter calls its functions, and the compiler binds them as helpers and folds calls
whose arguments are constant (every function here is total, and all but ``now`` are pure: ``now``
reads the batch's time, ``domain.filter.batch_time``, so it is never folded). ``exists`` is not in
the table: its argument is a field path, not a value, so each engine handles it itself.

The table holds where each function lives, not the function: a module of the library (``fn_text``,
``fn_time`` with its timestamp parsers, ``fn_codec`` with ``hashlib``...) is imported when one of
its functions is first called or compiled, so parsing and compiling an expression that calls none
of them does not pay for it (start-up time: docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Final, final

from pipeflow.domain.json import Json


def _core() -> ModuleType:
    from pipeflow.domain.filter import functions

    return functions


def _text() -> ModuleType:
    from pipeflow.domain.filter import fn_text

    return fn_text


def _number() -> ModuleType:
    from pipeflow.domain.filter import fn_number

    return fn_number


def _data() -> ModuleType:
    from pipeflow.domain.filter import fn_data

    return fn_data


def _codec() -> ModuleType:
    from pipeflow.domain.filter import fn_codec

    return fn_codec


def _time() -> ModuleType:
    from pipeflow.domain.filter import fn_time

    return fn_time


def _batch_time() -> ModuleType:
    from pipeflow.domain.filter import batch_time

    return batch_time


@final
@dataclass(frozen=True, slots=True)
class Builtin:
    """A function of the language: ``fn`` takes between ``min_args`` and ``max_args`` (``None``: any
    number) values; the arguments at ``regex_args`` are regexes; ``boolean``: it always gives a boolean;
    ``pure``: its value depends on its arguments only, so a call with constant arguments may be made
    at compile time (``now`` is not: it reads the batch's time). ``fn`` is the attribute ``attr`` of
    the module ``home`` returns (imported then).
    """

    home: Callable[[], ModuleType]
    attr: str
    min_args: int
    max_args: int | None
    regex_args: tuple[int, ...] = ()
    boolean: bool = False
    pure: bool = True

    @property
    def fn(self) -> Callable[..., Json]:
        """The function itself (its module imported on first use).

        >>> BUILTINS["upper"].fn("abc")
        'ABC'
        """
        fn: Callable[..., Json] = getattr(self.home(), self.attr)
        return fn

    def arity_problem(self, name: str, given: int) -> str | None:
        """Why ``given`` arguments do not fit, or ``None`` when they do.

        >>> BUILTINS["slice"].arity_problem("slice", 1)
        'slice() takes 2 or 3 arguments, got 1'
        >>> BUILTINS["coalesce"].arity_problem("coalesce", 0), BUILTINS["len"].arity_problem("len", 1)
        ('coalesce() needs at least one argument', None)
        """
        low, high = self.min_args, self.max_args
        if low <= given and (high is None or given <= high):
            return None
        if high is None:
            return f"{name}() needs at least {_COUNTS.get(low, str(low))} argument{'s' * (low != 1)}"
        takes = str(low) if low == high else f"{low} or {high}" if high == low + 1 else f"{low} to {high}"
        return f"{name}() takes {takes} argument{'s' * (takes != '1')}, got {given}"


_COUNTS: Final = {1: "one", 2: "two"}


def _one(home: Callable[[], ModuleType], attr: str, *, boolean: bool = False) -> Builtin:
    return Builtin(home, attr, 1, 1, boolean=boolean)


BUILTINS: Final[Mapping[str, Builtin]] = MappingProxyType(
    {
        "lower": _one(_core, "lower"),
        "upper": _one(_core, "upper"),
        "len": _one(_core, "length"),
        "int": _one(_core, "to_int"),
        "float": _one(_core, "to_float"),
        "str": _one(_core, "to_str"),
        "coalesce": Builtin(_core, "coalesce", 1, None),
        "trim": _one(_text, "trim"),
        "ltrim": _one(_text, "ltrim"),
        "rtrim": _one(_text, "rtrim"),
        "replace": Builtin(_text, "replace", 3, 3),
        "replace_regex": Builtin(_text, "replace_regex", 3, 3, regex_args=(1,)),
        "split": Builtin(_text, "split", 2, 2),
        "join": Builtin(_text, "join", 2, 2),
        "slice": Builtin(_text, "slice_", 2, 3),
        "index_of": Builtin(_text, "index_of", 2, 2),
        "capture": Builtin(_text, "capture", 2, 2, regex_args=(1,)),
        "abs": _one(_number, "abs_"),
        "floor": _one(_number, "floor"),
        "ceil": _one(_number, "ceil"),
        "round": Builtin(_number, "round_", 1, 2),
        "min": Builtin(_number, "min_", 1, None),
        "max": Builtin(_number, "max_", 1, None),
        "type_of": _one(_data, "type_of"),
        "is_string": _one(_data, "is_string", boolean=True),
        "is_number": _one(_data, "is_number_", boolean=True),
        "is_boolean": _one(_data, "is_boolean", boolean=True),
        "is_list": _one(_data, "is_list", boolean=True),
        "is_object": _one(_data, "is_object", boolean=True),
        "is_null": _one(_data, "is_null", boolean=True),
        "bool": _one(_data, "to_bool"),
        "keys": _one(_data, "keys"),
        "values": _one(_data, "values"),
        "get": Builtin(_data, "get", 2, 3),
        "merge": Builtin(_data, "merge", 2, 2),
        "unique": _one(_data, "unique"),
        "sort": _one(_data, "sort"),
        "sum": _one(_number, "sum_"),
        "sha256": _one(_codec, "sha256"),
        "sha1": _one(_codec, "sha1"),
        "md5": _one(_codec, "md5"),
        "base64_encode": _one(_codec, "base64_encode"),
        "base64_decode": _one(_codec, "base64_decode"),
        "url_encode": _one(_codec, "url_encode"),
        "url_decode": _one(_codec, "url_decode"),
        "ip_in_cidr": Builtin(_codec, "ip_in_cidr", 2, 2),
        "is_ipv4": _one(_codec, "is_ipv4", boolean=True),
        "is_ipv6": _one(_codec, "is_ipv6", boolean=True),
        "parse_json": _one(_data, "parse_json"),
        "to_json": _one(_data, "to_json"),
        "parse_timestamp": Builtin(_time, "parse_timestamp", 2, 2),
        "format_timestamp": Builtin(_time, "format_timestamp", 2, 2),
        "now": Builtin(_batch_time, "now", 0, 0, pure=False),
    }
)
"""Every built-in function but ``exists``, by name, in the order the docs list them."""

__all__ = ["BUILTINS", "Builtin"]
