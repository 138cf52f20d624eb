"""Storing one whole S3 object (one PutObject, or a multipart upload aborted on failure), and what
an S3 error means for a retry.

Blocking boto3 calls: the ``S3Sink`` runs them in a worker thread. An object is visible only once
its PutObject or CompleteMultipartUpload succeeded, so a failure (or a crash) never leaves a
partial object; an upload cut by a crash stays invisible until a bucket lifecycle rule
(``AbortIncompleteMultipartUpload``) removes its parts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

__all__ = ["MIN_PART_BYTES", "ObjectSpec", "describe_error", "store_object"]

MIN_PART_BYTES = 5 << 20
"""S3's smallest part of a multipart upload (all but the last)."""

# Answers a retry can help: throttling, timeouts, the service's own failures.
_RETRYABLE_CODES = frozenset(
    {
        "SlowDown",
        "RequestTimeout",
        "InternalError",
        "ServiceUnavailable",
        "Throttling",
        "RequestTimeTooSkewed",
    }
)


@final
@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """Where an object goes and how it is labelled."""

    bucket: str
    key: str
    content_type: str
    content_encoding: str | None


def store_object(client: S3Client, spec: ObjectSpec, body: bytes, *, part_bytes: int) -> None:
    """Store ``body`` whole: one PutObject up to ``part_bytes``, else a multipart upload.

    :raises botocore.exceptions.ClientError: an answer of S3 (the upload, if any, aborted first).
    :raises botocore.exceptions.BotoCoreError: no answer (connection, timeout, credentials).
    """
    extra: dict[str, Any] = {"ContentType": spec.content_type}
    if spec.content_encoding is not None:
        extra["ContentEncoding"] = spec.content_encoding
    if len(body) <= part_bytes:
        client.put_object(Bucket=spec.bucket, Key=spec.key, Body=body, **extra)
        return
    upload = client.create_multipart_upload(Bucket=spec.bucket, Key=spec.key, **extra)["UploadId"]
    try:
        parts: list[CompletedPartTypeDef] = []
        view = memoryview(body)
        for number, start in enumerate(range(0, len(body), part_bytes), start=1):
            answer = client.upload_part(
                Bucket=spec.bucket,
                Key=spec.key,
                UploadId=upload,
                PartNumber=number,
                Body=bytes(view[start : start + part_bytes]),
            )
            parts.append({"ETag": answer["ETag"], "PartNumber": number})
        client.complete_multipart_upload(
            Bucket=spec.bucket, Key=spec.key, UploadId=upload, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        with contextlib.suppress(Exception):  # best effort: the upload is invisible either way
            client.abort_multipart_upload(Bucket=spec.bucket, Key=spec.key, UploadId=upload)
        raise


def describe_error(exc: Exception) -> tuple[str, bool]:
    """What went wrong, in S3's own words, and whether trying again can help.

    An S3 answer is retryable when it is a 5xx, 408 or 429, or one of S3's throttling and timeout
    codes; ``AccessDenied``, ``NoSuchBucket`` and the like are not. No answer at all (a refused
    connection, a timeout) is retryable; missing credentials are not.
    """
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

    if isinstance(exc, ClientError):
        error: Any = exc.response.get("Error", {})
        code = str(error.get("Code", "unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        message = str(error.get("Message", "")).strip() or str(exc)
        retryable = status >= 500 or status in (408, 429) or code in _RETRYABLE_CODES
        label = f"HTTP {status}" if code == str(status) else f"{code} (HTTP {status})"
        return f"S3 {label}: {message}", retryable
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"{exc} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role)", False
    return f"{type(exc).__name__}: {exc}", True
