"""The served process itself: its memory after a mixed load, and how long `batchtrack serve` takes to answer.

Memory is the resident set (VmRSS in /proc/<pid>/status) of the uvicorn process and any children, read before
and after a fixed number of mixed requests: scans (accepted and refused), the lot page and the report as a
page, JSON and PDF, from a few concurrent keep-alive clients. Start-up is timed from launching the command
until GET /health answers 200.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import scan_load
from page_bench import BuiltLot, get_request

try:  # the HTTP client of the test client (httpx2), or httpx where only that is installed
    import httpx2 as httpx
except ImportError:
    import httpx

CLIENTS = 8
REQUEST_TIMEOUT_S = 30.0
STARTUP_TIMEOUT_S = 60.0
# Of every 52 requests: 36 scans, 6 lot pages, 4 report pages, 3 report JSON, 1 report PDF (a PDF costs
# about as much as 200 scans: more would make the run long without touching other paths), and one of each page of
# the audit trail review (QA reading the trail while the stations scan).
MIX = ("scan",) * 36 + ("lot page (HTML)",) * 6 + ("report page (HTML)",) * 4 + ("report JSON",) * 3 + (
    "report PDF", "audit review first page (JSON)", "audit review lot page (JSON)")


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak), RssAnon (heap, stacks) and RssFile (mapped files) of a process, in KiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0])
    return fields


def server_rss_kib(pid: int) -> dict[str, int]:
    """The memory figures of a server process plus its worker processes (if any)."""
    total = Counter(rss_kib(pid))
    for child in scan_load._children(pid):
        total.update(rss_kib(child))
    return dict(total)


async def _mixed(host: str, port: int, scans: list[bytes], lot: BuiltLot, requests: int,
                 seed: int) -> dict[str, Any]:
    pages = {name: get_request(host, port, path, lot.token) for name, path in lot.paths().items()}
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    remaining = [requests]

    async def client(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        connection = scan_load.Connection(host, port)
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                kind = MIX[rng.randrange(len(MIX))]
                request = scans[rng.randrange(len(scans))] if kind == "scan" else pages[kind]
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT_S):
                        status, _body = await connection.exchange(request)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, scan_load.HttpError) as exc:
                    failures[f"{kind}: {type(exc).__name__}"] += 1
                    await connection.close()
                    continue
                counts[kind] += 1
                if status != 200:
                    failures[f"{kind}: HTTP {status}"] += 1
        finally:
            await connection.close()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return {"answered": dict(counts), "failures": dict(failures)}


def memory_after_load(*, host: str, port: int, pid: int, scans: list[bytes], lot: BuiltLot,
                      requests: int) -> dict[str, Any]:
    """The server's memory before and after `requests` mixed requests (scans: prepared HTTP requests)."""
    before = server_rss_kib(pid)
    started = time.perf_counter()
    load = asyncio.run(_mixed(host, port, scans, lot, requests, seed=7))
    seconds = time.perf_counter() - started
    after = server_rss_kib(pid)
    return {
        "requests": requests, "clients": CLIENTS, "seconds": round(seconds, 1), **load,
        "rss_before_mb": round(before["VmRSS"] / 1024, 1), "rss_after_mb": round(after["VmRSS"] / 1024, 1),
        "rss_peak_mb": round(after["VmHWM"] / 1024, 1), "rss_anon_after_mb": round(after["RssAnon"] / 1024, 1),
        "rss_file_after_mb": round(after["RssFile"] / 1024, 1),
    }


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("batchtrack")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from batchtrack.cli import main; main()"]


def startup_once(*, env: dict[str, str], port: int, folder: Path) -> float:
    """Seconds from launching `batchtrack serve` until GET /health answers 200; the server is then stopped."""
    url = f"http://127.0.0.1:{port}/health"
    with (folder / "startup.log").open("a") as log:
        started = time.perf_counter()
        process = subprocess.Popen([*_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=folder,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while time.perf_counter() - started < STARTUP_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"batchtrack serve exited ({process.returncode}); see {folder / 'startup.log'}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"batchtrack serve did not answer /health within {STARTUP_TIMEOUT_S:.0f} s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def startup(*, env: dict[str, str], port: int, folder: Path, times: int = 3) -> dict[str, Any]:
    """The median (and each) of `times` fresh start-ups."""
    runs = [startup_once(env=env, port=port, folder=folder) for _ in range(times)]
    return {"runs_s": [round(r, 3) for r in runs], "median_s": round(statistics.median(runs), 3)}
