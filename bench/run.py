"""Every benchmark of batchtrack in one command: one table of figures with their targets, saved as JSON.

Run: python bench/run.py [--database-url postgresql://...] [--lots 100000] [--audit-entries 10000000]
                         [--seconds 10] [--quick] [--pages-only] [--out PATH]

One scratch database (an SQLite file in a temporary folder, or `bt_bench_<pid>` on the PostgreSQL server of
--database-url, dropped afterwards) goes through two sizes:

1. small: --small-lots seeded lots (default 1% of --lots, 1,000 for 100,000), the demonstration therapy walked
   through the whole chain (its lot is the "fully built lot"), and the same share of the audit entries;
   the lot page, the chain-of-identity report (page, JSON, PDF), the audit trail review (its first page, and
   the page of the demonstration lot's entries) and the worklist of a QA person and of an operator are timed over
   HTTP. One seeded lot in 16 is in QC, one waits for processing and one has a step open (bench/scan_seed.py), so
   the worklists have as much to show at both sizes.
2. large: seeded on to --lots lots and --audit-entries audit entries (a valid hash chain). Then: scan
   verification next to a bare endpoint at 1, 16 and 64 clients; the same pages again (the target: within
   1.5x of the small database); the server's memory after 10,000 mixed requests (on a fresh server);
   the full `audit verify` (chain, checkpoints, signatures, states, custody) over the whole chain, next to bare
   SHA-256 over the same bytes; the start-up time of `batchtrack serve` (median of 3).

The database verifies clean, as a real installation's would: every seeded lot's history is in the chain as the
application writes it (the seeded lots carry no signatures; the demonstration lot's are real), the filler entries
set no state, and a checkpoint is written every 1,000 entries (an `audit.checkpoint` entry and its signed line in
the log of the scratch folder, under a key made there). The audit entries counted by --audit-entries include the
lots', the demonstration's and the checkpoints.

Label rendering (no database) is measured first. Everything runs on this machine: the load generator, the
servers and, for PostgreSQL, the database server share its cores with whatever else runs, so compare figures
within one run. --quick shrinks every size (for checking the harness, not for figures); --pages-only seeds both sizes
and times the pages and worklists alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import audit_bench
import audit_seed
import checkpoint_seed
import click
import labels_bench
import page_bench
import scan_bench
import scan_load
import scan_seed
import server_bench
from sqlalchemy import Engine

from batchtrack.audit import service as audit_service
from batchtrack.db import Database, make_engine

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SCAN_P99_MS = scan_bench.TARGET_P99_MS  # at scan_bench.TARGET_CLIENTS clients
VERIFY_PER_S = 300_000
PAGE_SCALING = 1.5
RSS_MB = 150.0


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big and how long everything is."""

    lots: int
    small_lots: int
    audit_entries: int
    small_audit_entries: int
    seconds: float
    warmup: float
    page_repeats: int
    mixed_requests: int
    startups: int
    label_seconds: float
    label_pool: int
    quick: bool


def sizes(args: argparse.Namespace) -> Sizes:
    """The sizes the command line asks for (--quick: small ones, about a second per load run)."""
    if args.quick:
        lots, entries, seconds = args.lots or 1_000, args.audit_entries or 20_000, args.seconds or 0.3
        repeats, mixed, startups, label_seconds, pool = 3, 200, 1, 0.1, 100
    else:
        lots, entries, seconds = args.lots or 100_000, args.audit_entries or 10_000_000, args.seconds or 10.0
        repeats, mixed, startups, label_seconds, pool = 30, 10_000, 3, 3.0, 5000
    small = args.small_lots or max(2, lots // 100)
    if not 2 <= small < lots:
        raise SystemExit("--small-lots must be at least 2 and fewer than --lots")
    return Sizes(lots, small, entries, entries * small // lots, seconds, min(1.0, seconds / 5), repeats, mixed,
                 startups, label_seconds, pool, args.quick)


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to use (default: an SQLite file)")
    parser.add_argument("--lots", type=int, help="lots in the large database (default 100000; --quick 1000)")
    parser.add_argument("--small-lots", type=int, help="lots in the small database (default 1%% of --lots)")
    parser.add_argument("--audit-entries", type=int,
                        help="audit entries in the large database (default 10000000; --quick 20000)")
    parser.add_argument("--seconds", type=float, help="measured time per scan load run (default 10; --quick 1)")
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, to check the harness")
    parser.add_argument("--pages-only", action="store_true",
                        help="seed both sizes and time the pages and worklists only (no labels, scan load, memory, "
                             "audit verify nor start-up): a short run for the pages' scaling")
    parser.add_argument("--out", help="where to save the figures (default bench/results/run-<engine>.json)")
    args = parser.parse_args()
    if (args.lots is not None and args.lots < 3) or (args.seconds is not None and args.seconds <= 0) or (
            args.audit_entries is not None and args.audit_entries < 0):
        parser.error("--lots must be at least 3, --seconds above 0, --audit-entries at least 0")
    return args


# --- the steps ------------------------------------------------------------------------------------------


def step(message: str) -> None:
    """Say what is being done now (on stderr: the table alone goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seed_audit(engine: Engine, total: int, log: checkpoint_seed.SeededLog) -> float:
    """Fill the chain up to `total` entries (with its checkpoints), with a progress bar; seconds taken."""
    started = time.perf_counter()
    entries = total - audit_service.head_seq(Database(engine))
    if entries > 0:
        with click.progressbar(length=entries, label="  audit entries", file=sys.stderr,
                               show_pos=True, show_eta=True) as bar:
            audit_seed.seed_audit(engine, entries, log=log, progress=bar.update)
    return time.perf_counter() - started


def serve_app(folder: Path, env: dict[str, str], stack: contextlib.ExitStack) -> scan_bench.Server:
    """A fresh batchtrack server (as `batchtrack serve` builds the app), stopped when `stack` closes."""
    server = scan_bench.Server("batchtrack", "batchtrack.cli:serving_app", folder=folder, env=env,
                               ready=("/health", 200))
    stack.callback(server.stop)
    server.start()
    return server


def scan_runs(app: scan_bench.Server, bare: scan_bench.Server, seeded: scan_seed.Seeded,
              size: Sizes) -> list[dict[str, Any]]:
    """Bare endpoint then scans at each client count, as scan_bench runs them."""
    bare_work, scan_work = scan_bench.workloads(seeded, seed=1)
    tally = scan_load.Tally()
    runs: list[dict[str, Any]] = []
    for number, clients in enumerate(scan_bench.DEFAULT_CLIENTS):
        for server, work in ((bare, bare_work), (app, scan_work)):
            step(f"  {work.name}: {clients} clients for {size.seconds:g} s")
            runs.append(asyncio.run(scan_load.load(
                work, host="127.0.0.1", port=server.port, server_pid=server.pid, clients=clients,
                seconds=size.seconds, warmup=size.warmup, seed=number + 1, tally=tally)))
            after = server.settle()
            if after:
                runs[-1]["server_after_run"] = after
    return runs


def mixed_load(app: scan_bench.Server, seeded: scan_seed.Seeded, lot: page_bench.BuiltLot,
               size: Sizes) -> dict[str, Any]:
    """The server's memory before and after the mixed requests."""
    step(f"memory: {size.mixed_requests:,} mixed requests")
    _bare, scan_work = scan_bench.workloads(seeded, seed=2)
    accepted, refused = scan_work.requests("127.0.0.1", app.port)
    return server_bench.memory_after_load(host="127.0.0.1", port=app.port, pid=app.pid, scans=accepted + refused,
                                          lot=lot, requests=size.mixed_requests) | {"fresh_server": not size.quick}


def _pages(size: Sizes, small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """The pages' figures at both sizes and their scaling."""
    return {"small_lots": size.small_lots, "large_lots": size.lots, "small": small, "large": large,
            "scaling": page_bench.scaling(small, large, PAGE_SCALING),
            "open_lots": {"small": scan_seed.open_lots(size.small_lots), "large": scan_seed.open_lots(size.lots)}}


def run(args: argparse.Namespace, size: Sizes, stack: contextlib.ExitStack) -> dict[str, Any]:
    """Everything, in order; what is started is registered on `stack` to be stopped."""
    figures: dict[str, Any] = {"sizes": asdict(size), "load_average_at_start": os.getloadavg()}
    figures["labels"] = {}
    if not args.pages_only:
        step(f"label rendering, {size.label_seconds:g} s per format")
        figures["labels"] = labels_bench.rates(size.label_seconds, pool_size=size.label_pool)

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bt_run_")))
    url = stack.enter_context(scan_bench.scratch_database(args.database_url, folder))
    engine = make_engine(url)
    stack.callback(engine.dispose)
    figures["database"] = engine.dialect.name
    env = scan_bench._server_env(url)
    log = checkpoint_seed.SeededLog(folder)

    step(f"small database: {size.small_lots:,} lots and their audit entries")
    seeded = scan_seed.seed(engine, lots=size.small_lots, log=log)
    step("the demonstration therapy, walked through the whole chain")
    started = time.perf_counter()
    lot = page_bench.build_lot(engine, url=url, data_dir=folder / "demo-data")
    figures["demo_seconds"] = round(time.perf_counter() - started, 1)
    step(f"small database: on to {size.small_audit_entries:,} audit entries")
    seconds = seed_audit(engine, size.small_audit_entries, log)
    with contextlib.ExitStack() as servers:
        app = serve_app(folder, env, servers)
        step(f"pages at {size.small_lots:,} lots, {size.page_repeats} requests each")
        small_pages = page_bench.measure(host="127.0.0.1", port=app.port, pid=app.pid, lot=lot,
                                         repeats=size.page_repeats)

    step(f"large database: on to {size.lots:,} lots and their audit entries")
    seeded = scan_seed.extend(engine, seeded, lots=size.lots, log=log)
    step(f"large database: on to {size.audit_entries:,} audit entries")
    seconds += seed_audit(engine, size.audit_entries, log)
    figures["seeding"] = {"lots_seconds": round(seeded.seconds, 1), "audit_seconds": round(seconds, 1),
                          "audit_entries_per_s": round(size.audit_entries / seconds) if seconds else None}
    if args.pages_only:
        with contextlib.ExitStack() as servers:
            app = serve_app(folder, env, servers)
            step(f"pages at {size.lots:,} lots")
            large_pages = page_bench.measure(host="127.0.0.1", port=app.port, pid=app.pid, lot=lot,
                                             repeats=size.page_repeats)
        figures["pages"] = _pages(size, small_pages, large_pages)
        figures["load_average_at_end"] = os.getloadavg()
        return figures
    with contextlib.ExitStack() as servers:
        app = serve_app(folder, env, servers)
        bare = scan_bench.Server("bare", "bare_app:create_app", folder=folder, env=env, ready=("/bare", 405),
                                 app_dir=BENCH_DIR)
        servers.callback(bare.stop)
        bare.start()
        # The pages first, on a server as fresh as the small database's was.
        step(f"pages at {size.lots:,} lots")
        large_pages = page_bench.measure(host="127.0.0.1", port=app.port, pid=app.pid, lot=lot,
                                         repeats=size.page_repeats)
        step("scan verification next to the bare endpoint")
        runs = scan_runs(app, bare, seeded, size)
        figures["scan"] = {"runs": runs, **scan_bench.verdicts(runs)}
        figures["rss_after_scan_runs_mb"] = round(server_bench.server_rss_kib(app.pid)["VmRSS"] / 1024, 1)
        if size.quick:  # no fresh server: its start-up would take as long as the rest of the step
            figures["memory"] = mixed_load(app, seeded, lot, size)
    if not size.quick:
        with contextlib.ExitStack() as servers:
            figures["memory"] = mixed_load(serve_app(folder, env, servers), seeded, lot, size)
    figures["pages"] = _pages(size, small_pages, large_pages)

    step("audit verify over the whole chain: checked clean, then timed, then its parts alone")
    figures["audit_verify"] = verify = audit_bench.verify_throughput(engine, folders=log.folders)
    for line in verify["first_findings"]:
        step(f"  audit verify found: {line}")
    step("SHA-256 alone over the same bytes")
    figures["audit_hash_baseline"] = audit_bench.hash_baseline(engine)
    step(f"start-up of batchtrack serve, {size.startups} times")
    figures["startup"] = server_bench.startup(env=env, port=scan_bench.free_port(), folder=folder,
                                              times=size.startups)
    figures["load_average_at_end"] = os.getloadavg()
    return figures


# --- the table ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a figure, its value as text, its target as text, and whether it is met."""

    figure: str
    value: str
    target: str = ""
    met: bool | None = None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _items(pages: dict[str, Any], name: str) -> str:
    """For a worklist: the items it showed at each size."""
    if "items" not in pages["large"][name]:
        return ""
    return (f", {sum(pages['small'][name].get('items', {}).values())} / "
            f"{sum(pages['large'][name]['items'].values())} items")


def rows(figures: dict[str, Any]) -> list[Row]:
    """The table's lines, in the order the figures were taken."""
    lines: list[Row] = []
    for name, rate in figures["labels"].items():
        target = rate["target_per_s_cpu"]
        lines.append(Row(f"labels {name} /s (CPU; wall)",
                         f"{rate['labels_per_s_cpu']:,.0f}; {rate['labels_per_s_wall']:,.0f}",
                         "" if target is None else f">= {target:,.0f}", rate["met"]))
    for run_ in figures.get("scan", {}).get("runs", []):
        met = target = None
        if run_["target"] == "scan" and run_["clients"] == scan_bench.TARGET_CLIENTS:
            target = f"p99 < {SCAN_P99_MS:.0f} ms"
            met = run_["p99_ms"] is not None and run_["p99_ms"] < SCAN_P99_MS and not run_["errors"]
        errors = f", {run_['errors']} errors" if run_["errors"] else ""
        stolen = f", {run_['machine_stolen_pct']:.0f}% stolen" if run_.get("machine_stolen_pct") else ""
        lines.append(Row(f"{run_['target']} {run_['clients']} clients req/s; p50/p99 ms",
                         f"{run_['requests_per_s']:,.0f}; {_ms(run_['p50_ms'])}/{_ms(run_['p99_ms'])}{errors}{stolen}",
                         target or "", met))
    targets = figures.get("scan", {}).get("targets", {})
    if "ratio" in targets:
        lines.append(Row(f"scan/bare throughput at {targets['clients']} clients", f"{targets['ratio']:.2f}",
                         f">= {targets['ratio_min']:.2f}", targets["ratio_met"]))
    pages = figures["pages"]
    for name, verdict in pages["scaling"].items():
        failed = pages["small"][name]["errors"] + pages["large"][name]["errors"]
        lines.append(Row(f"{name} median ms at {pages['small_lots']:,} / {pages['large_lots']:,} lots",
                         f"{_ms(verdict['small_ms'])} / {_ms(verdict['large_ms'])} (x{verdict['ratio'] or 0:.2f}; "
                         f"srv CPU x{verdict['cpu_ratio'] or 0:.2f})" + _items(pages, name)
                         + (f", {failed} errors" if failed else ""),
                         f"<= x{PAGE_SCALING:g}", verdict["met"] and not failed))
    if "memory" not in figures:  # --pages-only
        return lines
    memory = figures["memory"]
    failures = sum(memory["failures"].values())
    lines.append(Row(f"server RSS after {memory['requests']:,} mixed requests, MB (peak)",
                     f"{memory['rss_after_mb']:.0f} ({memory['rss_peak_mb']:.0f})"
                     + (f", {failures} failed" if failures else ""),
                     f"< {RSS_MB:.0f}", memory["rss_after_mb"] < RSS_MB and not failures))
    verify, baseline = figures["audit_verify"], figures["audit_hash_baseline"]
    lines.append(Row(f"audit verify entries/s ({verify['entries']:,} entries, {verify['checkpoints']:,} checkpoints, "
                     f"{verify['seconds']:.1f} s)",
                     f"{verify['entries_per_s'] or 0:,.0f}" + ("" if verify["ok"] else
                                                               f" NOT CLEAN: {verify['findings']:,} findings"),
                     f">= {VERIFY_PER_S:,}", verify["ok"] and (verify["entries_per_s"] or 0) >= VERIFY_PER_S))
    if verify["ok"]:
        lines.append(Row("  alone: chain walk; records' checks; log, s",
                         f"{verify['chain_seconds']:.1f} ({verify['chain_entries_per_s'] or 0:,.0f}/s); "
                         f"{verify['records_seconds']:.1f}; {verify['log_seconds']:.1f}"))
    lines.append(Row("  bare hashlib.sha256 entries/s, same bytes", f"{baseline['entries_per_s'] or 0:,.0f}"))
    lines.append(Row("batchtrack serve start-up to /health 200, s (median)",
                     f"{figures['startup']['median_s']:.2f} ({', '.join(map(str, figures['startup']['runs_s']))})"))
    return lines


def print_table(figures: dict[str, Any], lines: list[Row]) -> None:
    """The header (what, where, how busy the machine was) and one line per figure."""
    size = figures["sizes"]
    print(f"\nbatchtrack benchmarks on {figures['database']}: {size['lots']:,} lots "
          f"(pages also at {size['small_lots']:,}), {size['audit_entries']:,} audit entries, "
          f"{size['seconds']:g} s per load run; {os.cpu_count()} CPUs, shared with other work "
          f"(load average {figures['load_average_at_start'][0]:.1f} at start, "
          f"{figures['load_average_at_end'][0]:.1f} at end): compare figures within this run")
    width = max(len(line.figure) for line in lines) + 2
    value_width = max(len(line.value) for line in lines) + 2
    print(f"{'figure':<{width}}{'value':<{value_width}}{'target':<18}verdict")
    print("-" * (width + value_width + 26))
    verdict = {True: "met", False: "NOT MET", None: ""}
    for line in lines:
        print(f"{line.figure:<{width}}{line.value:<{value_width}}{line.target:<18}{verdict[line.met]}")


def main() -> None:
    """Run everything; stop the servers and drop the scratch database whatever happens; print and save."""
    args = parse_args()
    size = sizes(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a kill still runs the clean-up
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            figures = run(args, size, stack)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, scratch database removed", file=sys.stderr)
        raise SystemExit(130) from None
    figures["seconds"] = round(time.perf_counter() - started, 1)
    figures["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()}
    lines = rows(figures)
    figures["figures"] = [asdict(line) for line in lines]
    print_table(figures, lines)
    path = Path(args.out) if args.out else RESULTS_DIR / f"run-{figures['database']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures saved to {path} (all in {figures['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
