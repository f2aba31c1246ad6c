"""One version from one place (issue 16): techapp.VERSION plus the checkout's commit, the same in
--version, the JSON outputs and the report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import techapp
from techapp.version import _read_commit, describe, full_version

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_the_release_plus_the_commit_of_the_checkout():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        assert full_version() == techapp.VERSION
        return
    commit = _read_commit(ROOT)
    assert commit and head.stdout.strip().startswith(commit)
    assert full_version() == f"{techapp.VERSION}+g{commit}" == techapp.__version__
    assert re.fullmatch(rf"{re.escape(techapp.VERSION)}\+g[0-9a-f]{{10}}(\.dirty)?", describe())


def test_pyproject_reads_the_one_release_number():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = { attr = "techapp.VERSION" }' in text
    assert re.search(r'^VERSION = "\d+\.\d+\.\d+"', (ROOT / "techapp" / "__init__.py").read_text(), re.M)


def test_version_json_and_report_say_the_same(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "techapp", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
        )

    version = run("--version").stdout.strip()
    assert version.startswith(f"techapp {techapp.VERSION}")
    info = json.loads(run("info", "--demo", "--json").stdout)
    assert info["generator"] == version
    run("diagnose", "--demo", "--fix", "none", "--no-history", "--json", str(tmp_path / "d.json"))
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))["generator"] == version
    network = json.loads(run("network", "--demo", "--json").stdout)
    assert network["generator"] == version

    from techapp.report import build_report

    diagnosis = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert build_report(diagnosis, technician={"name": "T", "id": "1"})["generator"] == version
