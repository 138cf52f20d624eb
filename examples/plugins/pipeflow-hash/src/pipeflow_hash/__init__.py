"""``hash``: replace fields with their hex digest, to pseudonymise PII (a third-party pipeflow plugin).

The distribution registers ``plugin`` under the ``pipeflow.functions`` entry-point group, so
``type: hash`` works in any config once it is installed::

    - type: hash
      fields: [user.email, client_ip]
      algorithm: sha256
      salt: s3cret          # optional: a keyed digest, HMAC-SHA256(salt, value)
      target: _hash         # optional: write ``user.email_hash`` and keep ``user.email``

Strings are hashed as UTF-8, numbers as their JSON text (``42`` hashes ``"42"``, ``1.5``
hashes ``"1.5"``). Any other value (``null``, booleans, lists, objects) and absent fields pass
unchanged. Every digest is computed from the input event, so listing a field and its target
never hashes a digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal, final

from pydantic import Field

from pipeflow import (
    Event,
    Failure,
    FnResult,
    FunctionConfig,
    FunctionPlugin,
    Json,
    Pass,
    Path,
    Problem,
    Problems,
    Result,
    Success,
    parse_path,
)

Algorithm = Literal["sha256", "sha1", "md5", "blake2b"]


class HashConfig(FunctionConfig):
    """Config of ``hash``: which fields to replace with their digest, and how."""

    fields: list[str] = Field(
        min_length=1, description="Field paths to hash; strings and numbers are hashed, other values pass."
    )
    algorithm: Algorithm = Field("sha256", description="The hash function.")
    salt: str | None = Field(
        None, description="A secret: the digest becomes HMAC-<algorithm>(salt, value), not a plain hash."
    )
    target: str | None = Field(
        None,
        min_length=1,
        description="A suffix: write the digest to `<field><suffix>` and keep the field; unset: in place.",
    )


@final
@dataclass(frozen=True, slots=True)
class Hash:
    """Writes the digest of the value at each source path to its target path."""

    paths: tuple[tuple[Path, Path], ...]  # (read from, write to)
    algorithm: Algorithm
    salt: bytes | None

    def digest(self, value: str | int | float) -> str:
        """The hex digest of one value (a string as UTF-8, a number as its JSON text)."""
        text = value if isinstance(value, str) else json.dumps(value)
        data = text.encode("utf-8", "surrogatepass")
        if self.salt is None:
            return hashlib.new(self.algorithm, data).hexdigest()
        return hmac.new(self.salt, data, self.algorithm).hexdigest()

    def __call__(self, event: Event, /) -> FnResult:
        """Hash every listed string or number field; the rest of the event is unchanged."""
        updates: list[tuple[Path, Json]] = []
        for source, target in self.paths:
            value = event.get(source)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                updates.append((target, self.digest(value)))
        for target, digest in updates:
            event = event.with_field(target, digest)
        return Pass(event)


def _paths(config: HashConfig) -> Result[tuple[tuple[Path, Path], ...], Problems]:
    """Each field's (source, target) paths, or the problem with the first field that has one."""
    out: list[tuple[Path, Path]] = []
    for index, text in enumerate(config.fields):
        where = f"fields[{index}]"
        path = parse_path(text)
        if path is None:
            return Failure((Problem(where, f"not a field path: {text!r}"),))
        if config.target is None:
            out.append((path, path))
            continue
        last = path[-1]
        if not isinstance(last, str):
            return Failure((Problem(where, f"{text!r} ends in a list index: a target suffix needs a name"),))
        out.append((path, (*path[:-1], last + config.target)))
    return Success(tuple(out))


def build(config: HashConfig) -> Result[Hash, Problems]:
    """Build ``hash`` from its config: ``Success(Hash(...))``, or ``Failure`` naming a bad field path."""
    salt = None if config.salt is None else config.salt.encode("utf-8")
    return _paths(config).map(lambda paths: Hash(paths, config.algorithm, salt))


plugin = FunctionPlugin("hash", HashConfig, build, "Replace fields with their hex digest (pseudonymise PII).")

__all__ = ["Algorithm", "Hash", "HashConfig", "build", "plugin"]
