"""The window paints first (issue 15): ``techapp`` shows the real main window before pydantic, the scenarios,
the history, the report and the repair bench load; they are added just after its first paint, the demo
connects, and the window then is the same as one made at once (menus, tabs, Logs, focus order).

Behaviour only, no timings: bench/ratios.py measures how long (docs/performance.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_connected

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]

#: Not loaded when the window first paints (each loads just after it, or when first used).
AFTER_PAINT = (
    "pydantic",
    "techapp.profile_model",
    "drivers.sim.scenario",
    "drivers.models",
    "techapp.history",
    "techapp.cli",
    "techapp.diagnosis.render",
    "ui.tools",
    "ui.history_view",
    "ui.report_dialog",
    "ui.report_render",
    "ui.evidence_bundle",
    "ui.bench_view",
)

# The real entry point (`techapp --demo`, ui.launcher.main) with a watcher on the window it makes.
PROBE = r"""
import json, sys
import ui.app

AFTER_PAINT = %r
seen = {}
made = ui.app.create_window

def create_window(*args, **kwargs):
    window, service = made(*args, **kwargs)
    seen["defer"] = kwargs.get("defer", False)

    def painted():
        seen["painted"] = {
            "loaded": [m for m in AFTER_PAINT if m in sys.modules],
            "visible": window.isVisible(),
            "ready": window.ready,
            "title": window.windowTitle(),
            "menus": [a.text() for a in window.menuBar().actions()],
            "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
            "profiles": [window.profile.itemData(i) for i in range(window.profile.count())],
            "focus": window.focusWidget() is window.connect_panel.port,
        }

    def ready():
        seen["ready"] = {
            "link": window.link,
            "profile": window.profile.currentData(),
            "work_order": window.work_order.order.id if window.work_order.order else None,
            "menus": [a.text() for a in window.menuBar().actions()],
            "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
            "logs_tab": window.tabs.widget(3) is window.tools.logs,
            "file": [a.objectName() for a in window.menu_file.actions() if a.objectName()],
            "same_window": window.isVisible(),
        }

    window.firstPainted.connect(painted)
    window.readyChanged.connect(ready)
    return window, service

ui.app.create_window = create_window
from ui.launcher import main
code = main(["--demo"])
print("SEEN " + json.dumps(seen), flush=True)
sys.exit(code)
"""


def test_techapp_paints_the_window_before_the_heavy_parts_load_then_connects(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TECHAPP_EXIT_WHEN_READY": "1",
        "TECHAPP_DATA_DIR": str(tmp_path),
    }
    r = subprocess.run(
        [sys.executable, "-c", PROBE % (AFTER_PAINT,)], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr[-3000:]
    seen = json.loads(next(line[5:] for line in r.stdout.splitlines() if line.startswith("SEEN ")))
    assert seen["defer"] is True
    painted = seen["painted"]
    assert painted["loaded"] == [], f"loaded before the first paint: {painted['loaded']}"
    assert painted["visible"] and not painted["ready"] and painted["focus"]
    assert painted["title"] == "techapp - POS terminal diagnosis"
    # the menu bar and the tabs have their final places from the first frame: nothing moves after
    assert painted["menus"] == ["&File", "&Edit", "&Terminal", "&View", "&Language", "&Help"]
    assert painted["tabs"] == ["Checklist and findings", "Terminal", "Traffic log", "Logs"]
    assert "demo" in painted["profiles"]  # the profile box is filled without pydantic
    ready = seen["ready"]
    assert ready["link"] == "connected" and ready["profile"] == "demo"
    assert ready["work_order"] == "WO-2026-1125-0042"
    assert ready["menus"] == painted["menus"] and ready["tabs"] == painted["tabs"] and ready["logs_tab"]
    assert {"act-history", "report", "saveEvidenceBundle", "act-bench", "act-save-traffic"} <= set(ready["file"])
    assert ready["same_window"]
    assert "ready: connected sim://demo-97" in r.stdout


def test_painted_line_only_when_asked(tmp_path):
    """``painted:`` (bench/ratios.py) is printed with TECHAPP_PRINT_STARTUP=1 only, before ``ready:``."""
    exe = Path(sys.executable).parent / "techapp"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TECHAPP_EXIT_WHEN_READY": "1"}
    env["TECHAPP_DATA_DIR"] = str(tmp_path)
    plain = subprocess.run([str(exe), "--demo"], capture_output=True, text=True, timeout=60, env=env)
    assert plain.returncode == 0 and "painted:" not in plain.stdout, plain.stderr[-3000:]
    env["TECHAPP_PRINT_STARTUP"] = "1"
    asked = subprocess.run([str(exe), "--demo"], capture_output=True, text=True, timeout=60, env=env)
    lines = asked.stdout.splitlines()
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert lines[0].startswith("painted: techapp") and lines[1].startswith("ready: connected sim://demo-97")


def _shape(window) -> dict:
    return {
        "menus": [a.text() for a in window.menuBar().actions()],
        "file": [a.objectName() or "-" for a in window.menu_file.actions()],
        "terminal": [a.objectName() or "-" for a in window.menu_terminal.actions()],
        "view": [a.objectName() for a in window.menu_view.actions()],
        "help": [a.objectName() or "-" for a in window.menu_help.actions()],
        "edit": [a.objectName() for a in window.tools.menu_edit.actions()],
        "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
        "tab_widgets": [window.tabs.widget(i).objectName() for i in range(window.tabs.count())],
    }


def test_a_deferred_window_ends_up_as_one_made_at_once(qtbot, make_window):
    at_once = make_window()
    deferred = make_window(defer=True)
    qtbot.waitUntil(lambda: deferred.ready, timeout=10_000)
    assert _shape(deferred) == _shape(at_once)
    # the focus order: the same chain from the port box on
    chain = []
    w = deferred.connect_panel.port
    for _ in range(12):
        chain.append(w.objectName())
        w = w.nextInFocusChain()
    chain_at_once = []
    w = at_once.connect_panel.port
    for _ in range(12):
        chain_at_once.append(w.objectName())
        w = w.nextInFocusChain()
    assert chain == chain_at_once


def test_the_logs_tab_chosen_before_the_tools_are_in_loads_them(qtbot):
    """Not shown yet (so not painted): the Logs tab is in place; choosing it loads the tools at once."""
    from ui.app import create_window, make_app

    make_app()
    window, service = create_window(defer=True)
    try:
        assert not window.ready and window.tabs.tabText(3) == "Logs"
        assert window.menu_edit.title() == "&Edit" and not window.menu_edit.actions()
        window.tabs.setCurrentIndex(3)
        qtbot.waitUntil(lambda: window.ready, timeout=10_000)
        assert window.tabs.currentWidget() is window.tools.logs and window.tabs.count() == 4
        assert [a.objectName() for a in window.menu_edit.actions()] == ["act-copy-all"]
    finally:
        window.close()
        assert service.shutdown()
        window.deleteLater()


def test_the_demo_on_a_deferred_window(qtbot, make_window):
    from ui.app import setup_demo

    w = make_window(defer=True)
    setup_demo(w)
    wait_connected(qtbot, w)
    qtbot.waitUntil(lambda: w.ready, timeout=10_000)
    assert w.profile.currentData() == "demo" and w.diagnose_button.isEnabled()
    assert w.terminal_view.topLevelItemCount() >= 5
    assert w.tools.logs.tree.topLevelItemCount() >= 1  # the logs read at connect, shown once the tab is in


def test_the_demo_names_agree_with_the_command_line():
    import techapp.cli
    import ui.app

    assert (ui.app.DEMO_SCENARIO, ui.app.DEMO_WORK_ORDER) == (techapp.cli.DEMO_SCENARIO, techapp.cli.DEMO_WORK_ORDER)
