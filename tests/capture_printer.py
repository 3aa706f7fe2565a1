"""A stand-in for a Zebra printer's raw port: a local TCP server that keeps what it is sent."""

from __future__ import annotations

import socket
import threading


class CapturingPrinter:
    """A TCP server on 127.0.0.1 that keeps the bytes of each connection, like a Zebra printer's raw port 9100."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        # Accept polls, so that close() stops the thread without waiting for a connection.
        self._server.settimeout(0.05)
        self.port = int(self._server.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"  # as a print request names the printer
        self.jobs: list[bytes] = []
        self._received = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="zebra-capture", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            chunks = []
            with connection:
                connection.settimeout(10)
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
            with self._received:
                self.jobs.append(b"".join(chunks))
                self._received.notify_all()

    def wait(self, count: int = 1) -> list[bytes]:
        """The bytes of each connection so far, once at least `count` senders have closed theirs."""
        with self._received:
            arrived = self._received.wait_for(lambda: len(self.jobs) >= count, timeout=10)
            assert arrived, f"the printer received {len(self.jobs)} job(s), expected {count}"
            return list(self.jobs)

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._server.close()
