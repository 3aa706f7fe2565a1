"""`batchtrack labels render`: every label of a lot as files plus a manifest whose data the barcodes carry."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import func, select

from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database
from batchtrack.lots import schemas as lot_schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.label import LabelPrint
from batchtrack.models.user import Role

from builders import make_user, seed_lot


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test's database, with the same settings as the `settings` fixture."""
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.setenv("BATCHTRACK_FACILITY_NAME", "Test Cell Therapy Facility")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _lot_with_containers(database: Database, settings: Settings) -> str:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR).principal
    qa = make_user(database, Role.QA).principal
    with database.transaction() as session:
        for kind, count in (("culture_vessel", 2), ("qc_sample", 2), ("final_product", 2)):
            lot_service.add_containers(session=session, actor=operator, din=lot.din,
                                       data=lot_schemas.ContainerCreate(kind=kind, count=count))
        expiry = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
        lot_service.set_expiry(session=session, actor=qa, din=lot.din,
                               data=lot_schemas.ExpirySet(expires_at=expiry))
    return lot.din


def _prints(database: Database) -> int:
    with database.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(LabelPrint)).scalar_one())


def test_png_files_decode_to_exactly_the_manifest_and_nothing_is_recorded(
    env: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    din = _lot_with_containers(database, settings)
    prints = _prints(database)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["labels", "render", "--lot", din, "--format", "png", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no print recorded" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lot"] == din and manifest["recorded"] is False
    entries = manifest["labels"]
    # The aspirate bag, 2 culture vessels, 2 QC samples and 2 product bags: one label each.
    assert Counter(e["template_id"] for e in entries) == Counter(
        {"aspirate_bag": 1, "culture_vessel": 2, "qc_sample": 2, "final_product": 2})
    assert sorted(p.name for p in out.glob("*.png")) == sorted(e["file"] for e in entries)
    for entry in entries:
        assert entry["version"] >= 1 and entry["barcodes"]
        image = Image.open(out / entry["file"]).convert("L")
        decoded = Counter(r.text for r in zxingcpp.read_barcodes(image))
        assert decoded == Counter(b["data"] for b in entry["barcodes"].values()), entry["file"]
        assert all(b["data"].startswith(("=", "&")) for b in entry["barcodes"].values())
    assert _prints(database) == prints


@pytest.mark.parametrize(("fmt", "files"), [("svg", 7), ("zpl", 7), ("pdf", 1)])
def test_other_formats_write_one_file_per_label_or_one_pdf_sheet(
    env: str, database: Database, settings: Settings, tmp_path: Path, fmt: str, files: int
) -> None:
    din = _lot_with_containers(database, settings)
    out = tmp_path / fmt
    result = CliRunner().invoke(cli, ["labels", "render", "--lot", din, "--format", fmt, "--out", str(out),
                                      *(["--dpi", "300"] if fmt == "zpl" else [])])
    assert result.exit_code == 0, result.output
    written = sorted(p for p in out.iterdir() if p.name != "manifest.json")
    assert len(written) == files and all(p.suffix == f".{fmt}" for p in written)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["labels"]) == 7
    assert {e["file"] for e in manifest["labels"]} == {p.name for p in written}
    if fmt == "zpl":
        assert all(p.read_bytes().startswith(b"^XA") for p in written)
    if fmt == "svg":
        for entry in manifest["labels"]:
            svg = (out / entry["file"]).read_text(encoding="utf-8")
            for barcode in entry["barcodes"].values():
                assert f"data-content={quoteattr(barcode['data'])}" in svg


def test_help_says_it_records_no_print() -> None:
    result = CliRunner().invoke(cli, ["labels", "render", "--help"])
    assert result.exit_code == 0
    assert "NO PRINT IS RECORDED" in result.output and "manifest.json" in result.output


def test_an_unknown_lot_is_a_clear_error(env: str, database: Database, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["labels", "render", "--lot", "W000026999999", "--format", "png",
                                      "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no lot with DIN W000026999999" in result.output
    assert not (tmp_path / "x").exists()

