"""Fixtures of the read-back tests: the independent tools (or why they are missing), and the lot whose labels are
exported with `batchtrack labels render`, as a user would export them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from labels.independent import barcode_readers, pdf_sheet, zpl_renderer
from labels.independent.lot_exports import CONTAINERS, Export, NewLot, PartsOf

from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database
from batchtrack.labels import content_builder, layouts
from batchtrack.labels.content import LabelContent
from batchtrack.labels.layouts import Layout
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role

from builders import make_user, seed_lot


def _unavailable(reason: str) -> None:
    # Continuous integration installs every tool (.ci/install-label-tools), so there a missing one is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (.ci/install-label-tools installs it)")
    pytest.skip(f"{reason}: run .ci/install-label-tools")


@pytest.fixture
def zpl_tools() -> None:
    """The independent ZPL renderer and the Data Matrix reader are installed."""
    for reason in (zpl_renderer.missing(), barcode_readers.missing()):
        if reason:
            _unavailable(reason)


@pytest.fixture
def pdf_tools() -> None:
    """pdftoppm and the Data Matrix reader are installed."""
    for reason in (pdf_sheet.pdftoppm_missing(), barcode_readers.missing()):
        if reason:
            _unavailable(reason)


@pytest.fixture
def readers() -> None:
    """The Data Matrix reader is installed."""
    reason = barcode_readers.missing()
    if reason:
        _unavailable(reason)


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The command line pointed at the test's database, with the `settings` fixture's facility; its settings."""
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_FACILITY_NAME", "Test Cell Therapy Facility")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def new_lot(database: Database, settings: Settings) -> NewLot:
    """Makes a lot in process with an expiry and containers of every kind (the recipient's name may be given)."""

    def make(**names: str) -> str:
        lot = seed_lot(database, settings, **names)
        operator = make_user(database, Role.OPERATOR).principal
        qa = make_user(database, Role.QA).principal
        with database.transaction() as session:
            for kind, count in CONTAINERS:
                lot_service.add_containers(session=session, actor=operator, din=lot.din,
                                           data=lot_schemas.ContainerCreate(kind=kind, count=count))
            expiry = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
            lot_service.set_expiry(session=session, actor=qa, din=lot.din,
                                   data=lot_schemas.ExpirySet(expires_at=expiry))
        return lot.din

    return make


@pytest.fixture
def export(cli_env: Settings, tmp_path: Path) -> Export:
    """`batchtrack labels render` of a lot in a format: the folder written and its manifest.json."""

    def run(din: str, fmt: str, dpi: int | None = None) -> tuple[Path, dict[str, Any]]:
        out = tmp_path / f"export-{fmt}-{dpi or 'default'}"
        arguments = ["labels", "render", "--lot", din, "--format", fmt, "--out", str(out)]
        result = CliRunner().invoke(cli, [*arguments, *([] if dpi is None else ["--dpi", str(dpi)])])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["lot"] == din and manifest["format"] == fmt
        return out, manifest

    return run


@pytest.fixture
def parts_of(database: Database, cli_env: Settings) -> PartsOf:
    """Per container of a lot: the layout and content of its label, made as the export makes them."""

    def parts(din: str) -> dict[int, tuple[Layout, LabelContent]]:
        with database.transaction(write=False) as session:
            lot = lot_service.get_by_din(session=session, din=din)
            containers = lot_service.containers_of(session=session, lot=lot)
            sources = content_builder.load_sources(session=session, therapy_id=lot.therapy_id,
                                                   expires_at=lot.expires_at, containers=containers)
        return {
            source.container_id: (layouts.load_layout(content_builder.label_kind_for(source.container_kind)),
                                  content_builder.assemble(source, settings=cli_env))
            for source in sources
        }

    return parts
