"""Processor time of one scan verification inside the application, next to the bare endpoint's, without a network.

Run: python bench/scan_cpu.py [--lots 2000] [--requests 1500] [--rounds 3]

For comparing two checkouts of the code on a machine whose speed varies: the throughput figures of scan_bench.py
swing by a fifth from one run to the next on a shared virtual machine, while the processor time a request costs in
this process swings less, and the bare endpoint's cost in the same round tells how fast the machine was. Each
round drives the bare app, then batchtrack, through httpx's ASGI transport (no sockets, one process), and prints
the processor milliseconds per request of each; the client's own cost is in both. To compare with an older commit:

    git worktree add /tmp/before <commit>
    cp bench/scan_cpu.py /tmp/scan_cpu.py
    PYTHONPATH=/tmp/before:/tmp/before/bench python /tmp/scan_cpu.py   # the older code
    python bench/scan_cpu.py                                            # this checkout

run in turn, several times each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import sys
import tempfile
from typing import Any

try:  # the HTTP client of the test client (httpx2), or httpx where only that is installed
    import httpx2 as httpx
except ImportError:
    import httpx

WARM_UP = 200


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _drive(app: Any, path: str, headers: dict[str, str], bodies: list[bytes], requests: int,
                 rng: random.Random) -> float:
    """Processor milliseconds per request over `requests` requests, after a warm-up."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for number in range(WARM_UP):
            await client.post(path, content=bodies[number % len(bodies)], headers=headers)
        started = _cpu_seconds()
        for _ in range(requests):
            answer = await client.post(path, content=bodies[rng.randrange(len(bodies))], headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
        return (_cpu_seconds() - started) / requests * 1000


def main() -> None:
    """Seed a scratch SQLite database, then time the rounds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=2000, help="released lots seeded (default 2,000)")
    parser.add_argument("--requests", type=int, default=1500, help="requests per endpoint per round (default 1,500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare then scan (default 3)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bt_scan_cpu_")
    url = f"sqlite:///{folder}/bench.db"
    os.environ.update({"BATCHTRACK_DATABASE_URL": url, "BATCHTRACK_ENVIRONMENT": "test",
                       "BATCHTRACK_SECRET_KEY": secrets.token_urlsafe(32), "BATCHTRACK_LOG_LEVEL": "WARNING"})
    import bare_app  # after the settings the app reads are set
    import scan_seed

    from batchtrack.cli import serving_app
    from batchtrack.db import make_engine

    seeded = scan_seed.seed(make_engine(url), lots=args.lots)
    app, bare = serving_app(), bare_app.create_app()
    bodies = [json.dumps({"raw": scan_seed.scan_message(lot), "station": "bench-station",
                          "expect": {"lot_din": lot.din, "container_kinds": ["final_product"]}}).encode()
              for lot in seeded.lots]
    plain = {"content-type": "application/json"}
    bearer = plain | {"authorization": f"Bearer {seeded.token}"}
    rng = random.Random(1)

    async def rounds() -> list[tuple[float, float]]:
        found = []
        async with app.router.lifespan_context(app):
            for _ in range(args.rounds):
                bare_ms = await _drive(bare, "/bare", plain, bodies, args.requests, rng)
                scan_ms = await _drive(app, "/api/v1/scans", bearer, bodies, args.requests, rng)
                found.append((scan_ms, bare_ms))
        return found

    for scan_ms, bare_ms in asyncio.run(rounds()):
        print(f"scan {scan_ms:.3f} ms, bare {bare_ms:.3f} ms, scan - bare {scan_ms - bare_ms:.3f} ms, "
              f"scan / bare {scan_ms / bare_ms:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
