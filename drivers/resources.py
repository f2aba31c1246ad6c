"""The one place that knows where ``resources/`` is (source tree or PyInstaller's bundle) and how its TOML
files are named, listed and quoted in error messages."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, time
from pathlib import Path


def resource_root() -> Path:
    """``resources/`` of this checkout, or of the frozen app (``sys._MEIPASS``)."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "resources" if base else Path(__file__).resolve().parents[1] / "resources"


def resource_dirs(kind: str, env_var: str) -> list[Path]:
    """Folders to search for files of ``kind`` (e.g. "scenarios"): ``$env_var`` entries first, then the shipped ones."""
    extra = os.environ.get(env_var, "")
    return [Path(p) for p in extra.split(os.pathsep) if p] + [resource_root() / kind]


def is_path(name: str) -> bool:
    """A file path rather than a resource name: it ends in ``.toml`` or contains a directory separator."""
    return name.endswith(".toml") or os.sep in name or "/" in name


def named_files(dirs: list[Path]) -> list[tuple[str, Path]]:
    """Every ``*.toml`` in ``dirs`` as ``(name, path)``; a file in an earlier folder hides one of the same name."""
    seen: dict[str, Path] = {}
    for directory in dirs:
        try:  # a folder named in an environment variable may be too long a name, or unreadable: skipped
            found = sorted(directory.glob("*.toml")) if directory.is_dir() else []
        except (OSError, ValueError):
            found = []
        for path in found:
            seen.setdefault(path.stem, path)
    return sorted(seen.items())


def toml_value(value: object) -> str:
    """A value as it is spelled in a TOML file (true, 2026-11-25T08:00:00, "text"), for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)
