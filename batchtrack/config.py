"""Settings: one class, read from the environment with the BATCHTRACK_ prefix."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from batchtrack.i18n.negotiation import LANGUAGES
from batchtrack.i18n.text import Text, _

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "dev", "demo"})
DEV_SECRET = "dev-only-secret-not-for-production"  # noqa: S105 - refused in production
FIN_PATTERN = re.compile(r"^[A-NP-Z1-9][0-9]{4}$")


class Settings(BaseSettings):
    """Runtime configuration of one batchtrack installation."""

    model_config = SettingsConfigDict(env_prefix="BATCHTRACK_", env_file=".env", extra="ignore")

    environment: Literal["production", "demo", "dev", "test"] = "production"
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "batchtrack")
    # Both secrets are SecretStr: a repr of the settings, a traceback or a log line shows them as '**********'; each
    # use reads .get_secret_value().
    database_url: SecretStr = SecretStr("")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    facility_fin: str = "W0000"
    facility_name: str = "batchtrack demonstration facility"
    facility_address: str = ""
    display_timezone: str = "UTC"
    # The language of a reader who has chosen none and whose browser asks for none the product speaks: "ko" or
    # "en" (the demonstration site in Seoul: "ko").
    default_language: str = "en"
    # Product description codes come from licensed tables: the code is a setting, not a constant.
    product_description_code: str = "Y0001"
    product_description: str = "CS20AT04 BM-MSC, fresh, for infusion"
    # A browser session ends after this long whatever is done (absolute), and after this many minutes without a
    # request (idle); every server refuses it at its next request.
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    session_idle_minutes: int = Field(default=15, ge=1)
    # Failed sign-ins and failed electronic signatures, counted together, that lock an account, and for how long.
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # API tokens expire this many days after they are issued unless a shorter time is asked; never later than the
    # maximum.
    token_default_days: int = Field(default=90, ge=1)
    token_max_days: int = Field(default=365, ge=1)
    # Password rules: at least this many characters, and none of the user's last `password_history_count`.
    password_min_length: int = Field(default=12, ge=8, le=256)
    password_history_count: int = Field(default=5, ge=0, le=50)
    # A brake on password spraying (few tries at each of many user names) from one client address: once it has
    # this many failed sign-ins within the window, its further sign-ins are refused with 429 (and Retry-After)
    # until the oldest leave the window. The failures are kept in the database, so every server counts them; the
    # address is the client's own as a trusted proxy forwards it (see forwarded_allow_ips).
    login_throttle_failures: int = Field(default=20, ge=1)
    login_throttle_window_seconds: int = Field(default=300, ge=1)
    # Set when the application is served over HTTPS (behind a TLS proxy): the session cookie is then marked
    # Secure and responses carry Strict-Transport-Security. A request that reached the server as HTTPS (the
    # proxy's X-Forwarded-Proto, trusted from the addresses uvicorn's --forwarded-allow-ips names) gets both
    # even when this is not set.
    cookie_secure: bool = False
    # Request bodies larger than this are refused with 413 before they are read, except on the routes that take
    # photo uploads, which may be as large as `max_upload_bytes` (their own checks are stricter still).
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=24 * 1024 * 1024, ge=1024)
    # Zebra printers this installation may send labels to, as "host:port" (JSON list in the environment):
    # a print request naming any other address is refused, so the server never connects where it should not.
    printers: list[str] = Field(default_factory=list)
    # The printer of each labelling station (JSON object: station name -> "host:port"); these are allowed too.
    station_printers: dict[str, str] = Field(default_factory=dict)

    @property
    def allowed_printers(self) -> list[str]:
        """Every printer address labels may be sent to."""
        return [*self.printers, *self.station_printers.values()]
    # The audit chain's anchor outside the database (see batchtrack/audit/anchoring.py). The private key that signs
    # checkpoints: by default in the data folder; in production keep it where the database's administrators
    # cannot read it. The checkpoint log is written to every folder listed (JSON list in the environment): put a
    # second one on another volume or a write-once store.
    checkpoint_key_file: Path | None = None
    checkpoint_dirs: list[Path] = Field(default_factory=list)
    # A checkpoint is written once this many entries were appended since the last one, and once this many minutes
    # passed with any entry appended; 0 turns either off.
    checkpoint_every_entries: int = Field(default=1000, ge=0)
    checkpoint_every_minutes: int = Field(default=15, ge=0)

    @property
    def checkpoint_key_path(self) -> Path:
        """Where the checkpoint signing key is."""
        return self.checkpoint_key_file or self.data_dir / "keys" / "checkpoint-ed25519.pem"

    @property
    def checkpoint_folders(self) -> list[Path]:
        """The folders that hold a copy of the checkpoint log."""
        return self.checkpoint_dirs or [self.data_dir / "checkpoints"]

    # E-mail notifications go out through this SMTP server; none are sent while no host is set.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "batchtrack@localhost"
    smtp_starttls: bool = True

    @property
    def mail_enabled(self) -> bool:
        """Whether notifications are sent by e-mail (an SMTP host is set)."""
        return bool(self.smtp_host)

    log_level: str = "INFO"
    # Each server process runs on a processor of its own (see process_cpu): its threads then share one processor's
    # caches instead of handing them back and forth. It helps a host that serves batchtrack alone (about half the
    # processor time of a scan under load) and harms one that shares its processors: off by default.
    one_cpu_per_process: bool = False
    # Requests served at once by one process (more get 503 at once): with the 40 worker threads and 40 database
    # connections of a process, a bound keeps requests from ever waiting on each other for a connection.
    max_concurrent_requests: int = Field(default=64, ge=1, le=1000)

    # --- Deployment: the connection pool, the trusted proxies, PgBouncer (see deploy/README.md) ---
    # Database connections one server process keeps open (pool) and may open beyond them while busy (overflow),
    # closed again once returned. The default, one per thread that holds one (40 request threads and 4 of the scan
    # route), never makes a request wait for a connection. Sizing rule: servers x workers x (pool + overflow) stays
    # below PostgreSQL's max_connections less its reserved ones, or below PgBouncer's max_client_conn when the
    # servers connect through PgBouncer, whose default_pool_size then bounds PostgreSQL's share. With a smaller pool a
    # request waits up to 10 s for a connection under full load.
    database_pool_size: int = Field(default=44, ge=1, le=1000)
    database_pool_overflow: int = Field(default=0, ge=0, le=1000)
    # psycopg prepares a statement on the server once it has run five times on a connection. PgBouncer in
    # transaction mode (before 1.21, or without max_prepared_statements) hands each transaction to any server
    # connection, where the prepared statement does not exist: set this false there.
    database_prepared_statements: bool = True
    # The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated addresses or networks,
    # "*" for any): the client's own address, which the sign-in throttle counts, comes from them. Name the reverse
    # proxy's address when it is not on this host; never "*" when clients can reach the servers directly.
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if not entries:
            raise ValueError("forwarded_allow_ips names no address: give the proxy's address (127.0.0.1 for one on "
                             "this host)")
        for entry in entries:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"forwarded_allow_ips: {entry!r} is not an IP address or network, nor '*'") from exc
        return ",".join(entries)
    # --- end of Deployment ---

    # --- Observability (see batchtrack/observability) ---
    # Log lines as text or as one JSON object a line (for a log collector); either way each names its request's id.
    log_format: Literal["text", "json"] = "text"
    # Keep the X-Request-ID a request brings, when it looks like an id: set it only when the server is reached
    # through the proxy alone (bound to the loopback or a private address) and the proxy sets or replaces that
    # header. Otherwise, and for an id that is not sane, each request gets a new id.
    request_id_from_proxy: bool = False
    # Prometheus metrics at /metrics, to a client that sends this bearer token; without one /metrics answers 404.
    metrics_token: SecretStr = SecretStr("")

    @field_validator("facility_fin")
    @classmethod
    def _fin_shape(cls, value: str) -> str:
        if not FIN_PATTERN.fullmatch(value):
            raise ValueError(
                "facility FIN must be 5 characters: first A-N, P-Z or 1-9 (never O or 0), then 4 digits"
            )
        return value

    @field_validator("product_description_code")
    @classmethod
    def _product_code_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[SY][0-9A-Z]{4}", value):
            raise ValueError("a product description code is S or Y followed by 4 letters or digits")
        return value

    @field_validator("default_language")
    @classmethod
    def _spoken_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def secret_problem(self) -> Text | None:
        """Why the secret key may not be used to serve, or None when it may."""
        if self.environment != "production":
            return None
        secret = self.secret_key.get_secret_value()
        if secret.lower() in PLACEHOLDER_SECRETS or secret == DEV_SECRET:
            return _("BATCHTRACK_SECRET_KEY is a placeholder")
        if len(secret) < 32:
            return _("BATCHTRACK_SECRET_KEY is shorter than 32 characters")
        return None

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file in the data directory."""
        if url := self.database_url.get_secret_value():
            return url
        return f"sqlite:///{self.data_dir / 'batchtrack.sqlite3'}"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone used to display times (storage is always UTC)."""
        return ZoneInfo(self.display_timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
