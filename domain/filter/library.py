"""The table of built-in expression functions: each name's function, arity and regex arguments.

The parser checks names and argument counts against it (and compiles regex literals at load), the
reference interpreter calls its functions, and the compiler binds them as helpers and folds calls
whose arguments are constant (every function here is total, and all but ``now`` are pure: ``now``
reads the batch's time, ``domain.filter.batch_time``, so it is never folded). ``exists`` is not in
the table: its argument is a field path, not a value, so each engine handles it itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, final

from pipeflow.domain.filter import batch_time, fn_codec, fn_data, fn_number, fn_text, fn_time
from pipeflow.domain.filter import functions as core
from pipeflow.domain.json import Json


@final
@dataclass(frozen=True, slots=True)
class Builtin:
    """A function of the language: ``fn`` takes between ``min_args`` and ``max_args`` (``None``: any
    number) values; the arguments at ``regex_args`` are regexes; ``boolean``: it always gives a boolean;
    ``pure``: its value depends on its arguments only, so a call with constant arguments may be made
    at compile time (``now`` is not: it reads the batch's time).
    """

    fn: Callable[..., Json]
    min_args: int
    max_args: int | None
    regex_args: tuple[int, ...] = ()
    boolean: bool = False
    pure: bool = True

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


def _one(fn: Callable[[Json], Json], *, boolean: bool = False) -> Builtin:
    return Builtin(fn, 1, 1, boolean=boolean)


BUILTINS: Final[Mapping[str, Builtin]] = MappingProxyType(
    {
        "lower": _one(core.lower),
        "upper": _one(core.upper),
        "len": _one(core.length),
        "int": _one(core.to_int),
        "float": _one(core.to_float),
        "str": _one(core.to_str),
        "coalesce": Builtin(core.coalesce, 1, None),
        "trim": _one(fn_text.trim),
        "ltrim": _one(fn_text.ltrim),
        "rtrim": _one(fn_text.rtrim),
        "replace": Builtin(fn_text.replace, 3, 3),
        "replace_regex": Builtin(fn_text.replace_regex, 3, 3, regex_args=(1,)),
        "split": Builtin(fn_text.split, 2, 2),
        "join": Builtin(fn_text.join, 2, 2),
        "slice": Builtin(fn_text.slice_, 2, 3),
        "index_of": Builtin(fn_text.index_of, 2, 2),
        "capture": Builtin(fn_text.capture, 2, 2, regex_args=(1,)),
        "abs": _one(fn_number.abs_),
        "floor": _one(fn_number.floor),
        "ceil": _one(fn_number.ceil),
        "round": Builtin(fn_number.round_, 1, 2),
        "min": Builtin(fn_number.min_, 1, None),
        "max": Builtin(fn_number.max_, 1, None),
        "type_of": _one(fn_data.type_of),
        "is_string": _one(fn_data.is_string, boolean=True),
        "is_number": _one(fn_data.is_number_, boolean=True),
        "is_boolean": _one(fn_data.is_boolean, boolean=True),
        "is_list": _one(fn_data.is_list, boolean=True),
        "is_object": _one(fn_data.is_object, boolean=True),
        "is_null": _one(fn_data.is_null, boolean=True),
        "bool": _one(fn_data.to_bool),
        "keys": _one(fn_data.keys),
        "values": _one(fn_data.values),
        "get": Builtin(fn_data.get, 2, 3),
        "merge": Builtin(fn_data.merge, 2, 2),
        "unique": _one(fn_data.unique),
        "sort": _one(fn_data.sort),
        "sum": _one(fn_number.sum_),
        "sha256": _one(fn_codec.sha256),
        "sha1": _one(fn_codec.sha1),
        "md5": _one(fn_codec.md5),
        "base64_encode": _one(fn_codec.base64_encode),
        "base64_decode": _one(fn_codec.base64_decode),
        "url_encode": _one(fn_codec.url_encode),
        "url_decode": _one(fn_codec.url_decode),
        "ip_in_cidr": Builtin(fn_codec.ip_in_cidr, 2, 2),
        "is_ipv4": _one(fn_codec.is_ipv4, boolean=True),
        "is_ipv6": _one(fn_codec.is_ipv6, boolean=True),
        "parse_json": _one(fn_data.parse_json),
        "to_json": _one(fn_data.to_json),
        "parse_timestamp": Builtin(fn_time.parse_timestamp, 2, 2),
        "format_timestamp": Builtin(fn_time.format_timestamp, 2, 2),
        "now": Builtin(batch_time.now, 0, 0, pure=False),
    }
)
"""Every built-in function but ``exists``, by name, in the order the docs list them."""

__all__ = ["BUILTINS", "Builtin"]
