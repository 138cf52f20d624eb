"""The core grok pattern library: the names of Logstash's legacy core patterns, written here.

Each regex was written for this project from what the name is documented to match, not copied
from a pattern file. They avoid lookaround and backreferences, so RE2 accepts every one of
them (see ``grok_engine``); boundaries are ``\\b`` where Logstash uses lookaround. Names that
only help others (``HTTPDUSER``, ``SYSLOGFACILITY``, ``HTTPDERROR_DATE``, ...) are listed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_LABEL = r"[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H16 = r"[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|%{{IPV4}})"
# RFC 4291 text forms, longest first: eight groups, then "::" standing for one or more of them.
_IPV6_FORMS = (
    rf"(?:{_H16}:){{6}}{_LS32}",
    rf"::(?:{_H16}:){{5}}{_LS32}",
    rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
    rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
    rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
    rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
    rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
)
_MONTHS = (
    r"[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:ar(?:ch)?|är(?:z)?|rz)|[Aa]pr(?:il)?"
    r"|[Mm]a(?:y|i)|[Jj]un[ei]?|[Jj]ul[yi]?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?"
    r"|[Oo][ck]t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e[cz](?:ember)?"
)
_LEVELS = (
    r"[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?"
    r"|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?"
    r"|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|[Ee]merg(?:ency)?|EMERG(?:ENCY)?"
)

_CORE: dict[str, str] = {
    # names, numbers and words
    "USERNAME": r"[A-Za-z0-9._-]+",
    "USER": r"%{USERNAME}",
    "EMAILLOCALPART": r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*",
    "EMAILADDRESS": r"%{EMAILLOCALPART}@%{HOSTNAME}",
    "INT": r"[+-]?[0-9]+",
    "BASE10NUM": r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)",
    "NUMBER": r"%{BASE10NUM}",
    "BASE16NUM": r"[+-]?(?:0[xX])?[0-9A-Fa-f]+",
    "POSINT": r"\b[1-9][0-9]*\b",
    "NONNEGINT": r"\b[0-9]+\b",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "QUOTEDSTRING": r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`",
    "QS": r"%{QUOTEDSTRING}",
    "UUID": r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}",
    # networking
    "CISCOMAC": r"(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}",
    "WINDOWSMAC": r"(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}",
    "COMMONMAC": r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}",
    "MAC": r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}",
    "IPV4": rf"\b{_OCTET}(?:\.{_OCTET}){{3}}\b",
    "IPV6": "(?:" + "|".join(_IPV6_FORMS) + r")(?:%[0-9A-Za-z._~-]+)?",
    "IP": r"%{IPV6}|%{IPV4}",
    "HOSTNAME": rf"\b{_LABEL}(?:\.{_LABEL})*",
    "IPORHOST": r"%{IP}|%{HOSTNAME}",
    "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    # paths and URIs
    "UNIXPATH": r"(?:/(?:[\w%!$@:.,+~-]|\\.)*)+",
    "WINPATH": r"(?:[A-Za-z]:|\\\\[^\\/:*?\"<>|\s]+)(?:\\[^\\/:*?\"<>|\r\n]*)+",
    "PATH": r"%{UNIXPATH}|%{WINPATH}",
    "URIPROTO": r"[A-Za-z][A-Za-z0-9+.-]*",
    "URIHOST": r"%{IPORHOST}(?::%{POSINT})?",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_-]*)+",
    "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\[\]<>^-]*",
    "URIPATHPARAM": r"%{URIPATH}(?:%{URIPARAM})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@\s]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    # dates and times
    "MONTH": rf"\b(?:{_MONTHS})\b",
    "MONTHNUM": r"0?[1-9]|1[0-2]",
    "MONTHDAY": r"0[1-9]|[12][0-9]|3[01]|[1-9]",
    "DAY": (
        r"\b(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)\b"
    ),
    "YEAR": r"[0-9]{2}(?:[0-9]{2})?",
    "HOUR": r"2[0-3]|[01]?[0-9]",
    "MINUTE": r"[0-5][0-9]",
    "SECOND": r"(?:60|[0-5]?[0-9])(?:[.,:][0-9]+)?",
    "TIME": r"%{HOUR}:%{MINUTE}:%{SECOND}",
    "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
    "DATE": r"%{DATE_US}|%{DATE_EU}",
    "ISO8601_TIMEZONE": r"Z|[+-]%{HOUR}(?::?%{MINUTE})",
    "ISO8601_SECOND": r"%{SECOND}",
    "TIMESTAMP_ISO8601": (
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"
    ),
    "DATESTAMP": r"%{DATE}[- ]%{TIME}",
    "TZ": r"\b(?:UTC|GMT|[AECMP][SD]T)\b",
    "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
    "HTTPDERROR_DATE": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}",
    # syslog
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "SYSLOGHOST": r"%{IPORHOST}",
    "PROG": r"[!-Z\\^-~]+",
    "SYSLOGPROG": r"%{PROG:program}(?:\[%{POSINT:pid}\])?",
    "SYSLOGFACILITY": r"<%{NONNEGINT:facility}\.%{NONNEGINT:priority}>",
    "SYSLOGBASE": (
        r"%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:"
    ),
    "LOGLEVEL": rf"\b(?:{_LEVELS})\b",
    # Java
    "JAVACLASS": r"(?:[A-Za-z$_][A-Za-z0-9$_]*\.)*[A-Za-z$_][A-Za-z0-9$_]*",
    "JAVAFILE": r"[A-Za-z0-9$_. -]+",
    "JAVAMETHOD": r"<(?:cl)?init>|[A-Za-z$_][A-Za-z0-9$_]*",
    # Apache httpd
    "HTTPDUSER": r"%{EMAILADDRESS}|%{USER}",
    "COMMONAPACHELOG": (
        r"%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \[%{HTTPDATE:timestamp}\] "
        r'"(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" '
        r"%{INT:response:int} (?:%{INT:bytes:int}|-)"
    ),
    "COMBINEDAPACHELOG": r"%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}",
    "HTTPD20_ERRORLOG": (
        r"\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] "
        r"(?:\[client %{IPORHOST:clientip}\] )?%{GREEDYDATA:message}"
    ),
    "HTTPD24_ERRORLOG": (
        r"\[%{HTTPDERROR_DATE:timestamp}\] \[(?:%{WORD:module})?:%{LOGLEVEL:loglevel}\] "
        r"\[pid %{POSINT:pid}(?::tid %{INT:tid})?\]"
        r"(?: \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_message}:)?"
        r"(?: \[client %{IPORHOST:clientip}(?::%{POSINT:clientport})?\])?"
        r"(?: %{DATA:errorcode}:)? %{GREEDYDATA:message}"
    ),
    "HTTPD_ERRORLOG": r"%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}",
}

CORE_PATTERNS: Mapping[str, str] = MappingProxyType(_CORE)
"""Every core pattern name with its regex (grok syntax: it may use ``%{...}`` itself)."""

# fmt: off
SPEC_NAMES: tuple[str, ...] = (
    "USERNAME", "USER", "EMAILLOCALPART", "EMAILADDRESS", "INT", "BASE10NUM", "NUMBER", "BASE16NUM",
    "POSINT", "NONNEGINT", "WORD", "NOTSPACE", "SPACE", "DATA", "GREEDYDATA", "QUOTEDSTRING", "UUID", "MAC",
    "IPV4", "IPV6", "IP", "HOSTNAME", "IPORHOST", "HOSTPORT", "PATH", "UNIXPATH", "WINPATH", "URIPROTO",
    "URIHOST", "URIPATH", "URIPARAM", "URIPATHPARAM", "URI", "MONTH", "MONTHNUM", "MONTHDAY", "DAY", "YEAR",
    "HOUR", "MINUTE", "SECOND", "TIME", "DATE_US", "DATE_EU", "DATE", "ISO8601_TIMEZONE",
    "TIMESTAMP_ISO8601", "DATESTAMP", "TZ", "HTTPDATE", "SYSLOGTIMESTAMP", "SYSLOGHOST", "SYSLOGPROG",
    "PROG", "SYSLOGBASE", "LOGLEVEL", "JAVACLASS", "JAVAFILE", "JAVAMETHOD", "COMMONAPACHELOG",
    "COMBINEDAPACHELOG", "HTTPD_ERRORLOG",
)
# fmt: on
"""The names spec section 10 says the core library ships (every one is in ``CORE_PATTERNS``)."""

__all__ = ["CORE_PATTERNS", "SPEC_NAMES"]
