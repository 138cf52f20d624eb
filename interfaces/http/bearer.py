"""Checking an ``Authorization: Bearer <token>`` header (RFC 6750; the scheme in any case)."""

from __future__ import annotations

import secrets

__all__ = ["bearer_matches"]


def bearer_matches(header: bytes, token: bytes) -> bool:
    """Whether ``header`` (an ``Authorization`` value) carries ``token`` as a bearer token.

    The scheme's case does not matter (RFC 7235: ``bearer`` is ``Bearer``); the token is compared
    in constant time.

    >>> bearer_matches(b"Bearer s3cret", b"s3cret"), bearer_matches(b"bearer s3cret", b"s3cret")
    (True, True)
    >>> bearer_matches(b"Basic s3cret", b"s3cret"), bearer_matches(b"Bearer nope", b"s3cret")
    (False, False)
    """
    scheme, _, credentials = header.partition(b" ")
    return scheme.lower() == b"bearer" and secrets.compare_digest(credentials.strip(), token)
