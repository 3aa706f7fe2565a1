"""Run a worker script in several processes at once and collect what each printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORKERS = Path(__file__).parent / "workers"


def run_parallel(script: str, args_per_process: list[list[str]], timeout: float = 240) -> list[list[str]]:
    """Start every process before waiting for any, so they really overlap; fail loudly on any error."""
    procs = [
        subprocess.Popen([sys.executable, str(WORKERS / script), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for args in args_per_process
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs
