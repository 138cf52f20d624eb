"""``KafkaSink``: produces each event to a topic, keyed by an expression, with the event id in a header."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, final

import anyio
import orjson
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.errors import KafkaConnectionError, KafkaError  # type: ignore[import-untyped]

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.filter import compile_expression
from pipeflow.domain.json import Json, JsonObject
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sources.kafka import EVENT_ID_HEADER

__all__ = ["KafkaSink", "render_key"]


def _consume(future: Any) -> None:
    if not future.cancelled():
        future.exception()


def render_key(value: Json) -> bytes | None:
    """A key expression's value as record key bytes: strings as UTF-8, others as JSON, null as no key.

    >>> render_key("web-1"), render_key(42), render_key(True), render_key(None), render_key([1, "a"])
    (b'web-1', b'42', b'true', None, b'[1,"a"]')
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    return orjson.dumps(value)


@final
class KafkaSink:
    """Produces the events' fields, one JSON object per record, to ``topic``.

    ``key``, an expression over the event's fields (``host``, ``user.id``), is compiled once and
    evaluated per event: records with the same key go to the same partition, in order (null: no
    key, the producer spreads them). Every record carries ``pipeflow-event-id`` = the event id.
    Writes wait for every in-sync replica (``acks="all"``); the producer is idempotent when the
    broker supports it (``idempotent`` says whether it is), so its own retries store a record once.
    A batch is written when the broker acknowledged every record of it.

    :raises ValueError: when ``key`` is not a valid expression (config validation reports it first).
    """

    def __init__(
        self,
        name: str,
        bootstrap_servers: str,
        topic: str,
        *,
        key: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.name = name
        self._servers, self._topic, self._timeout_s = bootstrap_servers, topic, timeout_s
        self._key: Callable[[JsonObject], Json] | None = None
        if key is not None:
            compiled = compile_expression(key)
            if isinstance(compiled, ValidationError):
                raise ValueError(f"kafka sink {name!r}: key: {compiled}")
            self._key = compiled
        self._producer: Any = None
        self.idempotent = False

    async def open(self) -> None:
        """Connect: an idempotent producer, or a plain one when the broker refuses producer ids.

        :raises aiokafka.errors.KafkaError: when the brokers cannot be reached.
        """
        if self._producer is not None:
            return
        try:
            self._producer = await self._start(idempotent=True)
            self.idempotent = True
        except KafkaConnectionError:
            raise
        except KafkaError:  # InitProducerId unsupported (some Kafka-protocol brokers)
            self._producer = await self._start(idempotent=False)

    async def _start(self, *, idempotent: bool) -> Any:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            client_id=f"pipeflow-{self.name}",
            acks="all",
            enable_idempotence=idempotent,
            request_timeout_ms=round(self._timeout_s * 1000),
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    async def write(self, events: Sequence[Event]) -> None:
        """Produce the batch and wait for the broker's acknowledgements, in order.

        :raises SinkError: when a record was not acknowledged; ``written`` counts those before it.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        producer = self._producer
        if producer is None:
            raise RuntimeError(f"kafka sink {self.name!r} written before open()")
        key_of = self._key
        futures: list[Any] = []
        written = 0
        try:
            with anyio.fail_after(self._timeout_s):
                for event in events:
                    key = render_key(key_of(event.fields)) if key_of is not None else None
                    futures.append(
                        await producer.send(
                            self._topic,
                            value=orjson.dumps(event.fields),
                            key=key,
                            headers=[(EVENT_ID_HEADER, event.id.encode("ascii"))],
                        )
                    )
                for future in futures:
                    await future
                    written += 1
        except TimeoutError:
            raise SinkError(self.name, f"no ack within {self._timeout_s}s", written=written) from None
        except KafkaError as exc:
            raise SinkError(self.name, f"{type(exc).__name__}: {exc}", written=written) from exc
        finally:
            for future in futures[written:]:
                future.add_done_callback(_consume)  # their outcome no longer matters

    async def close(self) -> None:
        """Flush and disconnect."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
