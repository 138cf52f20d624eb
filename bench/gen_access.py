"""Generate ``combined`` access-log lines for W2: deterministic for a given count and seed.

Usage: ``python bench/gen_access.py -n 1000000 --seed 42 -o bench/data/access_1000000_s42.log``
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

METHODS = ["GET"] * 8 + ["POST", "PUT", "DELETE", "HEAD"]
PATHS = ["/", "/index.html", "/api/v1/users", "/api/v1/orders", "/static/app.js", "/img/logo.png", "/login"]
STATUS = [200] * 12 + [201, 204, 301, 302, 304, 400, 401, 403, 404, 404, 500, 502, 503]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
]
REFERRERS = ["-", "https://example.com/", "https://www.google.com/search?q=pipeflow", "http://intranet/start"]
USERS = ["-"] * 6 + ["alice", "bob", "svc.deploy"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def line(rng: random.Random, i: int) -> str:
    """One ``combined`` line; a few clients are IPv6, a few responses have no body (``-``)."""
    client = (
        f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        if i % 50 == 0
        else f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )
    status = rng.choice(STATUS)
    size = "-" if status in (204, 304) else str(rng.randrange(0, 200_000))
    query = f"?page={rng.randrange(1, 50)}" if rng.random() < 0.3 else ""
    when = (
        f"{rng.randrange(1, 29):02d}/{rng.choice(MONTHS)}/2024:"
        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} +0000"
    )
    request = f"{rng.choice(METHODS)} {rng.choice(PATHS)}{query} HTTP/1.1"
    return (
        f'{client} - {rng.choice(USERS)} [{when}] "{request}" {status} {size} '
        f'"{rng.choice(REFERRERS)}" "{rng.choice(AGENTS)}"'
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("-o", type=Path, required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with args.o.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for i in range(args.n):
            out.write(line(rng, i) + "\n")


if __name__ == "__main__":
    main()
