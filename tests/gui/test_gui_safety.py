"""Safety of the window's questions: Enter or Space on a just-opened confirmation never writes;
the confirmation shows the exact change (the clock's times and the laptop's time source);
a test page is not worded as a write; simulator sessions are marked as training."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import run_job, wait_connected, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from drivers.registry import open_terminal
from techapp.credentials import DEMO_PASSWORD
from techapp.laptopclock import clock_source, is_training
from ui.app import setup_demo

pytestmark = pytest.mark.gui


def _read_tid(port: str) -> str:
    """The terminal's TID through a fresh link of its own (not the window's)."""
    driver = open_terminal(port)
    try:
        driver.login(DEMO_PASSWORD)
        return driver.parameters().tid
    finally:
        driver.close()


def _open_confirmation(qtbot, w, button: str):
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    apply = w.findings.findChild(QPushButton, button)
    assert apply is not None and apply.isEnabled()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    return w._dialog


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space])
def test_enter_or_space_on_a_just_opened_confirmation_writes_nothing(qtbot, make_window, key):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    assert _read_tid("sim://demo-97") == "12345687"
    dialog = _open_confirmation(qtbot, w, "apply-fix-tid")
    assert dialog.diff_rows() == [("tid", "12345687", "12345678")]
    focused = QApplication.focusWidget()
    assert focused is dialog.cancel, f"focus on {focused!r}"
    assert not dialog.apply.autoDefault() and not dialog.apply.isDefault()
    assert dialog.cancel.isDefault()
    qtbot.keyClick(focused, key)
    qtbot.waitUntil(lambda: w._dialog is None, timeout=5000)
    wait_idle(qtbot, w)
    assert [o.result for o in w.diagnosis.actions_taken] == ["declined"]
    assert _read_tid("sim://demo-97") == "12345687"  # the terminal, read afresh, still holds the old TID
    backups = os.path.join(os.path.dirname(w.settings.fileName()), "backups")
    assert not os.path.isdir(backups) or not os.listdir(backups)


def test_the_close_question_during_a_repair_takes_enter_as_wait(qtbot, make_window):
    from ui.diagnosis_views import safe_buttons

    w = make_window()
    w._ask_before_closing()
    box = w._close_question
    assert box is not None
    buttons = box.buttons()
    assert all(not b.autoDefault() for b in buttons)
    qtbot.waitUntil(lambda: box.isVisible(), timeout=5000)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w._close_question is None, timeout=5000)
    assert w.isVisible()  # Wait, not Close anyway
    assert safe_buttons is not None


def test_the_clock_confirmation_shows_both_times_and_the_laptops_time_source(qtbot, make_window):
    w = make_window()
    w.connect_panel.use_simulator("clock-drift")
    w.connect_panel.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    dialog = _open_confirmation(qtbot, w, "apply-sync-clock")
    assert QApplication.focusWidget() is dialog.cancel
    name, now, after = dialog.diff_rows()[0]
    assert name == "clock"
    terminal, laptop = dialog.facts["terminal_time"], dialog.facts["laptop_time"]
    assert terminal is not None and abs((terminal - laptop).total_seconds()) > 60  # the scenario's drift
    assert now[:10] == terminal.strftime("%Y-%m-%d") and after[:10] == laptop.strftime("%Y-%m-%d")
    source = dialog.findChild(QLabel, "clockSource")
    synced = clock_source().synced
    expected = {True: "is synchronised", False: "is not synchronised", None: "unknown"}[synced]
    assert expected in source.text()
    assert "clock" in dialog.findChild(QLabel, "confirmHead").text()
    qtbot.keyClick(dialog.cancel, Qt.Key.Key_Space)
    wait_idle(qtbot, w)
    assert [o.result for o in w.diagnosis.actions_taken] == ["declined"]


def test_clock_source_reports_what_timedatectl_says(tmp_path, monkeypatch):
    for answer, synced in (("yes", True), ("no", False), ("", None)):
        tool = tmp_path / "timedatectl"
        tool.write_text(f"#!/bin/sh\necho '{answer}'\n")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setattr("sys.platform", "linux")
        got = clock_source()
        assert got.synced is synced
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert clock_source().synced is None


def test_a_test_page_is_not_called_a_repair_nor_a_write(qtbot, make_window):
    from techapp.diagnosis import Finding
    from techapp.diagnosis.actions import print_test_page
    from techapp.diagnosis.model import T
    from ui.diagnosis_views import RepairDialog

    w = make_window()
    finding = Finding("printer-no-paper", "medium", "high", T("Printer out of paper", "打印机缺纸"), T("x", "x"))
    dialog = RepairDialog(print_test_page(), finding, w)
    head = dialog.findChild(QLabel, "confirmHead").text()
    assert "Nothing is written" in head
    assert "repair" not in dialog.windowTitle().lower()
    assert dialog.apply.text().replace("&", "") == "Print"
    assert not dialog.apply.autoDefault() and dialog.cancel.isDefault()
    dialog.deleteLater()


def test_simulator_sessions_are_marked_as_training(qtbot, make_window):
    assert is_training("sim://demo-97") and not is_training("/dev/ttyACM0")
    w = make_window()
    assert not w.is_training and not w.training_band.isVisible()
    setup_demo(w)
    wait_connected(qtbot, w)
    assert w.is_training and w.session.is_training
    assert w.training_band.isVisible()
    assert "Training" in w.windowTitle()
    assert "simulated" in w.training_band.text().lower()


def _unsettled(port: str) -> int:
    driver = open_terminal(port)
    try:
        driver.login(DEMO_PASSWORD)
        return driver.counters().unsettled_transactions
    finally:
        driver.close()


def test_the_settlement_confirmation_says_what_settling_does_and_enter_settles_nothing(qtbot, make_window):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    port = "sim://unsettled-batch?fresh"
    w = make_window()
    w.work_order.load(str(root / "resources" / "work-orders" / "tid-change.toml"))
    w.set_profile("demo")
    w.connect_panel.port.setEditText(port)
    w.connect_panel.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    before = _unsettled("sim://unsettled-batch")
    assert before > 0
    dialog = _open_confirmation(qtbot, w, "apply-settle-batch")
    assert dialog.windowTitle() == "Confirm settlement"
    head = dialog.findChild(QLabel, "confirmHead").text()
    assert "settles its batch" in head and "cannot be undone" in head
    assert dialog.diff_rows() == [("unsettled", str(before), "0")]
    assert dialog.apply.text().replace("&", "") == "Settle"
    assert QApplication.focusWidget() is dialog.cancel
    qtbot.keyClick(dialog.cancel, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w._dialog is None, timeout=5000)
    wait_idle(qtbot, w)
    assert _unsettled("sim://unsettled-batch") == before  # nothing was settled
