"""The desktop app on a machine where Qt cannot open a window: the hint, not an abort.

These start the real ``techapp`` entry point in a subprocess (Qt ends the
process when no platform plugin starts, so it cannot run in the test's own).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ui import launcher, qtplatform

ROOT = Path(__file__).resolve().parents[1]
TECHAPP = [sys.executable, "-m", "ui.launcher"]


def run_window(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
    environ.update(TECHAPP_DATA_DIR=str(tmp_path / "data"), TECHAPP_EXIT_WHEN_READY="1", **env)
    return subprocess.run(
        [*TECHAPP, "--demo"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=30, check=False
    )


def unused_display() -> str:
    """A display number with no X server (no socket, no lock file)."""
    for n in range(180, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return f":{n}"
    pytest.fail("no unused X display number between 180 and 400")


def assert_headless_hint(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.returncode != -signal.SIGABRT
    assert "techapp: the desktop app cannot open a window:" in result.stderr
    assert launcher.HEADLESS_HINT in result.stderr
    assert "Aborted" not in result.stderr and "core dumped" not in result.stderr
    assert "no Qt platform plugin could be initialized" not in result.stderr  # Qt's own words are replaced
    assert "xcb-cursor0" not in result.stderr  # Qt blames that library whatever is missing


def test_an_x_display_that_does_not_answer_gives_the_hint_not_an_abort(tmp_path):
    if qtplatform.missing_for_window():  # then the missing library is the reason (next test)
        pytest.fail("Qt's xcb plugin misses system libraries: run scripts/setup as root (scripts/check-qt-libs)")
    display = unused_display()
    result = run_window(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=display)
    assert_headless_hint(result)
    assert f"the X display '{display}' does not answer" in result.stderr


def test_the_xcb_platform_without_any_display_set_says_so(tmp_path):
    if qtplatform.missing_for_window():
        pytest.fail("Qt's xcb plugin misses system libraries: run scripts/setup as root (scripts/check-qt-libs)")
    result = run_window(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY="")
    assert_headless_hint(result)
    assert "no X display is set" in result.stderr


def test_a_platform_plugin_missing_a_system_library_names_the_library_and_its_package(tmp_path):
    """The real plugin with one dependency renamed to a library no system has: the failure of issue 10."""
    plugins, libs = qtplatform.qt_paths()
    real = (plugins / "platforms" / "libqxcb.so").read_bytes()
    needed = b"libxcb-icccm.so.4\0"
    assert real.count(needed) == 1
    fake = tmp_path / "qt" / "plugins" / "platforms"
    fake.mkdir(parents=True)
    (fake / "libqxcb.so").write_bytes(real.replace(needed, b"libxcb-absnt.so.4\0"))
    (tmp_path / "qt" / "lib").symlink_to(libs)  # the plugin finds Qt's own libraries at $ORIGIN/../../lib
    assert "libxcb-absnt.so.4" in qtplatform.missing_libraries(fake / "libqxcb.so")

    result = run_window(tmp_path, QT_QPA_PLATFORM="xcb", QT_QPA_PLATFORM_PLUGIN_PATH=str(fake), DISPLAY=":0")
    assert_headless_hint(result)
    assert 'the Qt platform plugin "xcb" cannot load' in result.stderr
    assert "libxcb-absnt.so.4" in result.stderr
    assert "apt-get install libxcb-absnt4" in result.stderr


def test_an_unknown_platform_gives_the_hint(tmp_path):
    result = run_window(tmp_path, QT_QPA_PLATFORM="nosuchplatform")
    assert_headless_hint(result)
    assert 'no platform plugin "nosuchplatform"' in result.stderr


def test_the_window_still_opens_where_the_platform_loads(tmp_path):
    result = run_window(tmp_path, QT_QPA_PLATFORM="offscreen")
    assert result.returncode == 0, result.stderr
    assert "ready: connected" in result.stdout


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libGL.so.1", "libgl1"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
    ],
)
def test_libraries_are_named_by_their_debian_package(soname, package):
    assert qtplatform.debian_package(soname) == package


def setup_packages() -> set[str]:
    text = (ROOT / "scripts" / "setup").read_text()
    start = text.index('APT_PACKAGES="') + len('APT_PACKAGES="')
    return set(text[start : text.index('"', start)].split())


@pytest.mark.skipif(not shutil.which("ldd"), reason="ldd (libc-bin) is not installed")
def test_scripts_setup_installs_every_library_qt_needs_to_open_a_window():
    """scripts/check-qt-libs: ldd on the xcb plugin, its library and its GL integrations finds everything."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "check-qt-libs")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "libqxcb.so" in result.stdout and "MISSING" not in result.stdout
    for pkg in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "xvfb", "openbox", "xdotool"):
        assert pkg in setup_packages(), f"scripts/setup does not install {pkg}"
