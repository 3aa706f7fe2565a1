"""The audit part of `run.py` alone: seed as it does, then the full `audit verify` and the SHA-256 baseline.

Run: python bench/audit_run.py [--database-url postgresql://...] [--lots 100000] [--audit-entries 10000000]
                               [--out PATH]

The scratch database goes through the same seeding as `run.py`'s (seeded lots with their audit entries, the
demonstration therapy, the chain filled to --audit-entries with a checkpoint every 1,000 entries), without the
servers, pages and scan runs between the steps: a few minutes where the whole suite takes a quarter of an hour.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import audit_bench
import checkpoint_seed
import page_bench
import scan_bench
import scan_seed
from run import RESULTS_DIR, VERIFY_PER_S, seed_audit, step

from batchtrack.db import make_engine


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to use (default: an SQLite file)")
    parser.add_argument("--lots", type=int, default=100_000, help="seeded lots (default 100000)")
    parser.add_argument("--audit-entries", type=int, default=10_000_000, help="chain length (default 10000000)")
    parser.add_argument("--out", help="where to save the figures (default bench/results/audit-<engine>.json)")
    args = parser.parse_args()
    if args.lots < 3 or args.audit_entries < 0:
        parser.error("--lots must be at least 3, --audit-entries at least 0")
    return args


def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    """Seed in run.py's order, then verify and hash."""
    figures: dict[str, Any] = {"lots": args.lots, "audit_entries_asked": args.audit_entries,
                               "load_average_at_start": os.getloadavg()}
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bt_audit_run_")))
    url = stack.enter_context(scan_bench.scratch_database(args.database_url, folder))
    engine = make_engine(url)
    stack.callback(engine.dispose)
    figures["database"] = engine.dialect.name
    log = checkpoint_seed.SeededLog(folder)
    small = max(2, args.lots // 100)
    started = time.perf_counter()
    step(f"{small:,} lots and their audit entries")
    seeded = scan_seed.seed(engine, lots=small, log=log)
    step("the demonstration therapy, walked through the whole chain")
    page_bench.build_lot(engine, url=url, data_dir=folder / "demo-data")
    step(f"on to {args.audit_entries * small // args.lots:,} audit entries")
    seed_audit(engine, args.audit_entries * small // args.lots, log)
    step(f"on to {args.lots:,} lots and their audit entries")
    scan_seed.extend(engine, seeded, lots=args.lots, log=log)
    step(f"on to {args.audit_entries:,} audit entries")
    seed_audit(engine, args.audit_entries, log)
    figures["seeding_seconds"] = round(time.perf_counter() - started, 1)
    step("audit verify over the whole chain: checked clean, then timed, then its parts alone")
    figures["audit_verify"] = verify = audit_bench.verify_throughput(engine, folders=log.folders)
    for line in verify["first_findings"]:
        step(f"  audit verify found: {line}")
    step("SHA-256 alone over the same bytes")
    figures["audit_hash_baseline"] = audit_bench.hash_baseline(engine)
    figures["load_average_at_end"] = os.getloadavg()
    return figures


def main() -> None:
    """Seed, verify, print and save."""
    args = parse_args()
    with contextlib.ExitStack() as stack:
        figures = run(args, stack)
    verify, baseline = figures["audit_verify"], figures["audit_hash_baseline"]
    met = verify["ok"] and (verify["entries_per_s"] or 0) >= VERIFY_PER_S
    print(f"\naudit verify on {figures['database']} (load average {figures['load_average_at_start'][0]:.1f} at "
          f"start, {figures['load_average_at_end'][0]:.1f} at end): {verify['entries']:,} entries, "
          f"{verify.get('checkpoints', 0):,} checkpoints, {verify['findings']:,} findings")
    if verify["ok"]:
        print(f"  whole verification {verify['seconds']:.1f} s: {verify['entries_per_s']:,} entries/s "
              f"(target >= {VERIFY_PER_S:,}: {'met' if met else 'NOT MET'})")
        print(f"  alone: chain walk {verify['chain_seconds']:.1f} s ({verify['chain_entries_per_s']:,}/s); "
              f"records' checks {verify['records_seconds']:.1f} s; log {verify['log_seconds']:.1f} s")
    else:
        print("  NOT CLEAN:\n    " + "\n    ".join(verify["first_findings"]))
    print(f"  bare hashlib.sha256: {baseline['entries_per_s']:,} entries/s")
    path = Path(args.out) if args.out else RESULTS_DIR / f"audit-{figures['database']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures saved to {path}")


if __name__ == "__main__":
    main()
