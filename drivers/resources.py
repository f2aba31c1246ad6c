"""The one place that knows where ``resources/`` is: the source tree, or PyInstaller's bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resource_root() -> Path:
    """``resources/`` of this checkout, or of the frozen app (``sys._MEIPASS``)."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "resources" if base else Path(__file__).resolve().parents[1] / "resources"


def resource_dirs(kind: str, env_var: str) -> list[Path]:
    """Folders to search for files of ``kind`` (e.g. "scenarios"): ``$env_var`` entries first, then the shipped ones."""
    extra = os.environ.get(env_var, "")
    return [Path(p) for p in extra.split(os.pathsep) if p] + [resource_root() / kind]
