"""Pure parsers for network input: syslog (RFC 5424 and RFC 3164) and statsd lines."""

from __future__ import annotations

from pipeflow.domain.parsers.statsd import parse_statsd_line, parse_statsd_packet
from pipeflow.domain.parsers.syslog import parse_syslog

__all__ = ["parse_statsd_line", "parse_statsd_packet", "parse_syslog"]
