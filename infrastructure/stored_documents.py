"""Stored management documents: pipelines and route tables as JSON text and back, for every database.

:raises StoredDocumentInvalid: from the loaders, when a stored document no longer decodes.
"""

from __future__ import annotations

import orjson
from returns.pipeline import is_successful

from pipeflow.application.codecs import pipeline_from_json, route_table_from_json
from pipeflow.domain.pipeline import Pipeline
from pipeflow.domain.routes import RouteTable


class StoredDocumentInvalid(ValueError):
    """A stored pipeline or route table document does not decode any more."""


def dump_document(doc: object) -> str:
    """The JSON text stored for an aggregate's ``to_json()``.

    >>> dump_document({"version": 1, "routes": []})
    '{"version":1,"routes":[]}'
    """
    return orjson.dumps(doc).decode()


def load_pipeline(text: str) -> Pipeline:
    """The pipeline a stored document holds.

    :raises StoredDocumentInvalid: when the document does not decode (it was edited by hand).
    """
    decoded = pipeline_from_json(orjson.loads(text))
    if not is_successful(decoded):
        raise StoredDocumentInvalid(f"stored pipeline: {decoded.failure()}")
    return decoded.unwrap()


def load_route_table(text: str) -> RouteTable:
    """The route table a stored document holds.

    :raises StoredDocumentInvalid: when the document does not decode (it was edited by hand).
    """
    decoded = route_table_from_json(orjson.loads(text))
    if not is_successful(decoded):
        raise StoredDocumentInvalid(f"stored route table: {decoded.failure()}")
    return decoded.unwrap()


__all__ = ["StoredDocumentInvalid", "dump_document", "load_pipeline", "load_route_table"]
