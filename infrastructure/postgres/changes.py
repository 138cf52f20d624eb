"""``Change``: what a ``NOTIFY`` on the management channel says changed (a pipeline or the route table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, final

import orjson

__all__ = ["Change", "ChangeKind", "decode_change"]

ChangeKind: TypeAlias = Literal["pipeline", "routes"]
"""What changed: one pipeline (added, updated or deleted) or the route table."""


@final
@dataclass(frozen=True, slots=True)
class Change:
    """A committed write: ``kind``, the pipeline ``id`` (``routes`` for the table) and the new ``version``.

    For a delete, ``version`` is the tombstone's: the pipeline is gone.
    """

    kind: ChangeKind
    id: str
    version: int

    def to_payload(self) -> str:
        """The ``NOTIFY`` payload: a small JSON object.

        >>> Change("pipeline", "p", 2).to_payload()
        '{"kind":"pipeline","id":"p","version":2}'
        """
        return orjson.dumps({"kind": self.kind, "id": self.id, "version": self.version}).decode()


def decode_change(payload: str) -> Change | None:
    """The change a payload describes, or ``None`` when it is not one of ours.

    >>> decode_change('{"kind":"routes","id":"routes","version":3}')
    Change(kind='routes', id='routes', version=3)
    >>> decode_change("hello") is None
    True
    """
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    kind, ident, version = doc.get("kind"), doc.get("id"), doc.get("version")
    if kind not in ("pipeline", "routes") or not isinstance(ident, str) or not isinstance(version, int):
        return None
    return Change("pipeline" if kind == "pipeline" else "routes", ident, version)
