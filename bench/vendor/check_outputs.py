#!/usr/bin/env python3
# Vendored verbatim from ../shared/bench/check_outputs.py (the W1 reference kit); see bench/vendor/README.md.
"""Compare W1 outputs of several implementations.

Usage: check_outputs.py REF_DIR NAME=DIR [NAME=DIR ...] [--json OUT.json]

For each of errors.ndjson / rest.ndjson it computes:
  lines   - line count
  raw     - order-insensitive digest of the raw lines (byte-exact): sum of per-line sha256 mod 2**256
  strict  - same digest over canonical lines: parse, then dump with sorted keys, compact;
            insensitive to key order, whitespace and line order, sensitive to value types
  jsonnum - like strict, but an integral float equals the integer (11.0 == 11), as JSON numbers do
  loose   - like strict, but every scalar leaf is turned into a string first and numbers get one spelling
            (5, "5" -> "5"; 7.06, "7.060000" -> "7.06"); for engines that emit all values as strings
            (syslog-ng 3.x), and a null-valued key equals an absent one (Polars writes missing as null)
Each hash is shown as its first 12 hex digits; "==ref" when equal to the reference directory's.
"""
import hashlib
import json
import os
import re
import sys

try:  # orjson is only a speed-up; the canonical form is the same either way
    import orjson

    _loads = orjson.loads

    def _canon(obj):
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
except ImportError:  # pragma: no cover
    _loads = json.loads

    def _canon(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

FILES = ("errors.ndjson", "rest.ndjson")


_INT = re.compile(r"-?[0-9]+")
_DEC = re.compile(r"-?[0-9]+\.[0-9]+(?:[eE][-+]?[0-9]+)?")


def _num(x):
    """One spelling per numeric value: 11, 11.0, "11.000000" -> "11"; 60.799, "60.799000" -> "60.799"."""
    x = float(x)
    if x.is_integer() and abs(x) < 2 ** 53:
        return str(int(x))
    return repr(x)


def _jsonnum(v):
    """JSON number semantics: an integral float equals the integer (jq prints 11.0 as 11)."""
    if isinstance(v, dict):
        return {k: _jsonnum(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonnum(x) for x in v]
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return int(v)
    return v


def _loose(v):
    """Every scalar becomes a string; numbers and number-looking strings get one spelling;
    a key whose value is null counts as absent (column stores write missing fields as null)."""
    if isinstance(v, dict):
        return {k: _loose(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_loose(x) for x in v]
    if isinstance(v, str):
        if _INT.fullmatch(v) or _DEC.fullmatch(v):
            return _num(v)
        return v
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    return _num(v)


def _h(b):
    return int.from_bytes(hashlib.sha256(b).digest(), "big")


def digest(path):
    """Order-insensitive multiset digest: sum of per-line sha256 values mod 2**256 (streamed)."""
    if not os.path.exists(path):
        return None
    n = bad = 0
    raw = strict = jnum = loose = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            n += 1
            raw += _h(line)
            try:
                obj = _loads(line)
            except ValueError:
                bad += 1
                continue
            strict += _h(_canon(obj))
            jnum += _h(_canon(_jsonnum(obj)))
            loose += _h(_canon(_loose(obj)))
    m = (1 << 256) - 1
    return {"lines": n, "unparseable": bad,
            "raw": f"{raw & m:064x}", "strict": f"{strict & m:064x}",
            "jsonnum": f"{jnum & m:064x}", "loose": f"{loose & m:064x}"}


def main(argv):
    out_json = None
    if "--json" in argv:
        i = argv.index("--json")
        out_json = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    ref_dir, pairs = argv[0], [a.split("=", 1) for a in argv[1:]]
    ref = {f: digest(os.path.join(ref_dir, f)) for f in FILES}
    results = {"ref": {"dir": ref_dir, **ref}}
    print(f"{'impl':<22} {'file':<14} {'lines':>8}  {'raw':<14} {'strict':<14} {'jsonnum':<14} {'loose':<14} verdict")
    for name, d in [("ref", ref_dir)] + pairs:
        row = {}
        ok_strict = ok_jnum = ok_loose = True
        for f in FILES:
            r = digest(os.path.join(d, f)) if name != "ref" else ref[f]
            row[f] = r
            if r is None:
                print(f"{name:<22} {f:<14} missing")
                ok_strict = ok_jnum = ok_loose = False
                continue
            cells = []
            for k in ("raw", "strict", "jsonnum", "loose"):
                same = ref[f] is not None and r[k] == ref[f][k]
                cells.append(("==ref" if same and name != "ref" else r[k][:12]).ljust(14))
            ok_strict &= ref[f] is not None and r["strict"] == ref[f]["strict"] and r["lines"] == ref[f]["lines"]
            ok_jnum &= ref[f] is not None and r["jsonnum"] == ref[f]["jsonnum"] and r["lines"] == ref[f]["lines"]
            ok_loose &= ref[f] is not None and r["loose"] == ref[f]["loose"] and r["lines"] == ref[f]["lines"]
            print(f"{name:<22} {f:<14} {r['lines']:>8}  {''.join(cells)}"
                  + (f" unparseable={r['unparseable']}" if r["unparseable"] else ""))
        verdict = ("IDENTICAL(strict)" if ok_strict else
                   "IDENTICAL(jsonnum: 11 vs 11.0 only)" if ok_jnum else
                   "IDENTICAL(loose: scalars compared as strings)" if ok_loose else "DIFFERENT")
        if name != "ref":
            print(f"{name:<22} -> {verdict}")
        row["verdict"] = verdict
        results[name] = row
    if out_json:
        with open(out_json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
