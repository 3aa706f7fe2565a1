"""Response time of the pages of one fully built lot: the lot page, the chain-of-identity report, and the audit
trail review's first page and the page of the lot's entries; and of the worklist (`GET /api/v1/me/worklist`) of a
QA person and of an operator.

The lot is the demonstration's (batchtrack.demo: enrolment, collection, expansion, QC, release, bedside
check and infusion), built on a database already seeded with many bare lots, so its pages are what a person
opens in a busy installation. Each page is requested over HTTP from the served app, one request at a time,
with the bearer token of the investigator (a clinical role: the report then carries the patient's identity).
The worklists are requested with a token of the demonstration's QA person (who sees most kinds of work: results
due, lots awaiting release and what holds them, deviations, labels, expiries) and of its operator (bags, lots
waiting for processing, open steps, labels, expiries); the seeded lots hold a share of each (bench/scan_seed.py),
so each list has as many items to show at every size, and the answer's items are counted by section.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scan_load
from sqlalchemy import Engine

from batchtrack.auth import tokens as auth_tokens
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.demo import walkthrough as demo

VIEWER = "investigator"
WARM_UP = 2  # requests per page before the measured ones: templates compiled, caches filled
# What is measured, by name: the path template and the media type the answer must have.
PAGES: dict[str, tuple[str, str]] = {
    "lot page (HTML)": ("/lots/{din}", "text/html"),
    "report page (HTML)": ("/therapies/{coi}/report", "text/html"),
    "report JSON": ("/api/v1/therapies/{coi}/report", "application/json"),
    "report PDF": ("/api/v1/therapies/{coi}/report.pdf", "application/pdf"),
    # The audit trail review: its first page (the newest entries) and a page of one lot's entries (the lot, its
    # collections, containers, steps...), both read by seq from an index, so as fast at 10M entries as at 100k.
    "audit review first page (JSON)": ("/api/v1/audit-entries?order=desc&limit=50", "application/json"),
    "audit review lot page (JSON)": ("/api/v1/audit-entries?lot={din}&order=desc&limit=50", "application/json"),
}
WORKLIST_MEDIA = "application/vnd.batchtrack.worklist+json"  # not sent by the server: a worklist JSON is expected
# The worklists measured, by name: the demonstration user whose token asks for them.
WORKLISTS: dict[str, str] = {"worklist QA (JSON)": "qa", "worklist operator (JSON)": "operator"}
WORKLIST_PATH = "/api/v1/me/worklist"


@dataclass(frozen=True, slots=True)
class BuiltLot:
    """The fully built lot's DIN, its therapy's COI identifier, a bearer token that may see both, and the tokens
    of the users whose worklists are measured (by username)."""

    din: str
    coi: str
    token: str
    viewers: tuple[tuple[str, str], ...] = ()

    def paths(self) -> dict[str, str]:
        """The measured paths of this lot, by page name."""
        return {name: path.format(din=self.din, coi=self.coi) for name, (path, _media) in PAGES.items()}

    def requests(self) -> dict[str, tuple[str, str, str]]:
        """Everything measured, by name: the path, the token it is asked with and the media type it answers."""
        tokens = dict(self.viewers)
        measured = {name: (path, self.token, PAGES[name][1]) for name, path in self.paths().items()}
        return measured | {name: (WORKLIST_PATH, tokens[user], WORKLIST_MEDIA) for name, user in WORKLISTS.items()
                           if user in tokens}


def build_lot(engine: Engine, *, url: str, data_dir: Path) -> BuiltLot:
    """Walk the demonstration therapy through the whole chain on `engine`'s database; its lot and a token."""
    settings = Settings(environment="test", database_url=url, data_dir=data_dir,
                        secret_key=secrets.token_urlsafe(32))
    database = Database(engine)
    summary = demo.run(database=database, settings=settings)
    if not summary.lot_din or not summary.coi:
        raise RuntimeError("the demonstration built no lot")
    with database.transaction() as session:
        token, *viewers = (auth_tokens.create(session=session, settings=Settings(), actor=SYSTEM, username=user,
                                              name=f"page bench {secrets.token_hex(4)}")
                           for user in (VIEWER, *WORKLISTS.values()))
    return BuiltLot(summary.lot_din, summary.coi, token, tuple(zip(WORKLISTS.values(), viewers, strict=True)))


def get_request(host: str, port: int, path: str, token: str) -> bytes:
    """A keep-alive HTTP/1.1 GET with the bearer token, ready to send."""
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nauthorization: Bearer {token}\r\n"
            "accept: */*\r\n\r\n").encode("latin-1")


async def _timed(connection: scan_load.Connection, request: bytes) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    status, body = await connection.exchange(request)
    return time.perf_counter() - started, status, body


async def _measure(host: str, port: int, pid: int, lot: BuiltLot, repeats: int) -> dict[str, dict[str, Any]]:
    connection = scan_load.Connection(host, port)
    figures: dict[str, dict[str, Any]] = {}
    try:
        for name, (path, token, media) in lot.requests().items():
            request = get_request(host, port, path, token)
            times, failures, size, cpu, answer = [], [], 0, 0.0, b""
            for number in range(WARM_UP + repeats):
                cpu_before = scan_load.process_cpu_seconds(pid)
                elapsed, status, body = await _timed(connection, request)
                if status != 200 or not _looks_like(media, body):
                    failures.append(f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
                elif number >= WARM_UP:
                    times.append(elapsed * 1000)
                    size, answer = len(body), body
                    cpu += scan_load.process_cpu_seconds(pid) - cpu_before
            figures[name] = {
                "path": path, "requests": len(times), "bytes": size, "errors": len(failures),
                "error_example": failures[0] if failures else "",
                "median_ms": round(statistics.median(times), 2) if times else None,
                "min_ms": round(min(times), 2) if times else None,
                "max_ms": round(max(times), 2) if times else None,
                # The server's CPU time per request (clock ticks of /proc: 10 ms steps, so a mean of many).
                "server_cpu_ms": round(cpu * 1000 / len(times), 1) if times else None,
            }
            if media == WORKLIST_MEDIA and times:
                figures[name]["items"] = worklist_items(answer)
    finally:
        await connection.close()
    return figures


def _looks_like(media: str, body: bytes) -> bool:
    """The body is of the expected kind (a page, a JSON report with the lot, a PDF file)."""
    if media == WORKLIST_MEDIA:
        return body.startswith(b"{") and b'"sections"' in body
    if media == "application/pdf":
        return body.startswith(b"%PDF")
    if media == "application/json":
        return (body.startswith(b"{") and b'"therapy"' in body) or body.startswith(b'[{"seq":')
    return b"<html" in body[:500].lower()


def worklist_items(body: bytes) -> dict[str, int]:
    """A worklist answer's items by kind (its sections show at most a fixed number each)."""
    return {section["kind"]: len(section["items"]) for section in json.loads(body)["sections"]}


def measure(*, host: str, port: int, pid: int, lot: BuiltLot, repeats: int) -> dict[str, dict[str, Any]]:
    """Per page: the median (and min, max) response time of `repeats` sequential requests after a warm-up, and
    the server process's (`pid`) CPU time per request."""
    return asyncio.run(_measure(host, port, pid, lot, repeats))


def scaling(small: dict[str, dict[str, Any]], large: dict[str, dict[str, Any]], limit: float) -> dict[str, Any]:
    """Per page: the large database's median over the small one's, and whether it is within `limit`."""
    verdicts: dict[str, Any] = {}
    for name, figures in large.items():
        before, after = small.get(name, {}).get("median_ms"), figures.get("median_ms")
        ratio = round(after / before, 2) if before and after else None
        cpu_before, cpu_after = small.get(name, {}).get("server_cpu_ms"), figures.get("server_cpu_ms")
        verdicts[name] = {"small_ms": before, "large_ms": after, "ratio": ratio,
                          "cpu_ratio": round(cpu_after / cpu_before, 2) if cpu_before and cpu_after else None,
                          "met": ratio is not None and ratio <= limit}
    return verdicts
