"""The deployment started once for the proxy tests of this folder: nginx, two `batchtrack serve` units, PgBouncer
and a database of its own on the PostgreSQL server the suite runs on.

It runs in the suite's PostgreSQL run (BATCHTRACK_TEST_DATABASE_URL naming PostgreSQL), once nginx and PgBouncer are
installed (.ci/install-deploy-tools); otherwise its tests are skipped and say which of these is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import PG_URL
from deployment import stack
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from batchtrack.db import Database, make_engine, normalise_url

from capture_printer import CapturingPrinter

SECRET = "deployment-test-secret-" + "x" * 32
STATIONS = [*(f"BSC-{n}" for n in range(1, 3)), "BSC-R1", "BSC-R2"]
THROTTLE_FAILURES = 3


def _why_not_runnable() -> str | None:
    """Why the deployment cannot be run here, or None when it can."""
    missing = [name for name in ("nginx", "pgbouncer") if stack.binary(name) is None]
    if missing:
        return f"{' and '.join(missing)} not installed: run .ci/install-deploy-tools"
    if not PG_URL.startswith("postgres"):
        return "the deployment runs on PostgreSQL: set BATCHTRACK_TEST_DATABASE_URL to a PostgreSQL server"
    try:
        engine = make_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except OperationalError as exc:
        return f"PostgreSQL at BATCHTRACK_TEST_DATABASE_URL is not reachable: {exc.orig}"
    return None


@dataclass
class Deployment:
    """The running deployment: the proxy's address, each server's own, the database behind them."""

    proxy: str  # https://127.0.0.1:port/
    proxy_http: str  # http://127.0.0.1:port/, which sends browsers to HTTPS
    servers: list[stack.Service]
    server_urls: list[str]  # each server directly, bypassing the proxy
    tls: ssl.SSLContext  # trusts the proxy's certificate
    database: Database  # straight to PostgreSQL, for the test's own set-up and checks
    printer: CapturingPrinter
    server_tmp: Path  # the servers' temporary folder (their units have PrivateTmp)

    def client(self, *, source: str = "127.0.0.1", token: str | None = None) -> httpx.Client:
        """A client of the proxy, connecting from `source` (any 127.x.y.z address of the loopback)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.proxy, headers=headers, timeout=60.0,
                            transport=httpx.HTTPTransport(verify=self.tls, local_address=source))


def _database_line(url: str) -> tuple[str, str]:
    """(the [databases] connection string's host, port and password part, the user) for PgBouncer."""
    parsed = make_url(normalise_url(url))
    password = f" password={parsed.password}" if parsed.password else ""
    return f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432}{password}", parsed.username or "postgres"


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """nginx -> two batchtrack units -> PgBouncer (transaction mode) -> a fresh PostgreSQL database, all running."""
    problem = _why_not_runnable()
    if problem:
        pytest.skip(problem)
    name = f"bt_deploy_{os.getpid()}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    folder = Path(tempfile.mkdtemp(prefix="bt-deploy-"))
    folder.chmod(0o711)  # the unprivileged services reach their own folders inside
    owner = stack.unprivileged()
    services: list[stack.Service] = []
    printer = CapturingPrinter()
    database: Database | None = None
    try:
        # PgBouncer, from deploy/pgbouncer/pgbouncer.ini.
        bouncer_dir = folder / "pgbouncer"
        bouncer_dir.mkdir()
        bouncer_port = stack.free_port()
        server_part, user = _database_line(PG_URL)
        (bouncer_dir / "pgbouncer.ini").write_text(stack.render(stack.DEPLOY / "pgbouncer" / "pgbouncer.ini", {
            "host=127.0.0.1 port=5432 dbname=batchtrack": f"{server_part} dbname={name}",
            "listen_port = 6432": f"listen_port = {bouncer_port}",
            "unix_socket_dir = /var/run/postgresql": f"unix_socket_dir = {bouncer_dir}",
            # The test's PostgreSQL lets its user in without a password.
            "auth_type = scram-sha-256": "auth_type = trust",
            "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {bouncer_dir / 'userlist.txt'}",
            "logfile = /var/log/postgresql/pgbouncer.log": f"logfile = {bouncer_dir / 'pgbouncer.log'}",
            "pidfile = /var/run/postgresql/pgbouncer.pid": f"pidfile = {bouncer_dir / 'pgbouncer.pid'}",
        }))
        (bouncer_dir / "userlist.txt").write_text(f'"{user}" ""\n')
        stack.hand_over(bouncer_dir, owner)
        bouncer = stack.Service("pgbouncer", [str(stack.binary("pgbouncer")), str(bouncer_dir / "pgbouncer.ini")],
                                folder=bouncer_dir, env={"PATH": os.environ["PATH"]}, owner=owner)
        services.append(bouncer)
        bouncer.start(lambda: stack.accepts(bouncer_port))

        # The units' environment file, from deploy/systemd/batchtrack.env.example.
        data_dir, server_tmp = folder / "batchtrack", folder / "tmp"
        data_dir.mkdir()
        server_tmp.mkdir()
        env = stack.environment_file(stack.DEPLOY / "systemd" / "batchtrack.env.example", {
            "BATCHTRACK_SECRET_KEY": SECRET,
            "BATCHTRACK_DATABASE_URL": f"postgresql://{user}@127.0.0.1:{bouncer_port}/batchtrack",
            "BATCHTRACK_DATA_DIR": str(data_dir),
        }, {
            "BATCHTRACK_LOGIN_THROTTLE_FAILURES": str(THROTTLE_FAILURES),
            "BATCHTRACK_STATION_PRINTERS": json.dumps({station: printer.address for station in STATIONS}),
            "PATH": os.environ["PATH"], "HOME": str(data_dir), "LANG": "C.UTF-8", "TMPDIR": str(server_tmp),
        })
        batchtrack = shutil.which("batchtrack", path=str(Path(sys.executable).parent)) or "batchtrack"
        for command in (["migrate"], ["audit", "key", "create"]):  # as the README's installation steps
            done = subprocess.run([batchtrack, *command], cwd=data_dir, env=env, capture_output=True, text=True,
                                  timeout=300)
            assert done.returncode == 0, f"batchtrack {' '.join(command)}: {done.stdout}{done.stderr}"

        # Two units, from deploy/systemd/batchtrack@.service.
        servers = []
        for _ in range(2):
            port = stack.free_port()
            command = stack.unit_command(stack.DEPLOY / "systemd" / "batchtrack@.service", str(port), batchtrack)
            server = stack.Service(f"batchtrack@{port}", command, folder=data_dir, env=env)
            services.append(server)
            servers.append((server, port))
            server.launch()  # both start at once
        for server, port in servers:
            server.wait_until(lambda port=port: httpx.get(f"http://127.0.0.1:{port}/health",
                                                          timeout=2).status_code == 200)

        # nginx, from deploy/nginx/batchtrack.conf.
        proxy_dir = folder / "proxy"
        proxy_dir.mkdir()
        certificate, key = stack.self_signed_certificate(proxy_dir)
        https_port, http_port = stack.free_port(), stack.free_port()
        (proxy_dir / "batchtrack.conf").write_text(stack.render(stack.DEPLOY / "nginx" / "batchtrack.conf", {
            "server 127.0.0.1:8001;": f"server 127.0.0.1:{servers[0][1]};",
            "server 127.0.0.1:8002;": f"server 127.0.0.1:{servers[1][1]};",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "/etc/ssl/certs/batchtrack.example.org.pem": str(certificate),
            "/etc/ssl/private/batchtrack.example.org.key": str(key),
        }))
        (proxy_dir / "nginx.conf").write_text(stack.nginx_main_config(proxy_dir, proxy_dir / "batchtrack.conf"))
        stack.hand_over(proxy_dir, owner)
        tls = stack.trusting(certificate)
        proxy = f"https://127.0.0.1:{https_port}"
        nginx = stack.Service("nginx", [str(stack.binary("nginx")), "-p", str(proxy_dir), "-c",
                                        str(proxy_dir / "nginx.conf"), "-e", str(proxy_dir / "error.log")],
                              folder=proxy_dir, env={"PATH": os.environ["PATH"]}, owner=owner)
        services.append(nginx)
        nginx.start(lambda: httpx.get(f"{proxy}/health", verify=tls, timeout=2).status_code == 200)

        database = Database(make_engine(make_url(normalise_url(PG_URL)).set(database=name)
                                        .render_as_string(hide_password=False)))
        yield Deployment(proxy=proxy, proxy_http=f"http://127.0.0.1:{http_port}",
                         servers=[server for server, _ in servers],
                         server_urls=[f"http://127.0.0.1:{port}" for _, port in servers], tls=tls,
                         database=database, printer=printer, server_tmp=server_tmp)
    finally:
        for service in reversed(services):
            service.stop()
        if database is not None:
            database.dispose()
        printer.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)
