"""`batchtrack serve` as an operator starts it, in a subprocess on a free port, its output kept in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

START_S = 40.0
SECRET = "observability-secret-" + "x" * 32


def free_port() -> int:
    """A TCP port on the loopback that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    """A running server: where it answers and where its output goes."""

    url: str
    output: Path

    def text(self) -> str:
        """Everything the server (parent and workers) has written so far."""
        return self.output.read_text(errors="replace")

    def wait_for(self, needle: str, seconds: float = 10.0) -> str:
        """The first line of output holding `needle`, waited for (bounded); the whole output in the failure."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in self.text().splitlines():
                if needle in line:
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no line with {needle!r} in the server's output:\n{self.text()[-4000:]}")


@contextmanager
def serving(db_url: str, folder: Path, *, workers: int, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run `batchtrack serve --workers N` on the (migrated) database until the block ends."""
    port = free_port()
    output = folder / "serve.log"
    environment = {**os.environ, "BATCHTRACK_DATABASE_URL": db_url, "BATCHTRACK_ENVIRONMENT": "test",
                   "BATCHTRACK_SECRET_KEY": SECRET, "BATCHTRACK_DATA_DIR": str(folder),
                   "BATCHTRACK_LOG_LEVEL": "INFO", "BATCHTRACK_ONE_CPU_PER_PROCESS": "false", **(env or {})}
    command = [str(Path(sys.executable).with_name("batchtrack")), "serve", "--host", "127.0.0.1", "--port",
               str(port), "--workers", str(workers)]
    with output.open("ab") as sink:
        # cwd is the test's folder: no .env of a checkout is read.
        process = subprocess.Popen(command, cwd=folder, env=environment, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(process, url, output)
        yield Served(url, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_answering(process: subprocess.Popen[bytes], url: str, output: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited ({process.returncode}):\n{output.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"serve not answering after {START_S:.0f} s:\n{output.read_text(errors='replace')}")
