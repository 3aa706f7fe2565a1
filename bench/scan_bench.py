"""Throughput and latency of scan verification (POST /api/v1/scans) against a bare FastAPI endpoint.

Run: python bench/scan_bench.py [--lots 100000] [--clients 16] [--seconds 10] [--database-url URL] [--json [OUT]]

A fresh database (an SQLite file in a temporary folder, or a database `bt_bench_<pid>` created on the
PostgreSQL server of --database-url and dropped afterwards) is seeded with released lots, each with one
final-product bag. batchtrack (through the app factory `batchtrack serve` runs) and a bare FastAPI app
(bench/bare_app.py) are then served by uvicorn in separate processes, one worker each, and loaded by the same
client (bench/scan_load.py, asyncio) for a fixed time per client count (1, 16 and 64 unless --clients is given).
Each scan request carries the Data Matrix message of a random seeded bag and expects its lot; 5% expect another
lot and must be refused (the audited path).

Client and servers share this machine's cores: the CPU columns say who was busy. Server CPU per request
is that of the uvicorn process alone (a PostgreSQL backend's work shows only in "machine busy").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:  # the HTTP client of the test client (httpx2), or httpx where only that is installed
    import httpx2 as httpx
except ImportError:
    import httpx
import scan_load
import scan_seed
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

from batchtrack.audit import service as audit_service
from batchtrack.db import Database, make_engine, normalise_url
from batchtrack.models import AuditEntry

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_JSON = BENCH_DIR / "results" / "scan_bench.json"
DEFAULT_CLIENTS = (1, 16, 64)
TARGET_CLIENTS = 16
TARGET_RATIO = 1 / 3
TARGET_P99_MS = 25.0
SWAP_SHARE = 0.05
POOL_SIZE = 20_000  # distinct bags whose messages are prepared before the load (drawn from every seeded lot)
STARTUP_TIMEOUT_S = 60.0
DRAIN_S = 15.0
STATION = "BENCH-1"


# --- the database -------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: str | None, folder: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file in `folder`, or a new database on the server of `url`."""
    if url is None:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    server = make_url(normalise_url(url))
    if server.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
    name = f"bt_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped database {name}", file=sys.stderr)
    finally:
        admin.dispose()


# --- the servers ----------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One uvicorn server (one worker process unless told, log level warning) serving an app factory on 127.0.0.1."""

    def __init__(
        self, name: str, factory: str, *, folder: Path, env: dict[str, str], ready: tuple[str, int],
        app_dir: Path | None = None, workers: int = 1,
    ) -> None:
        self.name, self.folder, self.env = name, folder, env
        self.ready_path, self.ready_status = ready
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
                        "--port", str(self.port), "--workers", str(workers), "--log-level", "warning"]
        if app_dir is not None:
            self.command += ["--app-dir", str(app_dir)]
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start the server and wait (bounded) until GET of its ready path answers the expected status."""
        # A session of its own: a Ctrl-C reaches only this script, which then stops the server itself.
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(self.command, cwd=self.folder, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                answer = httpx.get(self.url + self.ready_path, timeout=2.0)
                if answer.status_code == self.ready_status:
                    return
                last = f"HTTP {answer.status_code}: {answer.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server not ready after {STARTUP_TIMEOUT_S:.0f} s ({last}):\n{self.log_tail()}")

    def settle(self) -> str:
        """Make sure requests left inside the server by clients that gave up cannot slow the next run:
        wait (at most DRAIN_S) for it to answer its ready path within a second, else restart it."""
        started = time.monotonic()
        while time.monotonic() - started < DRAIN_S:
            try:
                httpx.get(self.url + self.ready_path, timeout=1.0)
                waited = time.monotonic() - started
                return f"answered again after {waited:.0f} s" if waited > 1 else ""
            except httpx.HTTPError:
                time.sleep(0.5)
        self.stop()
        self.start()
        return f"still not answering {DRAIN_S:.0f} s after the run: restarted"

    def log_lines(self) -> list[str]:
        """What the server wrote (warnings, errors and tracebacks only, at this log level)."""
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's log."""
        return "\n".join(self.log_lines()[-lines:])

    def stop(self) -> None:
        """Terminate the server (this process only, by its id), killing it if it does not stop in 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# --- the load -------------------------------------------------------------------------------------------


def judge_scan(status: int, answer: dict[str, Any], swapped: bool) -> str | None:
    """None when the answer is right: 200 with ok true, or for a swapped scan ok false for the wrong lot."""
    if status != 200:
        return f"HTTP {status}"
    codes = [reason.get("code") for reason in answer.get("reasons", [])]
    if swapped:
        if answer.get("ok") is not False:
            return "swapped scan accepted"
        return None if "scan.wrong_lot" in codes else f"swapped scan refused for {codes}"
    return None if answer.get("ok") is True else f"refused: {', '.join(map(str, codes))}"


def judge_bare(status: int, answer: dict[str, Any], _swapped: bool) -> str | None:
    """None when the echo came back."""
    if status != 200:
        return f"HTTP {status}"
    return None if answer.get("ok") is True else "no echo"


def workloads(seeded: scan_seed.Seeded, *, seed: int) -> tuple[scan_load.Workload, scan_load.Workload]:
    """The bare and the scan workload, with request bodies prepared from a random sample of seeded lots."""
    rng = random.Random(seed)
    lots = seeded.lots
    sample = rng.sample(range(len(lots)), min(POOL_SIZE, len(lots)))

    def body(index: int, expected: int) -> bytes:
        return json.dumps({
            "raw": scan_seed.scan_message(lots[index]), "station": STATION,
            "expect": {"lot_din": lots[expected].din, "container_kinds": ["final_product"]},
        }).encode()

    accepted = [body(i, i) for i in sample]
    # A swapped scan: a real bag, but the station waits for another lot (any other, never the bag's own).
    swaps = [(i, (i + 1 + rng.randrange(len(lots) - 1)) % len(lots)) for i in sample[: max(1, len(sample) // 10)]]
    refused = [body(i, j) for i, j in swaps]
    scan = scan_load.Workload("scan", "/api/v1/scans", {"authorization": f"Bearer {seeded.token}"}, accepted,
                              refused, SWAP_SHARE, judge_scan)
    return scan_load.Workload("bare", "/bare", {}, accepted, [], 0.0, judge_bare), scan


# --- the report -----------------------------------------------------------------------------------------


def _ms(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def print_table(runs: list[dict[str, Any]]) -> None:
    """One row per target and client count; the scan's accepted and refused requests below it."""
    header = (f"{'':<16}{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
              f"{'srv CPU ms/req':>16}{'srv CPU %':>11}{'client CPU %':>14}{'machine busy %':>16}{'stolen %':>10}")
    print(header)
    print("-" * len(header))
    for run in runs:
        rows = [(run["target"], run)]
        if "accepted" in run:
            rows += [("  accepted", run["accepted"]), (f"  refused ({SWAP_SHARE:.0%})", run["refused"])]
        for label, figures in rows:
            line = (f"{label:<16}{run['clients']:>8}{figures['requests']:>10}{figures['requests_per_s']:>9.0f}"
                    f"{_ms(figures['p50_ms']):>9}{_ms(figures['p99_ms']):>9}{figures['errors']:>8}")
            if figures is run:
                line += (f"{_ms(run['server_cpu_ms_per_request'], 2):>16}{run['server_cpu_pct']:>11.0f}"
                         f"{run['client_cpu_pct']:>14.0f}{run['machine_busy_pct'] or 0:>16.0f}"
                         f"{run.get('machine_stolen_pct') or 0:>10.0f}")
            print(line)
    print("requests: answers received; errors: requests timed out (10 s), failed, or answered wrongly;\n"
          "CPU %: of one core; srv CPU ms/req: uvicorn process CPU per answer; machine busy: all cores, all users;\n"
          "stolen: of all cores, time a virtual machine was ready to run but its host ran another (figures taken\n"
          "while it is high are low by as much)")


def verdicts(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Scan/bare throughput ratio per client count, and the targets at 16 clients."""
    by = {(run["target"], run["clients"]): run for run in runs}
    ratios = {
        clients: round(by["scan", clients]["requests_per_s"] / by["bare", clients]["requests_per_s"], 3)
        for target, clients in by if target == "scan" and by.get(("bare", clients), {}).get("requests_per_s")
    }
    targets: dict[str, Any] = {"clients": TARGET_CLIENTS, "ratio_min": round(TARGET_RATIO, 3),
                               "p99_ms_max": TARGET_P99_MS}
    scan = by.get(("scan", TARGET_CLIENTS))
    if scan is not None and TARGET_CLIENTS in ratios:
        targets |= {
            "ratio": ratios[TARGET_CLIENTS], "ratio_met": ratios[TARGET_CLIENTS] >= TARGET_RATIO,
            "p99_ms": scan["p99_ms"], "p99_met": scan["p99_ms"] is not None and scan["p99_ms"] < TARGET_P99_MS,
            "errors": scan["errors"],
        }
    return {"ratios": ratios, "targets": targets}


def print_verdicts(summary: dict[str, Any]) -> None:
    """The ratios and whether the targets are met."""
    ratios = summary["ratios"]
    print("scan/bare throughput: " + ", ".join(f"{r:.2f} at {c} clients" for c, r in ratios.items()))
    targets = summary["targets"]
    if "ratio" not in targets:
        print(f"targets: not measured (they are set at {TARGET_CLIENTS} clients)")
        return
    met = {True: "met", False: "NOT MET"}
    print(f"target at {TARGET_CLIENTS} clients: scan >= 1/3 of bare throughput: "
          f"{targets['ratio']:.2f} -> {met[targets['ratio_met']]}")
    print(f"target at {TARGET_CLIENTS} clients: scan p99 < {TARGET_P99_MS:.0f} ms: "
          f"{_ms(targets['p99_ms'])} ms -> {met[targets['p99_met']]}")
    if targets["errors"]:
        print(f"  ... and {targets['errors']} scan requests failed in that run: the run is not clean")


def print_failures(runs: list[dict[str, Any]]) -> None:
    """Every kind of failure, with one example answer each, and servers that did not recover after a run."""
    for run in runs:
        if "server_after_run" in run:
            print(f"AFTER {run['target']} at {run['clients']} clients, the server was {run['server_after_run']}")
        for kind, count in run["error_kinds"].items():
            example = run["error_examples"].get(kind, "")
            print(f"FAILED {run['target']} at {run['clients']} clients: {count} x {kind}: {example}")


def log_messages(lines: list[str]) -> Counter[str]:
    """The log's own lines and each traceback's last line, without the frames in between."""
    messages: Counter[str] = Counter()
    for line in lines:
        if line.strip() and not line.startswith((" ", "\t", "Traceback", "The above exception", "During handling")):
            messages[line.strip()] += 1
    return messages


def audit_check(engine: Engine, refusals_answered: int) -> dict[str, Any]:
    """Walk the audit chain and count the recorded scan refusals against the refusals the client saw."""
    with Database(engine).transaction(write=False) as session:
        chain = audit_service.verify(session=session)
        recorded = session.execute(
            select(func.count()).select_from(AuditEntry).where(col(AuditEntry.action) == "scan.refused")
        ).scalar_one()
    return {"entries": chain.count, "chain_ok": chain.ok, "broken_seq": chain.broken_seq,
            "problem": chain.problem, "scan_refused_recorded": recorded, "refusals_answered": refusals_answered}


# --- main -----------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=100_000, help="lots to seed (default 100000)")
    parser.add_argument("--clients", type=int, help="concurrent clients (default: 1, 16 and 64 in turn)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per run (default 10)")
    parser.add_argument("--database-url", help="a PostgreSQL server to use (default: an SQLite file)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes of each server, the app's and the bare one's alike (default 1)")
    parser.add_argument("--json", nargs="?", const=str(DEFAULT_JSON), help=f"save figures (default {DEFAULT_JSON})")
    args = parser.parse_args()
    if args.lots < 2 or (args.clients is not None and args.clients < 1) or args.seconds <= 0 or args.workers < 1:
        parser.error("--lots must be at least 2, --clients and --workers at least 1, --seconds above 0")
    return args


def _server_env(database_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("BATCHTRACK_")}
    # A benchmark host serves batchtrack alone: each server process on a processor of its own, as measured before.
    # Warnings and errors are logged, not the INFO line of each refused scan (as uvicorn's access log is left out):
    # the figures stay comparable with those taken before every worker configured its logging.
    return env | {"BATCHTRACK_DATABASE_URL": database_url, "BATCHTRACK_ENVIRONMENT": "test",
                  "BATCHTRACK_SECRET_KEY": secrets.token_urlsafe(32), "BATCHTRACK_ONE_CPU_PER_PROCESS": "true",
                  "BATCHTRACK_LOG_LEVEL": "WARNING"}


def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    """Seed, serve, load and report; everything started is registered on `stack` to be stopped."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bt_bench_")))
    url = stack.enter_context(scratch_database(args.database_url, folder))
    engine = make_engine(url)
    stack.callback(engine.dispose)
    dialect = engine.dialect.name
    print(f"seeding {args.lots:,} lots into {dialect} ...", file=sys.stderr)
    seeded = scan_seed.seed(engine, lots=args.lots)
    print(f"seeding took {seeded.seconds:.1f} s ({args.lots / seeded.seconds:,.0f} lots/s)")
    bare_work, scan_work = workloads(seeded, seed=1)
    env = _server_env(url)
    app = Server("batchtrack", "batchtrack.cli:serving_app", folder=folder, env=env, ready=("/health", 200),
                 workers=args.workers)
    stack.callback(app.stop)
    # The bare app's one route answers only POST: a 405 to GET means it is up.
    bare = Server("bare", "bare_app:create_app", folder=folder, env=env, ready=("/bare", 405), app_dir=BENCH_DIR,
                  workers=args.workers)
    stack.callback(bare.stop)
    app.start()
    bare.start()
    counts = [args.clients] if args.clients else list(DEFAULT_CLIENTS)
    warmup = min(1.0, args.seconds / 5)
    tally = scan_load.Tally()
    runs: list[dict[str, Any]] = []
    for number, clients in enumerate(counts):
        for server, work in ((bare, bare_work), (app, scan_work)):
            print(f"  {work.name}: {clients} clients for {args.seconds:g} s ...", file=sys.stderr)
            runs.append(asyncio.run(scan_load.load(
                work, host="127.0.0.1", port=server.port, server_pid=server.pid, clients=clients,
                seconds=args.seconds, warmup=warmup, seed=number + 1, tally=tally,
            )))
            after = server.settle()
            if after:
                print(f"  ({server.name} server {after})", file=sys.stderr)
                runs[-1]["server_after_run"] = after
    audit = audit_check(engine, tally.refusals_answered)
    logs = {server.name: server.log_lines() for server in (app, bare)}
    print()
    print(f"database: {dialect}, {args.lots:,} lots seeded in {seeded.seconds:.1f} s; "
          f"{args.seconds:g} s per run after {warmup:g} s warm-up; {os.cpu_count()} CPUs; "
          f"{args.workers} worker process(es) per server")
    print_table(runs)
    summary = verdicts(runs)
    print_verdicts(summary)
    print_failures(runs)
    state = "intact" if audit["chain_ok"] else f"BROKEN at {audit['broken_seq']}: {audit['problem']}"
    print(f"audit chain: {audit['entries']} entries, {state}; "
          f"scan.refused recorded {audit['scan_refused_recorded']}, refusals answered {audit['refusals_answered']}")
    for name, lines in logs.items():
        if lines:
            print(f"{name} server log: {len(lines)} lines; its messages (tracebacks left out), most frequent first:")
            for message, count in log_messages(lines).most_common(8):
                print(f"  {count:>5} x {message[:200]}")
    return {
        "database": dialect, "lots": args.lots, "seed_seconds": round(seeded.seconds, 2),
        "seconds_per_run": args.seconds, "warmup_seconds": warmup, "swap_share": SWAP_SHARE,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": runs, **summary, "audit": audit,
        "server_log": {name: dict(log_messages(lines).most_common(20)) for name, lines in logs.items()},
    }


def main() -> None:
    """Run the benchmark; stop the servers and drop the scratch database whatever happens."""
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a kill still runs the clean-up below
    try:
        with contextlib.ExitStack() as stack:
            figures = run(args, stack)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, scratch database removed", file=sys.stderr)
        raise SystemExit(130) from None
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures saved to {path}")


if __name__ == "__main__":
    main()
