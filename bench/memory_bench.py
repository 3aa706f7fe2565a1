"""The server's memory after the mixed requests of `bench/run.py`, alone: a small database, a fresh server.

Run: python bench/memory_bench.py [--database-url postgresql://...] [--lots 1000] [--requests 10000]

What `bench/run.py` measures last among its server figures, without seeding the large database first: for
checking a change that bears on the server's memory in minutes. The figure to report is still the full run's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

import checkpoint_seed
import page_bench
import scan_bench
import scan_seed
import server_bench

from batchtrack.db import make_engine

RSS_MB = 150.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to use (default: an SQLite file)")
    parser.add_argument("--lots", type=int, default=1_000, help="seeded lots (default 1000)")
    parser.add_argument("--requests", type=int, default=10_000, help="mixed requests (default 10000)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bt_memory_")))
        url = stack.enter_context(scan_bench.scratch_database(args.database_url, folder))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        print(f"seeding {args.lots:,} lots and the demonstration lot", file=sys.stderr, flush=True)
        seeded = scan_seed.seed(engine, lots=args.lots, log=checkpoint_seed.SeededLog(folder))
        lot = page_bench.build_lot(engine, url=url, data_dir=folder / "demo-data")
        server = scan_bench.Server("batchtrack", "batchtrack.cli:serving_app", folder=folder,
                                   env=scan_bench._server_env(url), ready=("/health", 200))
        stack.callback(server.stop)
        server.start()
        _bare, scan_work = scan_bench.workloads(seeded, seed=2)
        accepted, refused = scan_work.requests("127.0.0.1", server.port)
        print(f"{args.requests:,} mixed requests", file=sys.stderr, flush=True)
        memory = server_bench.memory_after_load(host="127.0.0.1", port=server.port, pid=server.pid,
                                                scans=accepted + refused, lot=lot, requests=args.requests)
    print(json.dumps(memory, indent=2))
    met = memory["rss_after_mb"] < RSS_MB and not memory["failures"]
    print(f"server RSS after {memory['requests']:,} mixed requests: {memory['rss_after_mb']:.0f} MB "
          f"(peak {memory['rss_peak_mb']:.0f}); target < {RSS_MB:.0f}: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
