"""Closed-loop HTTP load: N clients, each on one keep-alive connection, for a fixed time.

The client is a minimal HTTP/1.1 client on asyncio streams, not httpx: on this 2-core machine httpx spent
about 2 ms of client CPU per request, more than the bare endpoint costs the server, so it measured
itself. Requests are prepared as bytes before the clock starts; each answer's JSON is still parsed and
judged, so a wrong answer is counted, never assumed right.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUEST_TIMEOUT_S = 10.0
MAX_REQUESTS_PER_CLIENT = 2_000_000
MAX_HEAD_BYTES = 16_384
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Judge = Callable[[int, dict[str, Any], bool], str | None]


class HttpError(Exception):
    """The server's answer was not HTTP/1.1 this client can read."""


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads) and of its child processes (a server's workers),
    from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(process_cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # the task ended meanwhile
            continue
    return children


def machine_cpu() -> tuple[int, int, int]:
    """(busy, stolen, total) CPU time of the whole machine so far, in clock ticks, from /proc/stat; stolen is the
    time a virtual machine's processors were ready to run but the hypervisor ran another machine instead."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle, iowait, stolen = values[3], values[4], values[7]
    return sum(values) - idle - iowait - stolen, stolen, sum(values)


class Connection:
    """One keep-alive HTTP/1.1 connection: writes a prepared request, reads one answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send `request` (head and body) and return (status, body) of the answer."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader = self._reader
        self._writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEAD_BYTES:
            raise HttpError("answer head too long")
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0][:80]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            body = await reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            body = await self._chunked(reader)
        else:
            raise HttpError("answer with neither a length nor chunks")
        if headers.get(b"connection") == b"close":
            await self.close()
        return int(parts[1]), body

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        for _ in range(100_000):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk[:-2])
        raise HttpError("too many chunks")

    async def close(self) -> None:
        """Close the connection; the next exchange opens a new one."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Bucket:
    """Latencies and failures of one kind of request in one run."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def fail(self, kind: str, example: str) -> None:
        """Count one failure of this kind, keeping the first example."""
        self.errors[kind] += 1
        self.examples.setdefault(kind, example[:300])

    def summary(self, wall: float) -> dict[str, Any]:
        """Answers, their rate, p50/p99 latency, and failures (an answer that is wrong counts in both)."""
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2) if ordered else None

        return {
            "requests": len(ordered), "requests_per_s": round(len(ordered) / wall, 1) if wall else 0.0,
            "p50_ms": percentile(0.50), "p99_ms": percentile(0.99), "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors), "error_examples": self.examples,
        }


@dataclass(frozen=True, slots=True)
class Workload:
    """What one target is sent: path, extra headers, JSON bodies (some meant to be refused), and the judge."""

    name: str
    path: str
    headers: dict[str, str]
    accepted: list[bytes]
    refused: list[bytes]
    refused_share: float
    judge: Judge

    def requests(self, host: str, port: int) -> tuple[list[bytes], list[bytes]]:
        """The accepted and the refused bodies as complete HTTP/1.1 requests."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.headers.items())

        def request(body: bytes) -> bytes:
            head = (f"POST {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\ncontent-type: application/json\r\n"
                    f"{extra}content-length: {len(body)}\r\n\r\n")
            return head.encode("latin-1") + body

        return [request(b) for b in self.accepted], [request(b) for b in self.refused]


@dataclass
class Tally:
    """Counted over a whole benchmark, warm-ups included: answers with ok false (each one is audited)."""

    refusals_answered: int = 0


async def _client(
    connection: Connection, work: Workload, pools: tuple[list[bytes], list[bytes]], deadline: float,
    rng: random.Random, buckets: tuple[Bucket, Bucket], tally: Tally,
) -> None:
    accepted_pool, refused_pool = pools
    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                return
            swapped = bool(refused_pool) and rng.random() < work.refused_share
            pool, bucket = (refused_pool, buckets[1]) if swapped else (accepted_pool, buckets[0])
            started = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    status, body = await connection.exchange(pool[rng.randrange(len(pool))])
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HttpError,
                    ValueError) as exc:
                bucket.fail(type(exc).__name__, repr(exc))
                await connection.close()
                await asyncio.sleep(0.01)  # a dead server must not turn the loop into a spin
                continue
            bucket.latencies.append(time.perf_counter() - started)
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {}
            if not isinstance(answer, dict):
                answer = {}
            if status == 200 and answer.get("ok") is False:
                tally.refusals_answered += 1
            problem = work.judge(status, answer, swapped)
            if problem is not None:
                bucket.fail(problem, body.decode("utf-8", "replace"))
    finally:
        await connection.close()


async def load(
    work: Workload, *, host: str, port: int, server_pid: int, clients: int, seconds: float, warmup: float,
    seed: int, tally: Tally,
) -> dict[str, Any]:
    """`clients` clients for `warmup` seconds (not counted), then `seconds` measured; the figures."""
    pools = work.requests(host, port)
    connections = [Connection(host, port) for _ in range(clients)]
    rngs = [random.Random(seed * 1000 + k) for k in range(clients)]
    scratch = Bucket()
    deadline = time.perf_counter() + warmup
    await asyncio.gather(*(_client(c, work, pools, deadline, r, (scratch, scratch), tally)
                           for c, r in zip(connections, rngs, strict=True)))
    accepted, refused = Bucket(), Bucket()
    server_cpu, client_cpu, machine = process_cpu_seconds(server_pid), time.process_time(), machine_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(_client(c, work, pools, started + seconds, r, (accepted, refused), tally)
                           for c, r in zip(connections, rngs, strict=True)))
    wall = time.perf_counter() - started
    server_cpu = process_cpu_seconds(server_pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    busy, stolen, total = (now - before for now, before in zip(machine_cpu(), machine, strict=True))
    everything = Bucket(accepted.latencies + refused.latencies, accepted.errors + refused.errors,
                        {**refused.examples, **accepted.examples})
    result = {"target": work.name, "clients": clients, "seconds": round(wall, 2), **everything.summary(wall)}
    result |= {
        "server_cpu_ms_per_request": round(server_cpu * 1000 / result["requests"], 3) if result["requests"] else None,
        "server_cpu_pct": round(100 * server_cpu / wall, 1), "client_cpu_pct": round(100 * client_cpu / wall, 1),
        "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        "machine_stolen_pct": round(100 * stolen / total, 1) if total else None,
    }
    if work.refused:
        result |= {"accepted": accepted.summary(wall), "refused": refused.summary(wall)}
    return result
