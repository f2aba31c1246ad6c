"""Resources are found in the source tree, in a PyInstaller bundle, and on extra paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from drivers.resources import resource_dirs, resource_root


def test_the_source_tree_ships_scenarios_and_profiles():
    root = resource_root()
    assert (root / "scenarios" / "healthy.toml").is_file()
    assert (root / "acquirers" / "demo.toml").is_file()


def test_a_frozen_app_looks_inside_its_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_root() == tmp_path / "resources"


def test_extra_paths_come_first(monkeypatch, tmp_path):
    monkeypatch.setenv("TECHAPP_SCENARIO_PATH", os.pathsep.join([f"{tmp_path}/a", f"{tmp_path}/b"]))
    dirs = resource_dirs("scenarios", "TECHAPP_SCENARIO_PATH")
    assert dirs[:2] == [Path(f"{tmp_path}/a"), Path(f"{tmp_path}/b")]
    assert dirs[-1] == resource_root() / "scenarios"
