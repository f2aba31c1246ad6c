"""The window fits the laptop's screen: at 1366x768 and at 1920x1080 with 150 % scaling, the first
window lies within the screen's available area and what a technician needs (status, progress,
Cancel, Diagnose) is on screen without scrolling. Each size runs in its own process on the offscreen
platform with a screen of that size (the offscreen plugin's ``configfile``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_connected
from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QLabel

from ui.app import setup_demo

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, sys, time
from ui.app import create_window, make_app, setup_demo
from ui import service as svc
app = make_app()
window, service = create_window()
window.show()
def spin(cond, limit=30):
    end = time.monotonic() + limit
    while not cond() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
spin(lambda: False, 0.3)
setup_demo(window)
spin(lambda: window.link == svc.CONNECTED and not window.busy)
def rect(w):
    top_left = w.mapToGlobal(w.rect().topLeft())
    return [top_left.x(), top_left.y(), w.width(), w.height(), w.isVisible()]
out = {"avail": None, "frame": None, "maximized": window.isMaximized(), "widgets": {}}
g = window.screen().availableGeometry()
out["avail"] = [g.x(), g.y(), g.width(), g.height()]
f = window.frameGeometry()
out["frame"] = [f.x(), f.y(), f.width(), f.height()]
out["widgets"]["diagnose"] = rect(window.diagnose_button)
out["widgets"]["left_column"] = rect(window.left_scroll.parentWidget())
out["widgets"]["training"] = rect(window.training_band)
window.opt_person.setChecked(False)
window.diagnose()
spin(lambda: window.busy and window.last_step is not None)
for name in ("step_label", "progress", "cancel_button", "link_label", "checklist", "findings"):
    out["widgets"][name] = rect(getattr(window, name))
window.cancel()
spin(lambda: not window.busy)
print("GEOMETRY " + json.dumps(out), flush=True)
window.close()
service.shutdown()
"""


def _probe(tmp_path: Path, width: int, height: int, scale: float | None) -> dict:
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height, "dpr": 1}]})
    )
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    env["TECHAPP_DATA_DIR"] = str(tmp_path / "data")
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = str(scale)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("GEOMETRY ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(line.split(" ", 1)[1])


def _inside(inner: list, outer: list) -> bool:
    return QRect(*outer[:4]).contains(QRect(*inner[:4]))


@pytest.mark.parametrize(
    ("width", "height", "scale", "logical"),
    [(1366, 768, None, (1366, 768)), (1920, 1080, 1.5, (1280, 720)), (1366, 768, 1.5, (911, 512))],
    ids=["1366x768", "1920x1080-150%", "1366x768-150%"],
)
def test_the_first_window_fits_the_available_screen_and_shows_what_is_needed(tmp_path, width, height, scale, logical):
    g = _probe(tmp_path, width, height, scale)
    assert tuple(g["avail"][2:]) == logical
    assert _inside(g["frame"], g["avail"]), g
    for name, r in g["widgets"].items():
        assert r[4], f"{name} is not visible"
        assert _inside(r, g["avail"]), f"{name} {r} is off the screen {g['avail']}"
    # Diagnose is on screen without scrolling: inside the left column, not in its scrolled part
    assert _inside(g["widgets"]["diagnose"], g["widgets"]["left_column"]), g["widgets"]
    if logical[1] < 540:  # too small for a window with a frame: maximised
        assert g["maximized"]


def test_a_remembered_size_from_a_bigger_monitor_is_shrunk_to_this_screen(qtbot, make_window):
    w = make_window()
    avail = w.screen().availableGeometry()
    w.resize(avail.width() + 900, avail.height() + 700)
    w.move(avail.right() + 400, avail.bottom() + 300)
    w.close()
    w2 = make_window()
    assert avail.contains(w2.frameGeometry()), (w2.frameGeometry(), avail)
    saved = w2.settings.value("window/geometry")
    assert isinstance(saved, QByteArray | type(None))


def test_the_work_order_is_one_line_with_edit_and_the_notes_show_their_beginning(qtbot, make_window, tmp_path):
    w = make_window()
    setup_demo(w, connect=False)
    panel = w.work_order
    assert not panel.expanded and panel.summary.isVisible()
    text = panel.summary.full
    assert panel.summary.height() < 2 * panel.summary.fontMetrics().height()  # one line
    assert text in panel.summary.toolTip()
    assert "WO-2026-1125-0042" in text and "12345678" in text and panel.order.merchant_name in text
    # the acquirer profile is chosen in one place only: the Diagnosis box
    visible = [lab.text() for lab in w.findChildren(QLabel) if lab.isVisible()]
    assert sum("cquirer profile" in t for t in visible) == 1, visible
    panel.edit_button.click()
    assert panel.expanded and panel.edits["id"].isVisible() and not panel.summary.isVisible()
    assert not panel.edits["acquirer_profile"].isVisible()
    long_notes = "Merchant says card payments fail since Monday morning; call the owner before arriving " * 2
    path = tmp_path / "wo.csv"
    path.write_text(f'id,mid,tid,notes\nWO-7,123456789012345,ABCD1234,"{long_notes}"\n', encoding="utf-8")
    assert panel.load(str(path))
    notes = panel.edits["notes"]
    assert notes.cursorPosition() == 0  # the beginning is what shows
    panel.edit_button.click()
    assert not panel.expanded and panel.summary.full == "WO-7 · TID ABCD1234"


def test_the_checklist_shows_the_whole_observation_wrapped(qtbot, make_window):
    w = make_window()
    w.resize(1300, 720)
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    w.diagnose()
    qtbot.waitUntil(lambda: w.busy, timeout=5000)
    qtbot.waitUntil(lambda: not w.busy and w.diagnosis is not None, timeout=30_000)
    item = w.checklist.item_for("counters.response_codes")
    assert item is not None
    text = item.text(1)
    assert "…" not in text and "97" in text
    rect = w.checklist.visualItemRect(item)
    width = w.checklist.header().sectionSize(1)
    needed = w.checklist.fontMetrics().horizontalAdvance(text)
    if needed > width:  # longer than the column: the row is as tall as the wrapped lines
        lines = -(-needed // width)
        assert rect.height() >= lines * w.checklist.fontMetrics().height() - 2
