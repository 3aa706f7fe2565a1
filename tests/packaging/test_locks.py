"""The lock files say what an installation gets: every dependency pyproject.toml names is pinned in them, at one
version with its hashes, and the application and the tests run the same versions. A dependency added to
pyproject.toml without `bash .ci/lock` fails here, not a year later at a hospital's reinstall."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


@dataclass
class Pin:
    """One package pinned in a lock file, with the hashes listed under it."""

    version: str
    hashes: list[str] = field(default_factory=list)


def read_lock(name: str) -> dict[str, Pin]:
    """The pins of `requirements/<name>`, by canonical package name."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = Pin(match["version"])
            pins[canonicalize_name(match["name"])] = current
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            current.hashes.append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return pins


def declared(*extras: str) -> set[str]:
    """The names of the dependencies pyproject.toml declares, with those of the given extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(line).name) for line in lines}


@pytest.mark.parametrize(("lock", "extras"), [("app.lock", ("postgres",)), ("test.lock", ("postgres", "test"))])
def test_every_declared_dependency_is_pinned_with_hashes(lock: str, extras: tuple[str, ...]) -> None:
    pins = read_lock(lock)
    missing = sorted(declared(*extras) - set(pins))
    assert not missing, f"{missing} are in pyproject.toml but not in requirements/{lock}: run bash .ci/lock"
    unhashed = sorted(name for name, pin in pins.items() if not pin.hashes)
    assert not unhashed, f"{unhashed} are pinned without a hash in requirements/{lock}"
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for pin in pins.values() for digest in pin.hashes)


def test_the_tests_run_the_applications_versions() -> None:
    app, test = read_lock("app.lock"), read_lock("test.lock")
    differing = {name: (pin.version, test[name].version) for name, pin in app.items()
                 if name in test and test[name].version != pin.version}
    assert not differing
    assert set(app) <= set(test)


def test_the_tool_lock_pins_the_uv_that_writes_the_locks() -> None:
    script = (ROOT / ".ci" / "uv.sh").read_text(encoding="utf-8")
    version = re.search(r"^UV_VERSION=(\S+)$", script, re.MULTILINE)
    assert version is not None
    tools = read_lock("tools.lock")
    assert tools["uv"].version == version[1]
    assert tools["uv"].hashes
