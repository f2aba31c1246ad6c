"""List what a frozen build holds and fail when a development-only library is in it (issue 16).

    .venv/bin/python scripts/bundle_contents.py dist/techapp [--list FILE]

Reads the one-folder build PyInstaller made: every Python module in the executable's archive
(``PYZ.pyz``) and every file beside it. Exit 1 naming the offenders when a test, lint or fuzzing
tool, a cross-check library of the tests, or an unused Qt module is found; ``--list`` writes the
whole listing (modules, then files with their sizes) for the record.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# top-level modules of the dev extra (pyproject.toml) and their own dependencies; none is used at run time
DEV_ONLY = (
    "hypothesis",
    "pytest",
    "_pytest",
    "pytestqt",
    "pytest_timeout",
    "xdist",
    "execnet",
    "pluggy",
    "ruff",
    "importlinter",
    "grimp",
    "jsonschema",
    "jsonschema_specifications",
    "py8583",
    "starkbank",
    "tests",
    "PyInstaller",
    "pip",
    "setuptools",
    "tkinter",
    "rich",
    "pygments",
)
# Qt modules the app does not use (ui/ imports QtCore, QtGui, QtWidgets, QtPrintSupport)
QT_UNUSED = ("QtNetwork", "QtQml", "QtQuick", "Qt6Qml", "Qt6Quick", "Qt6Pdf", "Qt6Designer", "Qt6Network")
# what the app needs: the smoke test proves they work, this proves they are there
REQUIRED_FILES = (
    "resources/fonts/NotoSansCJK-Regular.ttc",
    "resources/BUILD",
    "resources/i18n/techapp_zh_CN.qm",
    "resources/wireshark",
    "resources/scenarios/healthy.toml",
)


def pyz_modules(executable: Path) -> list[str]:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(executable))
    names = [n for n in archive.toc if n.endswith(".pyz")]
    modules: list[str] = []
    for name in names:
        modules += list(archive.open_embedded_archive(name).toc)
    return sorted(modules)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder build, e.g. dist/techapp")
    parser.add_argument("--list", type=Path, help="write the full listing to this file")
    args = parser.parse_args(argv)
    folder: Path = args.bundle
    executable = next(p for p in (folder / "techapp", folder / "techapp.exe") if p.is_file())
    internal = folder / "_internal" if (folder / "_internal").is_dir() else folder
    modules = pyz_modules(executable)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    problems = []
    for module in modules:
        if module.split(".")[0] in DEV_ONLY:
            problems.append(f"module {module}")
    for path in files:
        rel = path.relative_to(internal) if path.is_relative_to(internal) else path.relative_to(folder)
        top = rel.parts[0].split(".")[0]
        if top in DEV_ONLY or top.split("-")[0] in DEV_ONLY:
            problems.append(f"file {rel.as_posix()}")
        elif any(q in path.name for q in QT_UNUSED):
            problems.append(f"Qt file {rel.as_posix()}")
    for required in REQUIRED_FILES:
        if not (internal / required).exists():
            problems.append(f"missing {required}")
    size = sum(p.stat().st_size for p in files)
    if args.list:
        lines = [f"# {folder}: {len(files)} files, {size / 1e6:.1f} MB; {len(modules)} Python modules"]
        lines += [f"module {m}" for m in modules]
        lines += [f"file {p.relative_to(folder).as_posix()} {p.stat().st_size}" for p in files]
        args.list.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"bundle: {len(files)} files, {size / 1e6:.1f} MB, {len(modules)} Python modules")
    if problems:
        print("bundle: not for the build (dev-only, unused or missing):", file=sys.stderr)
        unique = list(dict.fromkeys(problems))
        for problem in unique[:40]:
            print(f"  {problem}", file=sys.stderr)
        if len(unique) > 40:
            print(f"  ... and {len(unique) - 40} more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
