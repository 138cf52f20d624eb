"""Every core grok pattern: what it matches (whole text) and what it does not, on both engines."""

from __future__ import annotations

import pytest

from pipeflow.domain.parsers.grok import Expansion, expand
from pipeflow.infrastructure.functions.grok_engine import Re2Matcher, ReMatcher, compile_expansion
from pipeflow.infrastructure.functions.grok_patterns import CORE_PATTERNS, SPEC_NAMES

# name: (texts the name matches whole, texts it does not match whole)
EXAMPLES: dict[str, tuple[list[str], list[str]]] = {
    "USERNAME": (["frank", "j.doe-2_x"], ["fr ank", "a@b"]),
    "USER": (["root", "svc.user"], ["", "two words"]),
    "EMAILLOCALPART": (["john.doe", "a+tag", "o'brien"], ["john..doe", ".lead", "a b"]),
    "EMAILADDRESS": (["john.doe@example.com", "x@host"], ["john.doe@", "@example.com", "a b@c.d"]),
    "INT": (["42", "-7", "+0"], ["4.2", "--1", "x1"]),
    "BASE10NUM": (["3.14", "-0.5", ".5", "10"], ["1.", "1.2.3", "e5"]),
    "NUMBER": (["-12.5", "7"], ["seven", "1,5"]),
    "BASE16NUM": (["0x1F", "deadBEEF", "-ff"], ["0x", "xyz", "0xg1"]),
    "POSINT": (["1", "65535"], ["0", "012", "-3"]),
    "NONNEGINT": (["0", "012", "9"], ["-1", "1.0"]),
    "WORD": (["hello", "snake_case1"], ["two words", "a-b", ""]),
    "NOTSPACE": (["a/b?c=1", "[x]"], ["a b", ""]),
    "SPACE": (["", "  \t"], ["x", " a "]),
    "DATA": (["anything at all", ""], ["two\nlines"]),
    "GREEDYDATA": (["anything: at all!", ""], ["line\nbreak"]),
    "QUOTEDSTRING": (['"say \\"hi\\""', "'single'", "`tick`", '""'], ['"open', "'a' b'", "plain"]),
    "UUID": (["123e4567-e89b-12d3-a456-426614174000"], ["123e4567-e89b-12d3-a456-42661417400", "not-a-uuid"]),
    "MAC": (
        ["00:1a:2B:3c:4D:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e"],
        ["00:1a:2b:3c:4d", "00:1a:2b:3c:4d:5g"],
    ),
    "IPV4": (["10.0.0.1", "255.255.255.255", "0.0.0.0"], ["256.1.1.1", "1.2.3", "1.2.3.4.5"]),
    "IPV6": (
        ["::1", "fe80::1%eth0", "2001:db8::8a2e:370:7334", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1", "::"],
        ["1:2:3:4:5:6:7:8:9", "12345::", "1::2::3", "gggg::1"],
    ),
    "IP": (["192.168.1.20", "2001:db8::1"], ["192.168.1", "host.example"]),
    "HOSTNAME": (["example.com", "a-b.c1.org", "LabSZ"], ["-lead.com", "a..b", "under_score.com"]),
    "IPORHOST": (["10.1.2.3", "web-01.internal", "::1"], ["bad host", "a..b"]),
    "HOSTPORT": (["example.com:8080", "10.0.0.1:22"], ["example.com", "example.com:0", "host:port"]),
    "PATH": (["/var/log/syslog", "C:\\Windows\\system32"], ["relative/path", "C:/x"]),
    "UNIXPATH": (["/", "/etc/httpd/conf/workers2.properties", "/a"], ["etc/passwd", "C:\\x"]),
    "WINPATH": (["C:\\Program Files\\app.exe", "\\\\server\\share\\f.txt"], ["/unix/path", "C:folder"]),
    "URIPROTO": (["https", "svn+ssh", "h2c"], ["1http", "ht tp", "-x"]),
    "URIHOST": (["example.com", "example.com:443", "10.0.0.1:80"], ["example.com:", "a b"]),
    "URIPATH": (["/index.html", "/a/b;c=d/e", "/~user/"], ["index.html", "/a b", "/q?x=1"]),
    "URIPARAM": (["?a=1&b=2", "?", "?x=[1]"], ["a=1", "?a b"]),
    "URIPATHPARAM": (["/search?q=grok", "/plain"], ["search?q=1", "/a?b c"]),
    "URI": (
        ["https://user:pw@example.com:8443/p/a?q=1", "http://example.com", "ftp://10.0.0.1/f"],
        ["example.com/path", "http:/x", "://x"],
    ),
    "MONTH": (["Jan", "january", "Sep", "Sept", "Dez", "März", "Okt"], ["Janu", "Foo", "13"]),
    "MONTHNUM": (["1", "07", "12"], ["0", "13", "00"]),
    "MONTHDAY": (["1", "09", "31"], ["0", "32", "00"]),
    "DAY": (["Mon", "Tuesday", "Sun"], ["Mo", "Funday", "mon"]),
    "YEAR": (["2005", "05"], ["5", "20055"]),
    "HOUR": (["0", "09", "23"], ["24", "123"]),
    "MINUTE": (["00", "59"], ["60", "5"]),
    "SECOND": (["59", "60", "07.123", "44,747"], ["61", "5x"]),
    "TIME": (["06:55:46", "17:41:44,747", "9:05:00.5"], ["25:00:00", "12:60:00", "12:30"]),
    "DATE_US": (["12/31/2023", "1-2-99"], ["31/12/2023", "12.31.2023"]),
    "DATE_EU": (["31.12.2023", "1/2/99", "31-12-2023"], ["12/31/2023", "32.01.2023"]),
    "DATE": (["12/31/2023", "31.12.2023"], ["2023-12-31", "31.13.2023"]),
    "ISO8601_TIMEZONE": (["Z", "+02:00", "-0530"], ["+2", "UTC", "+25:00"]),
    "TIMESTAMP_ISO8601": (
        ["2015-07-29T17:41:44.747Z", "2015-07-29 17:41:44", "2015-07-29T17:41+01:00"],
        ["2015/07/29 17:41:44", "2015-13-29T17:41:44", "17:41:44"],
    ),
    "DATESTAMP": (["12/31/2023 23:59:59", "31.12.2023-08:00:00"], ["2023-12-31 23:59:59", "12/31/2023"]),
    "TZ": (["UTC", "PST", "EST"], ["XYZ", "utc"]),
    "HTTPDATE": (["10/Oct/2000:13:55:36 -0700", "04/Dec/2005:04:47:44 +0000"], ["10/10/2000:13:55:36 -0700"]),
    "SYSLOGTIMESTAMP": (["Dec 10 06:55:46", "Jun  4 15:16:01"], ["2015-07-29 17:41:44", "Dec 10"]),
    "SYSLOGHOST": (["LabSZ", "10.0.0.5"], ["Lab SZ", "a..b"]),
    "SYSLOGPROG": (["sshd[24200]", "sshd(pam_unix)[19939]", "kernel"], ["prog[-1]", "prog x"]),
    "PROG": (["sshd", "sshd(pam_unix)", "postfix/smtpd"], ["sshd[1]", "has space"]),
    "SYSLOGBASE": (
        ["Dec 10 06:55:46 LabSZ sshd[24200]:", "Jun 14 15:16:01 <4.3> combo su(pam_unix)[1]:"],
        ["Dec 10 06:55:46 LabSZ sshd[24200]", "LabSZ sshd[24200]:"],
    ),
    "LOGLEVEL": (
        ["INFO", "warn", "Warning", "ERROR", "notice", "FATAL", "crit"],
        ["INF", "verbose", "Infos"],
    ),
    "JAVACLASS": (["org.apache.Foo$Bar", "Main", "dfs.DataNode$PacketResponder"], ["1org.x", "a..b", "a b"]),
    "JAVAFILE": (["Foo.java", "Native Method", "Unknown Source"], ["Foo.java:12", "(x)"]),
    "JAVAMETHOD": (["<init>", "<clinit>", "run$1", "main"], ["<foo>", "1run", "a.b"]),
    "COMMONAPACHELOG": (
        ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'],
        ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" OK 2326'],
    ),
    "COMBINEDAPACHELOG": (
        ['::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 304 - "-" "curl/8.0"'],
        ['::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 304 - "-"'],
    ),
    "HTTPD_ERRORLOG": (
        [
            "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
            (
                "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] "
                "[client 72.15.99.187] File does not exist: /x"
            ),
        ],
        ["Sun Dec 04 04:47:44 2005 [error] no brackets", "[Sun Dec 04 04:47:44 2005] error"],
    ),
}


def whole(name: str) -> tuple[ReMatcher, Re2Matcher]:
    """The pattern on ``re`` (timed) and its RE2 twin, which every core pattern has."""
    expanded = expand(f"^(?:%{{{name}}})$", CORE_PATTERNS)
    assert isinstance(expanded, Expansion), expanded
    matcher = compile_expansion(expanded)
    assert isinstance(matcher, ReMatcher)
    assert matcher.linear is not None, f"{name}: RE2 refused it"
    return matcher, matcher.linear


def test_every_spec_name_is_in_the_library_and_has_examples() -> None:
    assert set(SPEC_NAMES) <= set(CORE_PATTERNS)
    assert set(EXAMPLES) == set(SPEC_NAMES)


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_the_pattern_matches_its_positive_examples_whole(name: str) -> None:
    on_re, on_re2 = whole(name)
    for text in EXAMPLES[name][0]:
        assert on_re2.captures(text) is not None, f"{name} (RE2) should match {text!r}"
        assert on_re.captures(text) is not None, f"{name} (re) should match {text!r}"


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_the_pattern_refuses_its_negative_examples(name: str) -> None:
    on_re, on_re2 = whole(name)
    for text in EXAMPLES[name][1]:
        assert on_re2.captures(text) is None, f"{name} (RE2) should not match {text!r}"
        assert on_re.captures(text) is None, f"{name} (re) should not match {text!r}"
