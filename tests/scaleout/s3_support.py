"""Helpers of the S3 tests: moto's credentials, a fresh bucket, and the objects read back whole."""

from __future__ import annotations

import gzip
import json
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""What moto accepts (anything); set for the tests' own clients and for ``pipeflow`` processes."""


def client(url: str) -> S3Client:
    """A boto3 client of the moto server at ``url``."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def new_bucket(s3: S3Client) -> str:
    """A bucket of its own for one test."""
    name = f"pipeflow-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def env() -> dict[str, str]:
    """The environment of a ``pipeflow`` process that talks to moto."""
    return {**os.environ, **CREDENTIALS}


@dataclass(frozen=True)
class StoredObject:
    """One object read back: its key, its size as stored, its NDJSON and the events in it."""

    key: str
    stored_bytes: int
    ndjson: bytes
    events: list[dict[str, Any]]
    content_encoding: str | None


def read_objects(s3: S3Client, bucket: str) -> list[StoredObject]:
    """Every object of ``bucket`` in key order, gunzipped; fails on a torn line or a bad gzip body."""
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            answer = s3.get_object(Bucket=bucket, Key=key)
            raw = answer["Body"].read()
            ndjson = gzip.decompress(raw) if key.endswith(".gz") else raw
            assert ndjson.endswith(b"\n"), f"{key} does not end with a whole line"
            events = [json.loads(line) for line in ndjson.splitlines()]
            objects.append(StoredObject(key, len(raw), ndjson, events, answer.get("ContentEncoding")))
    return sorted(objects, key=lambda o: o.key)


__all__ = ["CREDENTIALS", "StoredObject", "client", "env", "new_bucket", "read_objects"]
