"""The independent ZPL renderer (tools/zpl-render, zpl-renderer-js) driven from the tests: ZPL in, images out.

zpl-renderer-js is IngridHQ's Zebrash, a ZPL interpreter written in Go, compiled to WebAssembly and run by
Node.js: it shares no code with batchtrack, so a label it draws is read back as a printer would print it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[3]
TOOL = REPO / "tools" / "zpl-render"
SCRIPT = TOOL / "render.mjs"
PACKAGE = TOOL / "node_modules" / "zpl-renderer-js" / "package.json"
# Loading the WebAssembly module takes about half a second; a label about as long again.
TIMEOUT_S = 120


def missing() -> str | None:
    """Why the renderer cannot run here (install with .ci/install-label-tools), or None when it can."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not PACKAGE.is_file():
        return f"zpl-renderer-js is not installed in {TOOL.relative_to(REPO)}"
    return None


def render(labels: Sequence[bytes], *, dpi: int, workdir: Path) -> list[Image.Image]:
    """Each ZPL label (one ^XA ... ^XZ) as an 8-bit grey image at `dpi`, in the order given; one Node process."""
    workdir.mkdir(parents=True, exist_ok=True)
    arguments: list[str] = []
    outputs: list[Path] = []
    for index, zpl in enumerate(labels):
        source, target = workdir / f"label-{index}.zpl", workdir / f"label-{index}.png"
        source.write_bytes(zpl)
        arguments += [str(source), str(target)]
        outputs.append(target)
    node = shutil.which("node") or "node"
    done = subprocess.run([node, str(SCRIPT), "--dpi", str(dpi), *arguments], capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the ZPL renderer failed (exit {done.returncode}): {done.stderr.strip()}")
    # Read each PNG whole now, so no file stays open once the images are returned.
    return [Image.open(io.BytesIO(path.read_bytes())).convert("L") for path in outputs]
