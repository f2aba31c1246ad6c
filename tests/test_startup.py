"""A command loads what it needs and no more: `techapp --version` answers without Qt, cryptography or pydantic.

Each case runs the real entry point in a fresh interpreter with ``python -X importtime``
(every module the process imported is listed on stderr) and checks the list, not the
time: the figures themselves are measured by bench/startup.py (docs/performance.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from techapp import VERSION

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("PySide6", "shiboken6", "cryptography", "pydantic", "psutil", "ssl", "techapp.cli", "techapp.diagnosis")


def imported(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert modules, result.stderr  # -X importtime really listed the imports
    return result, modules


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("entry", [["-m", "ui.launcher"], ["-m", "techapp"]], ids=["techapp", "python-m-techapp"])
def test_version_loads_no_qt_no_cryptography_no_pydantic(entry):
    result, modules = imported(*entry, "--version")
    assert result.returncode == 0, result.stderr
    # the release number, and the commit when run from a checkout (which may move on while tests run)
    assert re.fullmatch(rf"techapp {re.escape(VERSION)}(\+g[0-9a-f]+)?\n", result.stdout), result.stdout
    assert heavy_in(modules) == []


def test_the_command_line_itself_still_loads_for_other_commands():
    """The short cut is for --version alone: `techapp --help` still builds the whole parser."""
    result, modules = imported("-m", "ui.launcher", "--help")
    assert result.returncode == 0, result.stderr
    assert "diagnose" in result.stdout and "--version" in result.stdout
    assert "techapp.cli" in modules
    assert not [m for m in modules if m.startswith("PySide6")]  # no window: no Qt
