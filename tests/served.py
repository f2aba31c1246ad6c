"""A scenario served out of process, as in a second shell: ``techapp sim NAME --pty --netmap FILE``.

Shared by the tests that diagnose a simulated terminal through a real pty with ``techapp diagnose``
as a separate process (tests/test_sim_world.py, tests/test_edges.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a techapp child process: no password or scenario path inherited."""
    e = {k: v for k, v in os.environ.items() if k not in ("TECHAPP_PASSWORD", "TECHAPP_SCENARIO_PATH")}
    e["PYTHONIOENCODING"] = "utf-8"
    e.update(extra)
    return e


class Served:
    """``techapp sim NAME --pty --netmap FILE`` in the background; ``path`` is its pty."""

    def __init__(self, scenario: str, netmap: Path) -> None:
        self.netmap = netmap
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "techapp", "sim", scenario, "--pty", "--netmap", str(netmap)],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline(), self.proc.stdout.readline()]
        paths = [line.removeprefix("pty ").strip() for line in lines if line.startswith("pty ")]
        assert paths, f"no pty in {lines!r}; stderr: {self.stop()}"
        self.path = paths[0]

    def stop(self) -> str:
        """Stop the simulator (by its own process handle) and return what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err
