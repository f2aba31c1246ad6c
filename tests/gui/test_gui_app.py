"""The app around the window: launcher, --demo, crash dialog, settings, work order panel, PySide6 itself."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import wait_connected
from PySide6.QtCore import Qt

from ui import crash, launcher
from ui import service as svc

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]


def test_launcher_opens_the_window_only_without_arguments_or_with_demo():
    assert launcher.wants_gui([])
    assert launcher.wants_gui(["--demo"])
    assert not launcher.wants_gui(["diagnose", "--demo"])
    assert not launcher.wants_gui(["--version"])
    assert not launcher.wants_gui(["--demo", "--demo", "x"])


def test_launcher_hands_everything_else_to_the_command_line(capsys):
    assert launcher.main(["ports", "--json"]) == 0
    assert capsys.readouterr().out.lstrip().startswith("[")


@pytest.mark.parametrize("args", [["--demo"], []])
def test_the_techapp_command_opens_the_window(args, tmp_path):
    """The installed entry point, in a process of its own: ``techapp --demo`` ends up connected."""
    exe = Path(sys.executable).parent / "techapp"
    env = {
        **__import__("os").environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TECHAPP_EXIT_WHEN_READY": "1",
        "TECHAPP_DATA_DIR": str(tmp_path),
    }
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    if args:
        assert "ready: connected sim://demo-97" in r.stdout
    else:
        assert "ready: idle" in r.stdout


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_closes_the_window_cleanly(sig, tmp_path):
    """A signal closes the window as its close button does: settings saved, worker stopped, exit 0."""
    import os
    import signal

    exe = Path(sys.executable).parent / "techapp"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TECHAPP_EXIT_WHEN_READY": "hold",
        "TECHAPP_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen([str(exe), "--demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        if not line.startswith("ready: connected sim://demo-97"):
            proc.kill()
            _out, err = proc.communicate()
            pytest.fail(f"not ready: {line!r}, exit {proc.returncode}; stderr:\n{err[-3000:]}")
        proc.send_signal(getattr(signal, sig))
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    assert "QThread" not in err and "Traceback" not in err
    assert (tmp_path / "settings.ini").exists()


def test_python_m_techapp_does_not_import_the_gui():
    tree = ast.parse((REPO / "techapp" / "__main__.py").read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n == "ui" or n.startswith("ui.") or n.startswith("PySide6")]


def test_demo_opens_connected_with_the_work_order_and_profile_ready_for_diagnose(qtbot, make_window):
    from ui.app import setup_demo

    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    assert w.session.port == "sim://demo-97"
    assert w.work_order.order is not None and w.work_order.order.id == "WO-2026-1125-0042"
    assert w.profile.currentData() == "demo"
    assert w.diagnose_button.isEnabled() and w.act_diagnose.isEnabled()
    assert "Connected" in w.link_label.text()
    # the terminal view shows what was read, and the highlights come only after a diagnosis
    assert w.terminal_view.topLevelItemCount() >= 5


def test_work_order_is_validated_as_typed(qtbot, make_window):
    w = make_window()
    panel = w.work_order
    qtbot.keyClicks(panel.edits["id"], "WO-1")
    qtbot.keyClicks(panel.edits["mid"], "123456789012345")
    qtbot.keyClicks(panel.edits["tid"], "1234")
    assert panel.order is None and panel.status.text() == "TID must be 8 letters or digits."
    qtbot.keyClicks(panel.edits["tid"], "5678")
    assert panel.order is not None and panel.order.tid == "12345678"
    assert "WO-1" in panel.status.text()
    qtbot.keyClicks(panel.edits["tid"], "9")  # the validator refuses a 9th character
    assert panel.edits["tid"].text() == "12345678"
    qtbot.keyClicks(panel.edits["tmk_kcv"], "08D7")
    assert panel.order is None and panel.bad_field == "tmk_kcv"
    assert "must be 6 or 8 hex digits" in panel.status.text()


def test_work_order_errors_speak_chinese(qtbot, make_window):
    w = make_window("zh")
    panel = w.work_order
    qtbot.keyClicks(panel.edits["id"], "WO-1")
    qtbot.keyClicks(panel.edits["mid"], "1234567890")
    qtbot.keyClicks(panel.edits["tid"], "12345678")
    assert panel.bad_field == "mid"
    assert panel.status.text() == "商户号必须为 15 位数字。"
    assert "border" in panel.edits["mid"].styleSheet() and not panel.edits["tid"].styleSheet()


def test_work_order_import_from_csv_with_one_row(qtbot, make_window, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,mid,tid,merchant_name\nWO-9,123456789012345,ABCD1234,小店\n", encoding="utf-8")
    w = make_window()
    assert w.work_order.load(str(path))
    assert w.work_order.edits["merchant_name"].text() == "小店"
    assert w.work_order.order.tid == "ABCD1234"


def test_geometry_and_options_are_remembered(qtbot, make_window):
    w = make_window()
    wanted = (w.minimumSizeHint().width() + 7, 577)  # inside the offscreen screen (restoreGeometry keeps it there)
    w.resize(*wanted)
    w.opt_sign_on.setChecked(False)
    w.close()
    w2 = make_window()
    assert (w2.size().width(), w2.size().height()) == wanted
    assert not w2.opt_sign_on.isChecked()


def test_crash_dialog_from_a_worker_thread_writes_the_crash_log(qtbot, make_window, tmp_path):
    make_window()
    crash.install()
    try:

        def boom() -> None:
            raise RuntimeError("synthetic failure for the crash dialog")

        t = threading.Thread(target=boom, name="boom")
        t.start()
        t.join()
        qtbot.waitUntil(lambda: bool(crash.shown), timeout=5000)
        dialog = crash.shown[-1]
        assert "synthetic failure" in dialog.details.toPlainText()
        assert "techapp " in dialog.details.toPlainText() and "Qt " in dialog.details.toPlainText()
        logs = list((tmp_path / "data" / "crash").glob("crash-*.log"))
        assert len(logs) == 1 and "Thread: boom" in logs[0].read_text(encoding="utf-8")
        assert str(logs[0]) in dialog.where.text()
    finally:
        crash.uninstall()
    assert sys.excepthook is sys.__excepthook__ or sys.excepthook is not crash._sys_hook


def test_uncaught_exception_in_a_slot_shows_the_crash_dialog(qtbot, make_window):
    w = make_window()
    crash.install()
    try:
        crash._sys_hook(ValueError, ValueError("from a slot"), None)
        qtbot.waitUntil(lambda: bool(crash.shown), timeout=5000)
        assert "from a slot" in crash.shown[-1].details.toPlainText()
    finally:
        crash.uninstall()
    assert w.isVisible()


def test_a_second_session_has_its_own_thread(qtbot, make_window):
    w = make_window()
    other = w.service.session("bench-2")
    assert other.thread is not w.session.thread and other.thread.isRunning()
    assert w.service.close_session("bench-2")
    assert not other.thread.isRunning()


def test_disconnect_closes_the_port(qtbot, make_window):
    from ui.app import setup_demo

    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.link == svc.IDLE, timeout=5000)
    assert w.session.worker.driver is None
    assert w.connect_panel.connect_button.text() == "Connect"


def test_pyside6_emit_keeps_its_references():
    """PySide6 6.12.0's Signal.emit() returned True without a reference: the interpreter aborted later."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "class W(QObject):\n    s = Signal(object)\n"
        "w = W(); w.s.connect(lambda v: None)\n"
        "before = sys.getrefcount(True)\n"
        "for i in range(20000): w.s.emit(i)\n"
        "assert sys.getrefcount(True) >= before - 5, (before, sys.getrefcount(True))\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def test_without_a_display_the_launcher_points_to_the_command_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert not launcher.has_display({})
    assert launcher.has_display({"DISPLAY": ":0"})
    assert launcher.has_display({"QT_QPA_PLATFORM": "offscreen"})
    monkeypatch.setattr(launcher, "has_display", lambda: False)
    assert launcher.main([]) == 2
    assert "techapp diagnose --demo" in capsys.readouterr().err
