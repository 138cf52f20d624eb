"""A fake Elasticsearch ``_bulk`` endpoint on 127.0.0.1, answering as Elasticsearch documents it.

Not a cluster: one index map in memory, and answers shaped like Elasticsearch 8's. The rules:

- the request must be ``POST /_bulk`` with ``Content-Type: application/x-ndjson``; a gzip body
  (``Content-Encoding: gzip``) is inflated; a wrong ``Authorization`` is a 401 ``security_exception``;
- a body over ``max_bytes`` (once inflated) is a 413 with an empty body (``http.max_content_length``);
- an action other than ``create`` with ``_index`` and ``_id``, or a source that is no JSON object,
  is a 400 for the whole request (``illegal_argument_exception``);
- per document: an ``_id`` already in its index is 409 ``version_conflict_engine_exception``;
  a document with ``"flaky": k`` is 429 ``es_rejected_execution_exception`` its first ``k`` times;
  a field ``n`` that is not an integer (mapped ``long``) is 400 ``mapper_parsing_exception``;
  else 201, stored. ``errors`` is true when any item failed;
- the first ``fail_requests`` requests are answered 503 as a whole.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.http_server import serving

__all__ = ["FakeElasticsearch", "fake_elasticsearch"]


@dataclass
class FakeElasticsearch:
    """The server's state: documents by index and id, what came, and the rules' settings."""

    authorization: str | None = None
    max_bytes: int = 100 << 20
    fail_requests: int = 0
    url: str = ""
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # index -> id -> source
    requests: list[dict[str, Any]] = field(default_factory=list)  # headers, documents, status
    tries: dict[str, int] = field(default_factory=dict)  # id -> times seen
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all_ids(self) -> list[str]:
        """Every stored ``_id``, in every index."""
        return [i for index in self.docs.values() for i in index]

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes]:
        """The status and body Elasticsearch would give this request."""
        with self.lock:
            status, body, count = self._answer(headers, raw)
            self.requests.append(
                {"path": path, "headers": headers, "documents": count, "status": status, "raw": raw}
            )
            return status, body

    def _answer(self, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, int]:
        if self.authorization is not None and headers.get("Authorization") != self.authorization:
            reason = "unable to authenticate user for REST request [/_bulk]"
            return 401, _error(401, "security_exception", reason), 0
        if not headers.get("Content-Type", "").startswith("application/x-ndjson"):
            return 406, _error(406, "media_type_header_exception", "Invalid media-type value"), 0
        if self.fail_requests > 0:
            self.fail_requests -= 1
            return 503, _error(503, "cluster_block_exception", _NOT_RECOVERED), 0
        body = gzip.decompress(raw) if headers.get("Content-Encoding") == "gzip" else raw
        if len(body) > self.max_bytes:  # http.max_content_length counts the inflated content
            return 413, b"", 0
        lines = body.decode("utf-8").splitlines()
        if len(lines) % 2:
            return 400, _error(400, "illegal_argument_exception", _NO_NEWLINE), 0
        items: list[dict[str, Any]] = []
        for n in range(0, len(lines), 2):
            action, source = json.loads(lines[n]), json.loads(lines[n + 1])
            meta = action.get("create") if isinstance(action, dict) else None
            if not isinstance(meta, dict) or set(meta) != {"_index", "_id"} or not isinstance(source, dict):
                reason = f"Malformed action/metadata line [{n + 1}], expected create with _index and _id"
                return 400, _error(400, "illegal_argument_exception", reason), 0
            items.append({"create": self._create(meta["_index"], meta["_id"], source)})
        errors = any(item["create"]["status"] >= 300 for item in items)
        return 200, json.dumps({"took": 3, "errors": errors, "items": items}).encode(), len(items)

    def _create(self, index: str, doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
        seen = self.tries[doc_id] = self.tries.get(doc_id, 0) + 1
        head = {"_index": index, "_id": doc_id}
        if doc_id in self.docs.get(index, {}):
            reason = f"[{doc_id}]: version conflict, document already exists (current version [1])"
            return {**head, "status": 409, "error": _cause("version_conflict_engine_exception", reason)}
        if seen <= int(source.get("flaky", 0)):
            return {**head, "status": 429, "error": _cause("es_rejected_execution_exception", _REJECTED)}
        value = source.get("n")
        if "n" in source and (not isinstance(value, int) or isinstance(value, bool)):
            reason = (
                f"failed to parse field [n] of type [long] in document with id '{doc_id}'."
                f" Preview of field's value: '{value}'"
            )
            error = _cause("mapper_parsing_exception", reason)
            error["caused_by"] = _cause("illegal_argument_exception", f'For input string: "{value}"')
            return {**head, "status": 400, "error": error}
        self.docs.setdefault(index, {})[doc_id] = source
        return {**head, "_version": 1, "result": "created", "_seq_no": 0, "_primary_term": 1, "status": 201}


_NOT_RECOVERED = "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"
_NO_NEWLINE = "The bulk request must be terminated by a newline [\\n]"
_REJECTED = (
    "rejected execution of coordinating operation [coordinating_and_primary_bytes=0,"
    " replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=1]"
)


def _cause(kind: str, reason: str) -> dict[str, Any]:
    return {"type": kind, "reason": reason}


def _error(status: int, kind: str, reason: str) -> bytes:
    cause = _cause(kind, reason)
    return json.dumps({"error": {"root_cause": [cause], **cause}, "status": status}).encode()


@contextmanager
def fake_elasticsearch(**settings: Any) -> Iterator[FakeElasticsearch]:
    """Serve a ``FakeElasticsearch(**settings)`` on a free port for the block (its ``url`` set)."""
    state = FakeElasticsearch(**settings)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.split("?")[0] != "/_bulk":
                status, body = 404, _error(404, "not_found", f"no handler for {self.path}")
            else:
                status, body = state.answer(self.path, dict(self.headers.items()), raw)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    with serving(Handler, join_timeout_s=5.0) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state
