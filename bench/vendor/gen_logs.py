#!/usr/bin/env python3
# Vendored verbatim from ../shared/bench/gen_logs.py (the W1 reference kit); see bench/vendor/README.md.
"""Deterministic NDJSON log generator for the W1 benchmark.

Usage: gen_logs.py [-n N] [--seed S] [-o OUT]
Same (N, seed) -> byte-identical output (uses only random.Random(seed) and json.dumps).
"""
import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone

SERVICES = ["api-gateway", "auth", "billing", "catalog", "checkout",
            "inventory", "notifications", "search", "shipping", "users"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]
LEVELS = ["debug", "info", "warn", "error"]
LEVEL_W = [30, 55, 10, 5]  # skewed: lots of info/debug, few errors
STATUS = [200, 201, 204, 301, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504]
STATUS_W = [620, 60, 40, 10, 30, 40, 30, 15, 60, 10, 15, 25, 15, 20, 10]
ACTIONS = ["login", "logout", "view", "purchase", "refund", "search", "update_profile", "add_to_cart"]
PATHS = ["/api/v1/orders", "/api/v1/users/me", "/api/v2/search", "/health", "/api/v1/cart/items",
         "/api/v1/payments", "/static/app.js", "/api/v1/login", "/api/v1/products/842"]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
DOMAINS = ["example.com", "mail.example.org", "corp.acme.io", "gmail.com", "shop.example.net"]
WORDS = ["cache", "miss", "retry", "upstream", "timeout", "connection", "reset", "slow", "query", "token",
         "expired", "session", "refreshed", "payload", "validated", "queue", "depth", "high", "ok"]


def email(r):
    return f"{r.choice(FIRST)}.{r.choice(FIRST)}{r.randint(1, 999)}@{r.choice(DOMAINS)}"


def message(r, level, status, method, path):
    k = r.random()
    if k < 0.30:
        m = f"{method} {path} -> {status} user_id={r.randint(1, 99999)} action={r.choice(ACTIONS)}"
    elif k < 0.50:
        m = f"user {email(r)} performed action={r.choice(ACTIONS)} user_id={r.randint(1, 99999)}"
    elif k < 0.60:
        m = f"notification sent to {email(r)} (cc {email(r)}) template=welcome"
    elif k < 0.75:
        m = " ".join(r.choice(WORDS) for _ in range(r.randint(4, 9)))
    else:
        m = f"{method} {path} completed in {r.randint(1, 900)}ms bytes={r.randint(100, 90000)}"
    if level == "error" and r.random() < 0.5:
        m += " error=\"upstream connect error or disconnect/reset before headers\""
    return m


def gen(n, seed, out):
    r = random.Random(seed)
    t = datetime(2024, 5, 1, 0, 0, 0, tzinfo=timezone.utc)
    dumps = json.dumps
    w = out.write
    for i in range(n):
        t += timedelta(microseconds=r.randint(0, 2000) * 1000 + r.randint(0, 999))
        level = r.choices(LEVELS, LEVEL_W)[0]
        status = r.choices(STATUS, STATUS_W)[0]
        if level == "error" and status < 500 and r.random() < 0.5:
            status = r.choice([500, 502, 503])
        method = r.choice(METHODS)
        path = r.choice(PATHS)
        svc = r.choice(SERVICES)
        ev = {
            "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
            "level": level,
            "service": svc,
            "host": f"{svc}-{r.randint(1, 12):02d}.{r.choice(REGIONS)}.internal",
            "status": status,
            "latency_ms": round(r.lognormvariate(3.0, 1.0), 3),
            "client_ip": f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        }
        if r.random() < 0.35:
            ev["user"] = {"email": email(r), "id": r.randint(1, 99999)}
        ev["trace_id"] = f"{r.getrandbits(64):016x}"
        ev["message"] = message(r, level, status, method, path)
        w(dumps(ev, separators=(",", ":")))
        w("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("-o", "--out", default="-")
    a = ap.parse_args()
    if a.out == "-":
        gen(a.n, a.seed, sys.stdout)
    else:
        with open(a.out, "w", encoding="utf-8", buffering=1 << 20) as f:
            gen(a.n, a.seed, f)


if __name__ == "__main__":
    main()
