#!/usr/bin/env python3
# Vendored verbatim from ../shared/bench/floor_w1.py (the W1 reference kit); see bench/vendor/README.md.
"""Workload W1 written by hand: the "Python floor" that the engine is measured against.

One process, orjson, precompiled regexes, plain dicts mutated in place, no framework.
It is the fastest straightforward Python for W1 found so far; see W1.md.

Usage: floor_w1.py INPUT.ndjson OUTDIR   (writes OUTDIR/errors.ndjson and OUTDIR/rest.ndjson)
"""
import os
import re
import sys

import orjson

EMAIL_RE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
MASK = "<redacted>"
USER_ID_RE = r"user_id=(\d+)"
ACTION_RE = r"action=(\w+)"
INGESTED_AT = "2024-06-01T00:00:00Z"


def run(inp, outdir):
    email_sub = re.compile(EMAIL_RE).sub
    uid_search = re.compile(USER_ID_RE).search
    act_search = re.compile(ACTION_RE).search
    loads, dumps, opt = orjson.loads, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    # One write() per event into a 1 MiB buffer: each serialized line is freed at once.
    with open(inp, "rb", buffering=1 << 20) as f, \
            open(os.path.join(outdir, "errors.ndjson"), "wb", buffering=1 << 20) as fe, \
            open(os.path.join(outdir, "rest.ndjson"), "wb", buffering=1 << 20) as fr:
        write_err, write_rest = fe.write, fr.write
        for line in f:
            ev = loads(line)
            level = ev["level"]
            if level == "debug":
                continue
            msg = ev["message"]
            if "@" in msg:  # cheap literal prefilter before the email regex
                msg = email_sub(MASK, msg)
                ev["message"] = msg
            m = uid_search(msg)
            if m is not None:
                ev["user_id"] = m.group(1)
            m = act_search(msg)
            if m is not None:
                ev["action"] = m.group(1)
            ev["_ingested_at"] = INGESTED_AT
            if level == "error" or ev["status"] >= 500:
                write_err(dumps(ev, option=opt))
            else:
                write_rest(dumps(ev, option=opt))


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])
