"""The settings a deployment gives: secrets that never show in a repr or a log, the connection pool's size, the
proxies whose forwarded headers are trusted, and server-side prepared statements that PgBouncer's transaction mode
cannot keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner, Result
from conftest import PG_URL
from pydantic import ValidationError
from sqlalchemy.pool import QueuePool

from batchtrack import cli, db, migrate
from batchtrack.config import Settings, get_settings

SECRET = "a-production-secret-that-must-never-be-shown-" + "x" * 8
PASSWORD = "db-password-never-shown"


def test_the_secret_key_and_the_database_password_never_show_in_the_settings_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATCHTRACK_SECRET_KEY", SECRET)
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", f"postgresql://batchtrack:{PASSWORD}@db.example.org/batchtrack")
    settings = Settings()
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert SECRET not in shown and PASSWORD not in shown
    # Read where they are used, and only there.
    assert settings.secret_key.get_secret_value() == SECRET
    assert PASSWORD in settings.effective_database_url


def test_each_process_keeps_the_pool_the_settings_size(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pool.sqlite3'}", database_pool_size=6,
                        database_pool_overflow=2)
    engine = db.make_engine_for(settings)
    try:
        assert isinstance(engine.pool, QueuePool)
        assert engine.pool.size() == 6 and engine.pool._max_overflow == 2
    finally:
        engine.dispose()


def test_by_default_a_process_keeps_one_connection_per_thread_that_holds_one() -> None:
    settings = Settings()
    assert settings.database_pool_size == db.REQUEST_THREADS + db.SCAN_THREADS
    assert settings.database_pool_overflow == 0


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: set BATCHTRACK_TEST_DATABASE_URL")
@pytest.mark.parametrize(("prepared", "threshold"), [(True, 5), (False, None)])
def test_statements_are_prepared_on_the_server_only_when_the_settings_allow_it(
    db_url: str, prepared: bool, threshold: int | None
) -> None:
    engine = db.make_engine_for(Settings(database_url=db_url, database_prepared_statements=prepared))
    try:
        with engine.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold == threshold
    finally:
        engine.dispose()


@pytest.mark.parametrize("addresses", ["not-an-address", "10.0.0.1, proxy.example.org", " , "])
def test_trusted_proxies_that_are_not_addresses_are_refused(addresses: str) -> None:
    with pytest.raises(ValidationError, match="forwarded_allow_ips"):
        Settings(forwarded_allow_ips=addresses)


def test_trusted_proxies_may_be_addresses_networks_or_any() -> None:
    assert Settings(forwarded_allow_ips="10.0.0.5, 192.168.0.0/24,::1").forwarded_allow_ips == \
        "10.0.0.5,192.168.0.0/24,::1"
    assert Settings(forwarded_allow_ips="*").forwarded_allow_ips == "*"
    assert Settings().forwarded_allow_ips == "127.0.0.1"  # uvicorn's own default: a proxy on this host


def _served_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *options: str) -> tuple[Result, dict[str, Any]]:
    """Run `batchtrack serve` on a migrated database with uvicorn replaced: what it printed, what uvicorn got."""
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", url)
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    # Set (and so given back at the end) before `serve` writes the option's value into it.
    monkeypatch.setenv("BATCHTRACK_FORWARDED_ALLOW_IPS", "127.0.0.1")
    called: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: called.update(kwargs))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.main, ["serve", *options]), called
    finally:
        get_settings.cache_clear()


def test_serve_passes_the_trusted_proxies_to_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result, called = _served_with(monkeypatch, tmp_path, "--forwarded-allow-ips", "10.1.2.3,10.9.0.0/16")
    assert result.exit_code == 0, result.output
    assert called["forwarded_allow_ips"] == "10.1.2.3,10.9.0.0/16" and called["proxy_headers"] is True


def test_serve_trusts_the_proxies_the_settings_name_without_the_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, called = _served_with(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert called["forwarded_allow_ips"] == "127.0.0.1"


def test_serve_refuses_trusted_proxies_that_are_not_addresses(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    result, called = _served_with(monkeypatch, tmp_path, "--forwarded-allow-ips", "the-proxy")
    assert result.exit_code == 1 and called == {}
    assert "forwarded_allow_ips" in result.output and "'the-proxy' is not an IP address" in result.output
