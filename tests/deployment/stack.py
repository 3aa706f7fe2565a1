"""The deployment of deploy/, run on this machine: nginx in front of two `batchtrack serve` units, PgBouncer in
transaction mode in front of PostgreSQL.

Every configuration is rendered from the files deploy/ ships: their ports, paths and database replaced, nothing
else. A replaced text that a shipped file no longer holds fails the test, so the test follows the files. nginx and
PgBouncer run as unprivileged processes (as `nobody` when the test runs as root), in a folder of their own, on
ports free at the time; the servers run the units' own ExecStart with the units' environment file.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx2 as httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
START_S = 180.0  # a server's two workers start in a few seconds, longer on a busy machine
SBIN = ("/usr/sbin", "/usr/local/sbin")


def binary(name: str) -> str | None:
    """Where the program `name` is (the Debian packages put nginx and pgbouncer in /usr/sbin), or None."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def free_port() -> int:
    """A TCP port on the loopback that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(template: Path, replacements: Mapping[str, str]) -> str:
    """The shipped file with each text replaced; fails when the file no longer holds one of them."""
    text = template.read_text()
    for old, new in replacements.items():
        assert old in text, f"{template.relative_to(DEPLOY)} no longer holds {old!r}: update tests/deployment with it"
        text = text.replace(old, new)
    return text


def unit_command(unit: Path, instance: str, batchtrack: str) -> list[str]:
    """The ExecStart of a systemd unit for one instance (%i), run with this installation's `batchtrack`."""
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, f"{unit.name} has one ExecStart"
    command = shlex.split(lines[0].removeprefix("ExecStart=").replace("%i", instance))
    assert command[0] == "/opt/batchtrack/venv/bin/batchtrack", command[0]
    return [batchtrack, *command[1:]]


def environment_file(path: Path, overrides: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The KEY=value lines of a systemd EnvironmentFile, `overrides` replacing values it sets (each must be one of
    them) and `extra` adding the test's own."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    missing = sorted(set(overrides) - set(found))
    assert not missing, f"{path.name} no longer sets {missing}: update tests/deployment with it"
    return {**found, **overrides, **extra}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as nginx reads them: (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "batchtrack deployment test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "proxy.pem", folder / "proxy.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def trusting(certificate: Path) -> ssl.SSLContext:
    """A TLS context that trusts the proxy's certificate alone."""
    return ssl.create_default_context(cafile=str(certificate))


def unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of `nobody` when this test runs as root, so that no service of the test runs as root; None when
    the test runs as an ordinary user already."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def hand_over(folder: Path, owner: tuple[int, int] | None) -> None:
    """Give the folder and what it holds to the unprivileged user (nothing to do when there is none)."""
    if owner is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, *owner)


class Service:
    """One process of the deployment, in a process group of its own, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, folder: Path, env: Mapping[str, str],
                 owner: tuple[int, int] | None = None) -> None:
        self.name, self.command, self.folder, self.env, self.owner = name, command, folder, dict(env), owner
        self.log_path = folder / f"{name}.out"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool]) -> None:
        """Start the process and wait (bounded) until `ready()` says it serves."""
        self.launch()
        self.wait_until(ready)

    def launch(self) -> None:
        """Start the process (in a process group of its own)."""
        as_user = {} if self.owner is None else {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=self.folder, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, **as_user)

    def wait_until(self, ready: Callable[[], bool]) -> None:
        """Wait (bounded) until `ready()` says the process serves; fail at once when it has ended."""
        assert self.process is not None
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if ready():
                    return
            except (OSError, httpx.HTTPError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {START_S:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process and everything it started (SIGTERM to its group, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the process's output."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """Lines of the output that tell of a server error (a traceback or a 500)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or " 500 " in line]


def accepts(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def nginx_main_config(folder: Path, site: Path) -> str:
    """The main configuration the test gives nginx in place of Debian's /etc/nginx/nginx.conf (which includes the
    sites the same way): everything it writes in `folder`, in the foreground."""
    temp = {kind: folder / kind for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    return "\n".join([
        "daemon off;",
        "worker_processes 2;",
        f"pid {folder / 'nginx.pid'};",
        f"error_log {folder / 'error.log'} notice;",
        "events { worker_connections 512; }",
        "http {",
        f"    access_log {folder / 'access.log'};",
        *(f"    {kind}_temp_path {path};" for kind, path in temp.items()),
        f"    include {site};",
        "}",
        "",
    ])
