"""Syslog lines (RFC 5424 and RFC 3164) into event fields, or the reason a line is not syslog.

The fields: ``facility`` (name), ``severity`` (0-7), ``level`` (severity name: ``emergency``,
``alert``, ``critical``, ``error``, ``warning``, ``notice``, ``info``, ``debug``), ``message``,
and when the line has them ``timestamp`` (the text as written: a BSD date has no year and no
zone, so it is not guessed here), ``hostname``, ``appname``, ``procid``, ``msgid`` and
``structured_data`` (``{"sd-id": {"param": "value"}}``; a repeated param becomes a list).
RFC 5424 nil values (``-``) are left out.

RFC 3164 is what syslog daemons write to files and many devices send: ``<PRI>`` (optional: a
line without one gets PRI 13, user.notice, as RFC 3164 4.3.3 tells a relay), ``Mmm dd
hh:mm:ss`` (or an RFC 3339 time), the hostname, then ``tag[pid]: message``. The tag is read up
to the first ``[`` or ``:``, as the loghub ground truth reads ``syslogd 1.4.1: restart.``.
"""

from __future__ import annotations

import re

from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.structured_data import parse_structured_data

LEVELS = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
"""Severity names by severity number."""

FACILITIES = (
    *("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron"),
    *("authpriv", "ftp", "ntp", "security", "console", "solaris-cron"),
    *(f"local{i}" for i in range(8)),
)
"""Facility names by facility number (RFC 5424 table 1, names as syslog.h spells them)."""

_PRI = re.compile(r"<(\d{1,3})>")
_RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
_BSD_TIME = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2} \d{2}:\d{2}:\d{2}"
_TIME_3164 = re.compile(rf"({_BSD_TIME}|{_RFC3339})(?: +|$)")
_TIME_5424 = re.compile(rf"{_RFC3339}\Z")
_HEADER_5424 = re.compile(r"1 (\S+) (\S+) (\S+) (\S+) (\S+) ")
_TAG = re.compile(r"([^:\[\s][^:\[]{0,47}?)(?:\[([^\]\s]{0,128})\])?:(?: |$)")
_HOST_TOKEN = re.compile(r"([^\s\[\]]*[^\s:\[\]]) +")
_MAX_5424 = {"hostname": 255, "appname": 48, "procid": 128, "msgid": 32}
_DEFAULT_PRI = 13


def parse_syslog(line: str) -> JsonObject | str:
    """The fields of one syslog line (its trailing newline allowed), or why it is not syslog.

    >>> f = parse_syslog("<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - 'su root' failed")
    >>> f["facility"], f["level"], f["hostname"], f["appname"], f["msgid"], f["message"]
    ('auth', 'critical', 'mymachine', 'su', 'ID47', "'su root' failed")
    >>> f = parse_syslog("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown")
    >>> f["hostname"], f["appname"], f["procid"], f["message"]
    ('combo', 'sshd(pam_unix)', '19939', 'check pass; user unknown')
    >>> parse_syslog("hello")
    'not syslog: no <PRI> and no timestamp'
    """
    line = line.rstrip("\r\n\x00")
    pri_match = _PRI.match(line)
    if pri_match is None:
        if line.startswith("<"):
            return "not syslog: malformed <PRI>"
        return _rfc3164(line, _DEFAULT_PRI, require_time=True)
    pri = int(pri_match.group(1))
    if pri > 191:
        return f"not syslog: PRI {pri} out of range (0-191)"
    rest = line[pri_match.end() :]
    if rest.startswith("1 "):
        header = _HEADER_5424.match(rest)
        if header is None:
            return "RFC 5424: truncated header"
        return _rfc5424(rest, pri, header)
    return _rfc3164(rest, pri, require_time=False)


def _base(pri: int) -> JsonObject:
    severity = pri & 7
    return {"facility": FACILITIES[pri >> 3], "severity": severity, "level": LEVELS[severity]}


def _rfc5424(rest: str, pri: int, header: re.Match[str]) -> JsonObject | str:
    timestamp, *names = header.groups()
    if timestamp != "-" and _TIME_5424.match(timestamp) is None:
        return f"RFC 5424: invalid timestamp {timestamp[:40]!r}"
    fields = _base(pri)
    if timestamp != "-":
        fields["timestamp"] = timestamp
    for (key, limit), value in zip(_MAX_5424.items(), names, strict=True):
        if len(value) > limit:
            return f"RFC 5424: {key} longer than {limit} characters"
        if value != "-":
            fields[key] = value
    body = rest[header.end() :]
    parsed = parse_structured_data(body)
    if isinstance(parsed, str):
        return f"RFC 5424: {parsed}"
    data, end = parsed
    if data:
        fields["structured_data"] = data
    msg = body[end:]
    if msg and not msg.startswith(" "):
        return "RFC 5424: no space between structured data and message"
    fields["message"] = msg[1:].removeprefix("\ufeff")
    return fields


def _rfc3164(rest: str, pri: int, *, require_time: bool) -> JsonObject | str:
    time_match = _TIME_3164.match(rest)
    if time_match is None:
        if require_time:
            return "not syslog: no <PRI> and no timestamp"
        # RFC 3164 4.3.2: without a valid TIMESTAMP the whole rest is the message.
        return {**_base(pri), "message": rest}
    fields = _base(pri)
    fields["timestamp"] = time_match.group(1)
    rest = rest[time_match.end() :]
    host = _HOST_TOKEN.match(rest)
    if host is not None:
        fields["hostname"] = host.group(1)
        rest = rest[host.end() :]
    elif rest and " " not in rest and ":" not in rest and "[" not in rest:
        fields["hostname"] = rest  # a hostname and an empty message
        rest = ""
    tag = _TAG.match(rest)
    if tag is not None:
        fields["appname"] = tag.group(1).rstrip()
        if tag.group(2) is not None:
            fields["procid"] = tag.group(2)
        rest = rest[tag.end() :]
    fields["message"] = rest
    return fields


__all__ = ["FACILITIES", "LEVELS", "parse_syslog"]
