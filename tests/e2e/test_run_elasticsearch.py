"""``pipeflow run``: a file into the ``elasticsearch`` sink, a fake ``_bulk`` endpoint answering as
Elasticsearch documents it (``tests/es_server.py``): every event is stored exactly once by ``_id``
across a failed request, throttled documents and a request over the size limit, and the document
the mapping refuses is a dead letter with Elasticsearch's reason."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import cli, dead_letter_rows, no_traceback, write_config, write_ndjson
from tests.es_server import fake_elasticsearch

CONFIG = """
sources:
  app: {{type: file, path: app.ndjson}}
sinks:
  es:
    type: elasticsearch
    url: "{url}"
    index: "app-%Y.%m.%d"
    auth: {{user: elastic, password: changeme}}
    batch_size: 40
    item_retries: 0
    retry: {{attempts: 5, backoff_ms: 1}}
routes:
  - {{name: all, sink: es}}
"""


def test_every_event_is_stored_once_by_id_and_the_refused_one_is_a_dead_letter(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"@timestamp": f"2024-03-{1 + i % 3:02d}T12:00:00Z", "i": i, "n": i} for i in range(100)
    ]
    rows[7]["flaky"] = 2  # 429 twice: resent alone, by the runtime's retries
    rows[50]["flaky"] = 1
    rows[60]["n"] = "sixty"  # not a long: mapper_parsing_exception
    rows[99] = {"timestamp": 1709856000000, "i": 99, "n": 99}  # epoch ms: 2024-03-08
    write_ndjson(tmp_path / "app.ndjson", rows)
    with fake_elasticsearch(
        authorization="Basic ZWxhc3RpYzpjaGFuZ2VtZQ==", fail_requests=1, max_bytes=3000
    ) as es:
        config = write_config(tmp_path, CONFIG.format(url=es.url))
        done = cli("run", str(config))

    no_traceback(done.stderr)
    assert done.returncode == 0, done.stderr.decode()
    stored = {doc_id: (index, source) for index, docs in es.docs.items() for doc_id, source in docs.items()}
    assert sorted(source["i"] for _, source in stored.values()) == [i for i in range(100) if i != 60]
    assert len(es.all_ids()) == len(set(es.all_ids())) == 99  # once by _id
    by_i = {source["i"]: index for index, source in stored.values()}
    assert by_i[0] == "app-2024.03.01"
    assert by_i[2] == "app-2024.03.03"
    assert by_i[99] == "app-2024.03.08"
    statuses = [r["status"] for r in es.requests]
    assert statuses[0] == 503
    assert 413 in statuses  # 40 documents are over 3000 bytes: split in halves
    assert max(es.tries.values()) == 3  # the flaky=2 document: two 429s then stored
    assert all(r["headers"]["Content-Encoding"] == "gzip" for r in es.requests)
    dead = dead_letter_rows(tmp_path / ".pipeflow")
    assert [d["event"]["i"] for d in dead] == [60]
    assert dead[0]["stage"] == "sink:es"
    assert dead[0]["reason"].startswith(
        "sink 'es' refused the event: HTTP 400 mapper_parsing_exception: failed to parse field [n]"
    )
    err = done.stderr.decode()
    assert "dead-lettered           1" in err
