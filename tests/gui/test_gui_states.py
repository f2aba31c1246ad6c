"""Honest states: a refused login is not "Connected"; an incomplete diagnosis is not green; long steps
show their time against the time-out and are numbered without gaps; a failed Reconnect says so; the
wrong-baud banner and the Baud rate box agree."""

from __future__ import annotations

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from techapp.credentials import DEMO_PASSWORD
from techapp.diagnosis import StepProgress
from techapp.diagnosis.model import T
from ui import service as svc
from ui.style import STATUS_COLOR

pytestmark = pytest.mark.gui


def _connect_sim(qtbot, w, scenario: str, password: str) -> None:
    w.connect_panel.use_simulator(scenario)
    w.connect_panel.password.setText(password)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton))


def test_a_wrong_password_is_not_connected_and_is_asked_again(qtbot, make_window):
    w = make_window()
    _connect_sim(qtbot, w, "healthy", "not-the-password")
    assert w.link != svc.CONNECTED
    assert "Connected" not in w.link_label.text()
    assert not w.diagnose_button.isEnabled()
    assert w.login_refusal is not None and w.login_refusal.attempts_left == 4
    assert w.banner.isVisible() and "4 tries left" in w.banner.text.text()
    qtbot.waitUntil(lambda: w._password_dialog is not None and w._password_dialog.isVisible(), timeout=5000)
    dialog = w._password_dialog
    assert "4 tries left" in dialog.labelText()
    dialog.setTextValue(DEMO_PASSWORD)
    dialog.accept()
    wait_connected(qtbot, w)
    assert "Connected" in w.link_label.text() and not w.banner.isVisible()
    assert w.diagnose_button.isEnabled()


def test_the_last_try_and_the_lockout_are_said(qtbot, make_window):
    w = make_window("zh")
    _connect_sim(qtbot, w, "healthy", "wrong-1")
    for _ in range(3):
        qtbot.waitUntil(lambda: w._password_dialog is not None, timeout=5000)
        w._password_dialog.setTextValue("wrong-again")
        run_job(qtbot, w, lambda: w._password_dialog.accept())
    assert w.login_refusal.attempts_left == 1
    qtbot.waitUntil(lambda: w._password_dialog is not None, timeout=5000)
    w._password_dialog.setTextValue("wrong-last")
    run_job(qtbot, w, lambda: w._password_dialog.accept())
    assert w.login_refusal.kind == "locked-out"
    assert str(w.login_refusal.seconds_left) in w.banner.text.text()
    assert w.link != svc.CONNECTED and "已连接" not in w.link_label.text()
    w._password_dialog.reject()


def test_skipped_person_tests_give_an_amber_verdict_naming_them_not_green(qtbot, make_window):
    w = make_window()
    _connect_sim(qtbot, w, "healthy", DEMO_PASSWORD)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    d = w.diagnosis
    assert not d.findings and d.outcome == "incomplete"
    assert w.findings.findChild(QLabel, "noFindings") is None
    verdict = w.findings.findChild(QLabel, "incompleteVerdict")
    assert verdict is not None and STATUS_COLOR["warn"] in verdict.styleSheet()
    assert STATUS_COLOR["pass"] not in verdict.styleSheet()
    listed = w.findings.findChild(QLabel, "untestedList").text()
    assert d.untested and all(u.title("en") in listed for u in d.untested)
    assert "Card reader test" in listed and "Keypad test" in listed
    # what to click, not the command line's advice
    assert "techapp" not in listed and "--" not in listed
    assert "Tick “Tests with a person (card swipe, keypad)”" in listed
    assert w.step_label.text().startswith("Incomplete") and "Card reader test" in w.step_label.text()


def test_a_long_step_shows_its_time_against_the_time_out_and_numbering_does_not_jump(qtbot, make_window):
    w = make_window()
    w.opt_person.setChecked(False)
    w.job, w.busy = "diagnose", True  # as during a diagnosis (the steps come from the worker in real runs)
    title = T("a step", "步骤")
    first = ["connect", "identity", "login", "hardware", "parameters", "keys", "counters", "logs"]
    for index, step in enumerate(first, start=1):
        w._on_progress(StepProgress(index, 14, step, title, "", 15.0))
    # steps 9 and 10 (the person tests) are switched off: the comm test is step 9 of 12, not 11 of 14
    for _ in range(2):  # the terminal's progress texts repeat the step
        w._on_progress(StepProgress(11, 14, "comm-test", title, "waiting for 10.20.30.40:5000", 60.0))
    assert (w.last_step.index, w.last_step.total) == (9, 12)
    assert w.step_label.text().startswith("9/12")
    w._step_started -= 23
    w._show_step()
    # the terminal's own words, quoted as such (its firmware's language, not the window's)
    assert w.step_label.text().endswith("(the terminal says: “waiting for 10.20.30.40:5000”), 23 s of 60 s")
    assert w.step_timer.isActive()
    w.busy = False
    w._on_busy(False)
    assert not w.step_timer.isActive()


def test_a_failed_reconnect_says_so_with_the_attempt_and_time(qtbot, make_window, pty_sim, tmp_path):
    link = tmp_path / "ttyPOS"
    first = pty_sim("demo-97", overrides="[link.faults]\ndisconnect_after_frames = 16\n", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.link == svc.LOST and not w.busy, timeout=20_000)
    # the panes agree with the banner: the checklist says the link was lost
    assert w.checklist.stale and w.checklist.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole) == "link-lost"
    first.stop()
    link.unlink(missing_ok=True)
    for attempt in (1, 2):
        qtbot.mouseClick(w.banner.action, Qt.MouseButton.LeftButton)
        wanted = f"Reconnect failed (attempt {attempt} at "
        qtbot.waitUntil(lambda wanted=wanted: wanted in w.banner.text.text() and not w.busy, timeout=10_000)
        assert w.link == svc.LOST and "Link lost" in w.link_label.text()
        assert w.banner.action.isVisible() and w.act_reconnect.isEnabled()


def test_the_wrong_baud_banner_and_the_baud_box_show_the_same_speed(qtbot, make_window, pty_sim, tmp_path):
    link = tmp_path / "ttyPOS"
    pty_sim("wrong-baud", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText(DEMO_PASSWORD)
    run_job(
        qtbot, w, lambda: qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton), timeout=60_000
    )
    assert w.banner.isVisible() and "baud" in w.banner.text.text()
    used = w.session.baud
    assert str(used) in w.banner.text.text()
    assert int(w.connect_panel.baud.currentData()) == used != 115200
