"""The files a hospital's IT department and a contributor look for first: the licence pyproject.toml declares, and a
pre-commit configuration that runs the same ruff and mypy as CI."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_file_is_the_apache_licence_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_pre_commit_runs_ruff_and_mypy_from_the_environment() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks["ruff"]["entry"].split()[:2] == ["ruff", "check"]
    assert hooks["mypy"]["entry"] == "mypy batchtrack"
    assert {hook["language"] for hook in hooks.values()} == {"system"}
