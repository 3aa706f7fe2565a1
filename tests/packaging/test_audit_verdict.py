"""The dependency audit fails closed: wherever a vulnerability service answers, it passes only when every package
was checked and none has a known vulnerability (.ci/audit_verdict.py, read by .ci/audit-deps)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_verdict.py"
PASS, FAIL, TRY_NEXT = 0, 1, 2


def run(tmp_path: Path, report: dict[str, Any] | None, *, answers: bool) -> tuple[int, str]:
    """The verdict's exit status and output for `report` (None: pip-audit wrote none)."""
    path = tmp_path / "report.json"
    if report is not None:
        path.write_text(json.dumps(report), encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), str(path), "pypi", "1" if answers else "0", "batchtrack"],
                          capture_output=True, text=True, check=False)
    return done.returncode, done.stdout


def dep(name: str, *, vulns: list[dict[str, Any]] | None = None, skip: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "version": "1.0"}
    if skip is not None:
        entry["skip_reason"] = skip
    else:
        entry["vulns"] = vulns or []
    return entry


CVE = {"id": "PYSEC-0000-1", "fix_versions": ["1.1"], "description": "a flaw"}
NOT_FOUND = "Dependency not found on PyPI and could not be audited"


def test_every_package_checked_and_clean_passes(tmp_path: Path) -> None:
    status, out = run(tmp_path, {"dependencies": [dep("fastapi"), dep("batchtrack", skip=NOT_FOUND)]}, answers=True)
    assert status == PASS, out
    assert "1 packages checked, 0 not checked, 0 with known vulnerabilities" in out


def test_a_known_vulnerability_fails_naming_it(tmp_path: Path) -> None:
    status, out = run(tmp_path, {"dependencies": [dep("fastapi", vulns=[CVE])]}, answers=True)
    assert status == FAIL
    assert "fastapi 1.0: PYSEC-0000-1 (fixed in: 1.1)" in out


@pytest.mark.parametrize("answers", [True, False])
def test_a_package_left_unchecked_by_a_service_that_checked_others_fails(tmp_path: Path, answers: bool) -> None:
    report = {"dependencies": [dep("fastapi"), dep("starlette", skip=NOT_FOUND)]}
    status, out = run(tmp_path, report, answers=answers)
    assert status == FAIL
    assert "not checked: starlette" in out


def test_a_service_that_answers_but_checks_nothing_fails(tmp_path: Path) -> None:
    status, out = run(tmp_path, {"dependencies": [dep("fastapi", skip=NOT_FOUND)]}, answers=True)
    assert status == FAIL
    assert "did not check every package" in out


def test_no_report_from_a_service_that_answers_fails(tmp_path: Path) -> None:
    assert run(tmp_path, None, answers=True)[0] == FAIL


def test_a_service_that_does_not_answer_passes_the_turn_to_the_next(tmp_path: Path) -> None:
    assert run(tmp_path, None, answers=False)[0] == TRY_NEXT
    assert run(tmp_path, {"dependencies": [dep("fastapi", skip=NOT_FOUND)]}, answers=False)[0] == TRY_NEXT
