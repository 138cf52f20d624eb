"""The ``elasticsearch`` sink against a fake ``_bulk`` endpoint answering as Elasticsearch documents
(``tests/es_server.py``): every per-item status, whole-request 413/401/503, gzip and auth headers,
and the sink actor dead-letters the documents the store refused, alone, with its reason."""

from __future__ import annotations

import gzip

import anyio
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.metered_sinks import metered
from pipeflow.infrastructure.metrics import Metrics
from pipeflow.infrastructure.sinks.elasticsearch import ElasticsearchSink, auth_header
from pipeflow.infrastructure.sinks.errors import SinkError
from tests.es_server import FakeElasticsearch, fake_elasticsearch
from tests.fakes import FakeClock, MemoryDeadLetterStore

_META = EventMeta("src", 0.0)
_DAY = "2024-03-05T10:00:00Z"


def _event(i: int, **fields: object) -> Event:
    body: JsonObject = {"@timestamp": _DAY, "i": i, **fields}  # type: ignore[dict-item]
    return Event(EventId(f"E{i:03d}"), _META, body)


def _sink(server: FakeElasticsearch, **options: object) -> ElasticsearchSink:
    settings: dict[str, object] = {"item_backoff_s": 0.0, **options}
    return ElasticsearchSink("es", server.url, clock=FakeClock(), **settings)  # type: ignore[arg-type]


async def test_each_item_status_is_read_alone_and_retried_items_are_resent_alone() -> None:
    key = auth_header(api_key="id:secret")
    with fake_elasticsearch(authorization=key) as server:
        server.docs["logs-2024.03.05"] = {"E001": {"i": 1}}  # already there: 409
        sink = _sink(server, authorization=key)
        events = [_event(0), _event(1), _event(2, flaky=2), _event(3, n="x"), _event(4)]
        await sink.open()
        await sink.write(events)
        await sink.close()

    assert sorted(server.all_ids()) == ["E000", "E001", "E002", "E004"]
    assert server.docs["logs-2024.03.05"]["E001"] == {"i": 1}  # the 409 kept what was there
    assert [r["documents"] for r in server.requests] == [5, 1, 1]  # then the 429 document alone
    assert server.tries["E002"] == 3
    for request in server.requests:
        assert request["headers"]["Content-Encoding"] == "gzip"
        assert request["headers"]["Content-Type"] == "application/x-ndjson"
        assert request["headers"]["Authorization"] == "ApiKey aWQ6c2VjcmV0"
    rejected = sink.take_rejected()
    assert list(rejected) == ["E003"]
    assert rejected["E003"].startswith("HTTP 400 mapper_parsing_exception: failed to parse field [n]")
    assert 'caused by illegal_argument_exception: For input string: "x"' in rejected["E003"]
    assert sink.take_rejected() == {}


async def test_items_still_throttled_fail_the_write_and_the_next_write_sends_only_them() -> None:
    with fake_elasticsearch() as server:
        sink = _sink(server, item_retries=1, compression="none")
        events = [_event(0), _event(1, flaky=3), _event(2, n="bad")]
        await sink.open()
        with pytest.raises(SinkError) as failed:
            await sink.write(events)
        assert failed.value.retryable
        assert "1 of 3 documents not stored after 2 tries: HTTP 429 es_rejected_execution_exception" in str(
            failed.value
        )
        await sink.write(events)  # the runtime's retry of the same batch
        await sink.close()

    assert [r["documents"] for r in server.requests] == [3, 1, 1, 1]  # the second write: E001 alone
    assert server.tries == {"E000": 1, "E001": 4, "E002": 1}
    assert "Content-Encoding" not in server.requests[0]["headers"]
    assert sorted(server.all_ids()) == ["E000", "E001"]
    assert list(sink.take_rejected()) == ["E002"]  # refused in the first try, remembered


async def test_a_request_over_the_size_limit_is_split_in_halves_and_a_lone_document_refused() -> None:
    with fake_elasticsearch(max_bytes=700) as server:
        sink = _sink(server)
        events = [_event(i, text="x" * 40) for i in range(8)] + [_event(8, text="y" * 2000)]
        await sink.open()
        await sink.write(events)
        await sink.close()

    assert sorted(server.all_ids()) == [f"E{i:03d}" for i in range(8)]
    assert server.requests[0]["status"] == 413
    assert sum(r["documents"] for r in server.requests if r["status"] == 200) == 8
    assert sink.take_rejected() == {
        "E008": "HTTP 413: the document alone is over the cluster's request limit"
    }


async def test_a_refused_request_is_not_retryable_and_says_why() -> None:
    with fake_elasticsearch(authorization=auth_header(user="elastic", password="right")) as server:
        sink = _sink(server, authorization=auth_header(user="elastic", password="wrong"))
        await sink.open()
        with pytest.raises(SinkError) as failed:
            await sink.write([_event(0)])
        await sink.close()

    assert not failed.value.retryable
    assert f"HTTP 401 from {server.url}/_bulk: security_exception: unable to authenticate" in str(
        failed.value
    )
    assert server.all_ids() == []


async def test_an_unavailable_cluster_is_retryable_and_the_body_is_gzip() -> None:
    with fake_elasticsearch(fail_requests=1) as server:
        sink = _sink(server, pipeline="geoip")
        await sink.open()
        with pytest.raises(SinkError) as failed:
            await sink.write([_event(0)])
        await sink.write([_event(0)])
        await sink.close()

    assert failed.value.retryable
    assert "HTTP 503" in str(failed.value)
    assert "cluster_block_exception" in str(failed.value)
    assert server.all_ids() == ["E000"]
    assert server.requests[1]["path"] == "/_bulk?pipeline=geoip"
    body = gzip.decompress(server.requests[1]["raw"]).decode()
    assert (
        body == f'{{"create":{{"_index":"logs-2024.03.05","_id":"E000"}}}}\n{{"@timestamp":"{_DAY}","i":0}}\n'
    )


async def test_a_closed_port_is_a_retryable_error() -> None:
    with fake_elasticsearch() as server:
        url = server.url
    sink = ElasticsearchSink("es", url, clock=FakeClock(), timeout_s=2.0)
    await sink.open()
    with pytest.raises(SinkError) as failed:
        await sink.write([_event(0)])
    await sink.close()
    assert failed.value.retryable


async def _through_actor(
    sink: ElasticsearchSink, events: list[Event]
) -> tuple[RunStats, MemoryDeadLetterStore]:
    stats, store, acked = RunStats(), MemoryDeadLetterStore(), []
    dead = DeadLetterActor(store, stats, RetryPolicy(attempts=1))
    actor = SinkActor(
        "es", metered(sink, Metrics()), max_events=100, when_full="block",
        retry=RetryPolicy(attempts=3, backoff_s=0), dead_letters=dead, stats=stats, clock=lambda: 7.0,
    )  # fmt: skip
    await actor.offer(Delivery(events, "src", "all", None, lambda: acked.append(1)))
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    assert acked == [1]  # acknowledged once, after the write and the dead letters
    return stats, store


async def test_the_sink_actor_dead_letters_refused_documents_alone_with_the_reason() -> None:
    with fake_elasticsearch(fail_requests=1) as server:
        sink = _sink(server, item_retries=0)
        events = [_event(0), _event(1, n="x"), _event(2, flaky=1), _event(3)]
        stats, store = await _through_actor(sink, events)

    assert sorted(server.all_ids()) == ["E000", "E002", "E003"]
    assert stats.events_out == {"es": 3}
    assert stats.retries == 2  # the 503, then the 429 left after the write
    assert [r.id for r in store.records] == ["E001"]
    record = store.records[0]
    assert record.stage == "sink:es"
    assert record.event == events[1].fields
    assert record.reason.startswith("sink 'es' refused the event: HTTP 400 mapper_parsing_exception")
    assert [r["documents"] for r in server.requests] == [0, 4, 1]
