"""The `batchtrack` command: serve, migrate, demo, user, audit."""

from __future__ import annotations

import gc
import logging
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from batchtrack import migrate as migrations
from batchtrack.commands import audit as audit_commands
from batchtrack.commands import backup as backup_commands
from batchtrack.commands import context, language
from batchtrack.commands import notify as notify_commands
from batchtrack.commands import users as user_commands
from batchtrack.commands.language import Refused, say
from batchtrack.config import DEV_SECRET, Settings, get_settings
from batchtrack.i18n import numbers
from batchtrack.i18n.text import _
from batchtrack.server_process import cpu as process_cpu
from batchtrack.server_process import memory as process_memory

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("batchtrack")


@click.group(cls=language.Group, context_settings={"help_option_names": ["-h", "--help"]})
@language.version_option
@language.language_option
def main() -> None:
    """batchtrack keeps the chain of identity and custody of patient-specific cell-therapy lots.

    Configuration comes from BATCHTRACK_* environment variables (see the README): the database
    (BATCHTRACK_DATABASE_URL, default an SQLite file in BATCHTRACK_DATA_DIR), the secret key, the facility.
    """


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema to this version (safe to run again)."""
    settings = context.settings()
    database = context.database(settings)
    before = migrations.current_revision(database.engine)
    migrations.upgrade(database.engine)
    after = migrations.current_revision(database.engine)
    say(_("database schema: {before} -> {after}", before=before or _("empty"), after=after) if before != after
        else _("database schema already current ({revision})", revision=after))
    database.dispose()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (they share nothing but the database).")
@click.option("--forwarded-allow-ips", default=None, metavar="ADDRESSES",
              help="The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated "
                   "addresses or networks [default: BATCHTRACK_FORWARDED_ALLOW_IPS, else 127.0.0.1].")
def serve(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    """Serve the pages and the REST API (/api/v1, OpenAPI at /api/v1/docs).

    Refuses to start on an out-of-date schema, or in production with a placeholder secret key or without a
    checkpoint signing key (`batchtrack audit key create`).
    """
    import uvicorn

    if forwarded_allow_ips is not None:
        # Through the environment: checked as the setting is, and read the same way by every worker process.
        os.environ["BATCHTRACK_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        get_settings.cache_clear()
    settings = context.settings()
    problem = settings.secret_problem()
    if problem:
        raise Refused(_("{problem}: set BATCHTRACK_SECRET_KEY to a random value of at least 32 characters "
                        "(or BATCHTRACK_ENVIRONMENT=demo for a demonstration)", problem=problem))
    if settings.environment == "production":
        from batchtrack.audit import keys

        try:
            keys.load(settings.checkpoint_key_path)
        except keys.KeyProblem as exc:
            raise Refused(_("audit checkpoints cannot be signed: {problem}", problem=exc.text)) from exc
    database = context.database(settings)
    context.require_current_schema(database)
    database.dispose()
    say(_("batchtrack serving on http://{host}:{port}/ (database: {database})", host=host, port=port,
          database=make_engine_url_safe(settings)))
    from batchtrack.observability import log_setup
    from batchtrack.observability import multiprocess as shared_metrics

    # uvicorn is given no logging configuration of its own (log_config=None): its lines go through the same
    # handler as the application's, here and in each worker (see serving_app).
    log_setup.configure(level=settings.log_level, log_format=settings.log_format)
    shared_metrics.prepare_for_workers(workers)
    uvicorn.run("batchtrack.cli:serving_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips,
                limit_concurrency=settings.max_concurrent_requests,
                log_config=None)


def serving_app() -> FastAPI:
    """The application as `serve` runs it: uvicorn calls this in each worker process."""
    from batchtrack.main import create_app
    from batchtrack.observability import log_setup

    settings = get_settings()
    # A worker process starts afresh: the logging the command set up in its own process is not here.
    log_setup.configure(level=settings.log_level, log_format=settings.log_format)
    # Before any thread starts: a thread runs where the thread that started it was placed.
    process_memory.share_heap_arenas()
    if settings.one_cpu_per_process:
        process_cpu.keep_on_one_cpu()
    app = create_app(settings)
    # What exists by now (modules, routes, models, schemas, templates: some 200,000 objects) lives as long as the
    # process. The garbage collector's full passes walked all of it: under load, a pause of about 100 ms every
    # few seconds for every request in flight. Frozen, it is left out of those passes; whatever is made from
    # here on is collected as before.
    gc.collect()
    gc.freeze()
    return app


def make_engine_url_safe(settings: Settings) -> str:
    """The database URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


def _demo_secret(data_dir: Path) -> str:
    # A demo installation still signs its cookies with a secret of its own, kept beside its database.
    path = data_dir / "demo-secret-key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _refuse_a_taken_address(host: str, port: int) -> None:
    """End the command when the server could not listen at host:port (the port in use, or no such address), before
    anything is created or announced."""
    try:
        family, kind, protocol, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                    flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise Refused(_("cannot listen on {host}: {problem}; choose another address with --host", host=host,
                        problem=exc.strerror or str(exc))) from exc
    with socket.socket(family, kind, protocol) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a server just stopped is free, one a server listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise Refused(_("port {port} on {host} is in use ({problem}): stop what listens there or choose "
                            "another port with --port", port=port, host=host,
                            problem=exc.strerror or str(exc))) from exc


@main.command()
@click.option("--serve/--no-serve", "then_serve", default=True, show_default=True,
              help="Start the server after creating the demo data.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def demo(then_serve: bool, host: str, port: int) -> None:
    """Create a demonstration facility: one user per role, a therapy, its collection, lot and containers.

    Runs in the demo environment unless BATCHTRACK_ENVIRONMENT says otherwise; safe to run twice.
    Prints where to sign in and the demo credentials, then serves (unless --no-serve).
    """
    from batchtrack.demo import walkthrough as demo_data

    os.environ.setdefault("BATCHTRACK_ENVIRONMENT", "demo")
    # The demonstration site is the first one, in Seoul: Korean pages and Korea Standard Time unless told otherwise.
    os.environ.setdefault("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    os.environ.setdefault("BATCHTRACK_DISPLAY_TIMEZONE", "Asia/Seoul")
    get_settings.cache_clear()
    settings = context.settings()
    if settings.environment == "production":
        raise Refused(_("refusing to create demo users in a production installation"))
    if then_serve:
        _refuse_a_taken_address(host, port)
    if settings.secret_key.get_secret_value() == DEV_SECRET:
        os.environ["BATCHTRACK_SECRET_KEY"] = _demo_secret(settings.data_dir)
        get_settings.cache_clear()
        settings = get_settings()
    say(_("Demo data folder: {folder} (database: {database})", folder=str(settings.data_dir.resolve()),
          database=make_engine_url_safe(settings)))
    from batchtrack.audit import anchoring, keys

    if not settings.checkpoint_key_path.exists():
        made = keys.create(settings.checkpoint_key_path)
        say(_("Demo checkpoint signing key {key} created at {path}.", key=made.public.id,
              path=str(settings.checkpoint_key_path)))
    database = context.database(settings)
    migrations.upgrade(database.engine)
    anchor = anchoring.Anchor.from_settings(settings, database)
    database.checkpoint = anchor.checkpoint_quietly
    summary = demo_data.run(database=database, settings=settings)
    anchor.checkpoint_quietly("demonstration data created")
    database.dispose()
    say(_("Demo facility ready ({facility}, FIN {fin}).", facility=settings.facility_name, fin=settings.facility_fin))
    for step in summary.steps:
        click.echo(f"  - {language.shown(step)}")
    say(_("Therapy {coi}, lot {din}.", coi=summary.coi, din=summary.lot_din))
    say(_("Sign in at http://{host}:{port}/login with one of (user / password / role):", host=host, port=port))
    for username, password, roles in summary.users:
        click.echo(f"  {username:<13} {password:<30} {roles}")
    if summary.lot_din:
        say(_("The demo lot's page: http://{host}:{port}/lots/{din}", host=host, port=port, din=summary.lot_din))
    if then_serve:
        import uvicorn

        uvicorn.run("batchtrack.main:create_app", factory=True, host=host, port=port,
                    log_level=settings.log_level.lower(), limit_concurrency=settings.max_concurrent_requests)


@main.group()
def labels() -> None:
    """Label layouts and label files (printing with its record is done in the application)."""


@labels.command("render")
@click.option("--lot", "lot_din", required=True, metavar="DIN", help="The lot's DIN (13 characters).")
@click.option("--format", "fmt", required=True, type=click.Choice(["png", "svg", "zpl", "pdf"]),
              help="png/svg for screens, zpl for Zebra printers, pdf for one A4 sheet of all the labels.")
@click.option("--out", "out_dir", required=True, type=language.Path(file_okay=False, path_type=Path),
              help="Folder to write to (created if missing).")
@click.option("--dpi", type=click.IntRange(150, 1200), default=None,
              help="Resolution: ZPL 203 (default) or 300; PNG 150-1200 (default 300). Ignored for svg and pdf.")
def labels_render(lot_din: str, fmt: str, out_dir: Path, dpi: int | None) -> None:
    """Write the label of every container of a lot, one file per label, plus manifest.json.

    This is a preview and export: NO PRINT IS RECORDED, so files written here are not part of the lot's
    label reconciliation. Print labels that go on containers from the lot's labels page or the API
    (POST /api/v1/lots/{din}/labels), which records template, version, who, when and how many.

    manifest.json lists, for each label, its file, template id and version, container, and the exact data
    encoded in each of its barcodes. With --format pdf all labels go on one sheet file.
    """
    import json
    from typing import cast

    from batchtrack import labels as label_outputs
    from batchtrack.errors import BatchtrackError
    from batchtrack.labels import export as label_export
    from batchtrack.lots import service as lot_service

    settings = context.settings()
    database = context.database(settings)
    context.require_current_schema(database)
    try:
        with database.transaction(write=False) as session:
            lot = lot_service.get_by_din(session=session, din=lot_din)
            count = len(lot_service.containers_of(session=session, lot=lot))
            label = language.shown(_("Rendering {count} label(s) of lot {din}", count=numbers.shown(count),
                                     din=lot.din))
            with click.progressbar(length=count, label=label, file=sys.stderr) as bar:
                files, manifest = label_export.export_lot(
                    session=session, settings=settings, din=lot.din, fmt=cast(label_outputs.Format, fmt), dpi=dpi,
                    progress=bar.update)
    except BatchtrackError as exc:
        raise Refused(_("{problem} ({code})", problem=exc.text, code=exc.code)) from exc
    finally:
        database.dispose()
    out_dir.mkdir(parents=True, exist_ok=True)
    for file in files:
        (out_dir / file.name).write_bytes(file.data)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    say(_("wrote {files} file(s) and manifest.json for {labels} label(s) to {folder} "
          "(preview/export: no print recorded)", files=numbers.shown(len(files)),
          labels=numbers.shown(len(manifest["labels"])), folder=str(out_dir)))


main.add_command(user_commands.user)
main.add_command(audit_commands.audit)
main.add_command(backup_commands.backup)
main.add_command(backup_commands.restore)
main.add_command(notify_commands.notify)
