"""Why Qt's platform plugin cannot load, in words a technician can act on.

Qt aborts with "no Qt platform plugin could be initialized" both when the X
server does not answer and when a system library the plugin links against is
missing, and in the second case it blames the wrong library (it names
``libxcb-cursor0`` whatever is missing). Here ``ldd`` tells which libraries
the plugin cannot find, and :func:`debian_package` names the Debian/Ubuntu
package for each.

    .venv/bin/python -m ui.qtplatform      # what scripts/check-qt-libs runs: exit 1 when a library is missing

Only ``PySide6.QtCore`` is imported (for the plugin folder); nothing here
starts a QApplication.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Libraries whose Debian package does not follow the soname rule.
_PACKAGE_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
}


def qt_paths() -> tuple[Path, Path]:
    """(Qt's plugin folder, Qt's library folder) of the PySide6 in use (also inside a frozen build)."""
    from PySide6.QtCore import QLibraryInfo

    return (
        Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)),
        Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath)),
    )


def xcb_files() -> list[Path]:
    """The files Qt loads to open a window on X11: the xcb platform plugin, its library, its GL integrations."""
    plugins, libs = qt_paths()
    files = [plugins / "platforms" / "libqxcb.so", *sorted(libs.glob("libQt6XcbQpa.so*"))[:1]]
    files += sorted((plugins / "xcbglintegrations").glob("*.so"))
    return [f for f in files if f.exists()]


def plugin_file(platform: str, folder: str | None = None) -> Path:
    """The platform plugin's file (``xcb`` -> ``platforms/libqxcb.so``), in ``folder`` when Qt named one."""
    base = Path(folder) if folder else qt_paths()[0] / "platforms"
    return base / f"libq{platform}.so"


def missing_libraries(path: Path) -> list[str]:
    """The sonames ``path`` needs that the dynamic loader cannot find (``ldd``; else a trial load)."""
    ldd = shutil.which("ldd")
    if ldd:
        try:
            out = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        found = re.findall(r"^\s*(\S+) => not found", out, re.MULTILINE)
        return list(dict.fromkeys(found))
    import ctypes

    try:
        ctypes.CDLL(str(path))
    except OSError as err:  # "libxcb-icccm.so.4: cannot open shared object file: ..."
        m = re.match(r"(\S+?\.so[.\d]*): cannot open shared object file", str(err))
        return [m.group(1)] if m else []
    return []


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships ``soname``, by Debian's library naming rule.

    ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``
    (a dash when the name ends in a digit), ``libGL.so.1`` -> ``libgl1``.
    """
    if soname in _PACKAGE_EXCEPTIONS:
        return _PACKAGE_EXCEPTIONS[soname]
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\.[\d.]+)?", soname)
    if not m:
        return soname.lower()
    name, version = m.group(1).lower(), m.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def missing_for_window() -> dict[str, list[str]]:
    """{file: missing sonames} for the xcb files that cannot load; empty when a window can open."""
    return {str(f): libs for f in xcb_files() if (libs := missing_libraries(f))}


def main() -> int:
    files = xcb_files()
    if not files:
        print("check-qt-libs: PySide6's xcb platform plugin not found", file=sys.stderr)
        return 1
    missing = missing_for_window()
    for f in files:
        print(f"{'MISSING' if str(f) in missing else 'ok':8} {f}")
        for lib in missing.get(str(f), []):
            print(f"         not found: {lib} (package {debian_package(lib)})")
    if missing:
        packages = sorted({debian_package(lib) for libs in missing.values() for lib in libs})
        print(
            "check-qt-libs: the desktop app cannot open a window on X11; scripts/setup installs these "
            f"(as root): apt-get install {' '.join(packages)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
