"""Expression functions that encode text: digests, base64, percent-encoding, and IP addresses.

Text is encoded as UTF-8; a string that has no UTF-8 form (a lone surrogate) gives null, as does
any argument of a type the function does not take.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import quote, unquote

from pipeflow.domain.json import Json

_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def _utf8(s: Json) -> bytes | None:
    if not isinstance(s, str):
        return None
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _digest(s: Json, make: Callable[[bytes], hashlib._Hash]) -> Json:
    data = _utf8(s)
    return None if data is None else make(data).hexdigest()


def sha256(s: Json) -> Json:
    """The SHA-256 digest of the UTF-8 bytes, in lowercase hex.

    >>> sha256("abc")[:16], sha256(1)
    ('ba7816bf8f01cfea', None)
    """
    return _digest(s, hashlib.sha256)


def sha1(s: Json) -> Json:
    """The SHA-1 digest of the UTF-8 bytes, in lowercase hex.

    >>> sha1("abc")
    'a9993e364706816aba3e25717850c26c9cd0d89d'
    """
    return _digest(s, lambda b: hashlib.sha1(b, usedforsecurity=False))


def md5(s: Json) -> Json:
    """The MD5 digest of the UTF-8 bytes, in lowercase hex.

    >>> md5(""), md5("\\ud800")
    ('d41d8cd98f00b204e9800998ecf8427e', None)
    """
    return _digest(s, lambda b: hashlib.md5(b, usedforsecurity=False))


def base64_encode(s: Json) -> Json:
    """The UTF-8 bytes in base64 (standard alphabet, with padding).

    >>> base64_encode("héllo"), base64_encode(None)
    ('aMOpbGxv', None)
    """
    data = _utf8(s)
    return None if data is None else base64.b64encode(data).decode("ascii")


def base64_decode(s: Json) -> Json:
    """The text that base64 ``s`` encodes; null for bad base64 or bytes that are not UTF-8.

    >>> base64_decode("aMOpbGxv"), base64_decode("aGk"), base64_decode("/w=="), base64_decode("a$==")
    ('héllo', None, None, None)
    """
    if not isinstance(s, str):
        return None
    try:
        return base64.b64decode(s, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # bad base64, non-ASCII text, or bytes not UTF-8
        return None


def url_encode(s: Json) -> Json:
    """Percent-encoding of the UTF-8 bytes, every reserved character included (``quote(s, safe="")``).

    >>> url_encode("a b/é?"), url_encode(1)
    ('a%20b%2F%C3%A9%3F', None)
    """
    if _utf8(s) is None:
        return None
    return quote(s, safe="")  # type: ignore[arg-type]


def url_decode(s: Json) -> Json:
    """Percent-decoding (``unquote``: ``+`` stays, bytes that are not UTF-8 become U+FFFD).

    >>> url_decode("a%20b%2F%C3%A9+"), url_decode("%ff")
    ('a b/é+', '\ufffd')
    """
    return unquote(s) if isinstance(s, str) else None


@lru_cache(maxsize=256)
def _network(text: str) -> _Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _address(text: Json) -> _Address | None:
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_in_cidr(ip: Json, cidr: Json) -> Json:
    """Whether the IPv4/IPv6 address ``ip`` is in the network ``cidr``, or in one of a list of them.

    Null for a bad address or a bad network (host bits may be set: ``10.0.0.1/8`` is ``10.0.0.0/8``).

    >>> ip_in_cidr("10.1.2.3", "10.0.0.0/8"), ip_in_cidr("::1", ["10.0.0.0/8", "::1/128"])
    (True, True)
    >>> ip_in_cidr("10.1.2.3", "::/0"), ip_in_cidr("10.1.2.3", "10.0.0.0/33"), ip_in_cidr("x", "::/0")
    (False, None, None)
    """
    address = _address(ip)
    if address is None:
        return None
    texts = cidr if isinstance(cidr, list) else [cidr]
    networks = [_network(t) if isinstance(t, str) else None for t in texts]
    if any(n is None for n in networks):
        return None
    return any(address in n for n in networks if n is not None)


def is_ipv4(s: Json) -> Json:
    """Whether ``s`` is an IPv4 address in dotted form (never null).

    >>> is_ipv4("192.168.0.1"), is_ipv4("256.0.0.1"), is_ipv4("::1"), is_ipv4(None)
    (True, False, False, False)
    """
    return isinstance(_address(s), ipaddress.IPv4Address)


def is_ipv6(s: Json) -> Json:
    """Whether ``s`` is an IPv6 address (never null).

    >>> is_ipv6("::1"), is_ipv6("fe80::1:2"), is_ipv6("1.2.3.4")
    (True, True, False)
    """
    return isinstance(_address(s), ipaddress.IPv6Address)


__all__ = [
    "base64_decode",
    "base64_encode",
    "ip_in_cidr",
    "is_ipv4",
    "is_ipv6",
    "md5",
    "sha1",
    "sha256",
    "url_decode",
    "url_encode",
]
