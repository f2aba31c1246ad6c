"""User flows through the widgets: connect, diagnose, the 97 finding, the fix, cancel, cable pulled."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_connected, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from ui import service as svc
from ui.app import setup_demo

pytestmark = pytest.mark.gui


def _diagnose(qtbot, w, *, person: bool = False) -> None:
    w.opt_person.setChecked(person)
    qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.busy, timeout=5000)


def test_connect_diagnose_97_fix_through_the_confirmation_and_sign_on_passes(qtbot, make_window):
    w = make_window()
    setup_demo(w)  # sim://demo-97, demo password, demo work order, profile demo, Connect clicked
    wait_connected(qtbot, w)
    assert w.info.identity.serial_number == "82412345"
    assert "82412345" in w.link_label.text()
    assert w.diagnose_button.isEnabled()

    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    assert [f.id for f in w.diagnosis.findings][0] == "tid-mismatch"
    title = w.findings.findChild(QLabel, "finding-tid-mismatch")
    assert title is not None and "TID" in title.text()
    assert w.diagnosis.check("signon").status == "fail"
    tid_item = w.checklist.item_for("params.tid")
    assert tid_item is not None and "12345687" in tid_item.text(1)

    apply = w.findings.findChild(QPushButton, "apply-fix-tid")
    assert apply is not None and apply.isEnabled()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    dialog = w._dialog
    assert dialog.diff_rows() == [("tid", "12345687", "12345678")]
    qtbot.mouseClick(dialog.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.busy and bool(w.diagnosis.actions_taken), timeout=20_000)

    outcome = w.diagnosis.actions_taken[0]
    assert (outcome.action, outcome.result) == ("fix-tid", "done")
    assert w.diagnosis.check("signon").status == "pass"
    assert w.diagnosis.check("params.tid").status == "pass"
    assert not w.diagnosis.findings
    assert w.findings.findChild(QLabel, "outcome-fix-tid") is not None
    # the person tests were switched off: no finding, but not "healthy" in green
    assert w.findings.findChild(QLabel, "noFindings") is None
    assert w.findings.findChild(QLabel, "incompleteVerdict") is not None
    assert w.info.parameters.tid == "12345678"  # the terminal view shows the value read back
    assert list(Path(w.settings.fileName()).parent.joinpath("backups").glob("*.json"))


def test_declining_the_confirmation_writes_nothing(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    qtbot.mouseClick(w.findings.findChild(QPushButton, "apply-fix-tid"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None, timeout=10_000)
    qtbot.keyClick(w._dialog, Qt.Key.Key_Escape)
    wait_idle(qtbot, w)
    assert [o.result for o in w.diagnosis.actions_taken] == ["declined"]
    assert w.diagnosis.check("params.tid").status == "fail"


def test_cancel_mid_run_with_escape(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    _diagnose(qtbot, w)
    qtbot.waitUntil(lambda: w.last_step is not None and w.last_step.index >= 3, timeout=10_000)
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    wait_idle(qtbot, w)
    assert w.diagnosis is not None and w.diagnosis.cancelled
    assert w.link == svc.CONNECTED  # cancelling a diagnosis keeps the link
    assert "cancel" in w.step_label.text().lower()
    # and the terminal still answers: diagnose again to the end
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    assert not w.diagnosis.cancelled and w.diagnosis.top.id == "tid-mismatch"


def test_cable_pulled_mid_run_banner_last_values_and_reconnect_to_the_same_terminal(
    qtbot, make_window, pty_sim, tmp_path
):
    link = tmp_path / "ttyPOS"
    pty_sim("demo-97", overrides="[link.faults]\ndisconnect_after_frames = 16\n", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText("demo-2026")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    tid_before = w.info.parameters.tid
    _diagnose(qtbot, w)
    qtbot.waitUntil(lambda: w.link == svc.LOST, timeout=20_000)
    wait_idle(qtbot, w)
    assert w.banner.isVisible() and w.banner.kind == "lost"
    assert "82412345" in w.banner.text.text()
    assert w.info.parameters.tid == tid_before  # last values kept
    assert w.terminal_view.stale
    assert w.act_reconnect.isEnabled()
    # the adapter re-enumerated (new pty behind the same link): reconnect to the same serial number
    qtbot.mouseClick(w.banner.action, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    assert not w.banner.isVisible()
    assert w.session.serial_number == "82412345"


def test_reconnect_refuses_another_terminal_on_the_port(qtbot, make_window, pty_sim, tmp_path):
    link = tmp_path / "ttyPOS"
    first = pty_sim("demo-97", overrides="[link.faults]\ndisconnect_after_frames = 14\n", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText("demo-2026")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.link in (svc.CONNECTED, svc.LOST) and not w.busy, timeout=20_000)
    if w.link == svc.CONNECTED:
        _diagnose(qtbot, w)
        qtbot.waitUntil(lambda: w.link == svc.LOST and not w.busy, timeout=20_000)
    first.stop()
    pty_sim("healthy", overrides='[identity]\nserial_number = "99990001"\n', link=str(link))
    qtbot.mouseClick(w.banner.action, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.busy and w.banner.kind == "error", timeout=20_000)
    assert "99990001" in w.banner.text.text() and "82412345" in w.banner.text.text()
    assert w.link != svc.CONNECTED
    assert w.session.serial_number == "82412345"


def test_person_prompt_panel_start_and_skip(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_sign_on.setChecked(False)
    _diagnose(qtbot, w, person=True)
    qtbot.waitUntil(lambda: w.prompt.isVisible() and w.prompt.prompt is not None, timeout=10_000)
    assert w.prompt.prompt.id == "card-reader"
    assert "card" in w.prompt.text.text().lower()
    assert w.prompt.countdown.text().startswith("30")
    qtbot.mouseClick(w.prompt.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.prompt.prompt is not None and w.prompt.prompt.id == "keypad", timeout=10_000)
    qtbot.mouseClick(w.prompt.start_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w)
    assert w.diagnosis.check("selftest.card_reader").status == "skipped"
    assert w.diagnosis.check("selftest.keypad").status == "pass"
    assert not w.prompt.isVisible()


def test_closing_the_window_during_a_diagnosis_stops_the_worker_and_closes_the_port(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    session = w.session
    _diagnose(qtbot, w)
    qtbot.waitUntil(lambda: w.last_step is not None and w.last_step.index >= 2, timeout=10_000)
    w.close()
    assert not session.thread.isRunning()
    assert session.worker.driver is None or not session.worker.driver.is_open
    assert not w.service.sessions


def test_connect_failure_shows_the_reason(qtbot, make_window, tmp_path):
    w = make_window()
    w.connect_panel.port.setEditText(str(tmp_path / "no-such-port"))
    qtbot.keyClick(w, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.link == svc.FAILED and not w.busy, timeout=10_000)
    assert w.banner.isVisible() and "no-such-port" in w.banner.text.text()
    assert not w.diagnose_button.isEnabled()


def test_traffic_log_shows_frames_both_ways_and_masks_the_login_proof(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    qtbot.waitUntil(lambda: w.traffic.model.rowCount() > 10, timeout=5000)
    text = w.traffic.text(selected_only=False)
    assert "→ tx" in text and "← rx" in text
    assert "GET_IDENTITY" in text
    assert "CLIENT_PROOF=•• masked ••" in text
    assert "demo-2026" not in text and b"demo-2026".hex(" ").upper() not in text
    w.traffic.filter.setText("GET_PARAMETERS")
    assert 0 < w.traffic.proxy.rowCount() < w.traffic.model.rowCount()
    w.traffic.filter.clear()
    w.traffic.direction.setCurrentIndex(w.traffic.direction.findData("rx"))
    shown = [w.traffic.proxy.index(r, 1).data() for r in range(w.traffic.proxy.rowCount())]
    assert shown and all(d.startswith("←") for d in shown)
    # after a diagnosis, the laptop's echo tests to the acquirer's hosts are in the log too
    w.traffic.direction.setCurrentIndex(0)
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    text = w.traffic.text(selected_only=False)
    assert "0820 echo test" in text and "0830, response code 00" in text


def test_manual_steps_are_numbered_and_escalation_text_is_copied(qtbot, make_window):
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QPlainTextEdit

    w = make_window()
    panel = w.connect_panel
    qtbot.mouseClick(panel.sim, Qt.MouseButton.LeftButton)  # built-in simulated terminal
    panel.scenario.setCurrentIndex(panel.scenario.findData("tampered"))
    assert panel.password.text() == "demo-2026"  # the simulator's published password is filled in
    assert panel.port_name() == "sim://tampered"
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    finding = w.diagnosis.top
    assert finding.id == "tamper"
    escalation = next(a for a in finding.actions if a.kind == "escalation")
    manual = next(a for a in finding.actions if a.kind == "manual")
    text = w.findings.findChild(QPlainTextEdit, f"escalation-{escalation.id}")
    assert text is not None and text.toPlainText() == escalation.text("en")
    qtbot.mouseClick(w.findings.findChild(QPushButton, f"copy-{escalation.id}"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == escalation.text("en")
    box = w.findings.findChild(QWidget, f"action-{manual.id}")
    shown = "\n".join(lab.text() for lab in box.findChildren(QLabel))
    assert f"1. {manual.steps[0]('en')}" in shown
    assert w.findings.findChild(QPushButton, f"apply-{manual.id}") is None  # nothing to apply by hand


def test_closing_the_window_while_a_person_prompt_waits(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    session = w.session
    _diagnose(qtbot, w, person=True)
    qtbot.waitUntil(lambda: w.prompt.isVisible(), timeout=10_000)
    w.close()
    assert not session.thread.isRunning()
    assert not w.prompt.timer.isActive()


def test_cable_pulled_after_the_commit_is_read_back_on_a_new_link_then_diagnose_again(
    qtbot, make_window, pty_sim, tmp_path
):
    # the 30th frame is the read-back right after the confirmed commit: the cable drops there; the adapter comes
    # back under the same name (the link), so the engine reads back on a new link instead of reporting "failed"
    link = tmp_path / "ttyPOS"
    pty_sim("demo-97", overrides="[link.faults]\ndisconnect_after_frames = 30\n", link=str(link))
    w = make_window()
    w.work_order.load(str(Path(__file__).resolve().parents[2] / "resources" / "work-orders" / "demo-97.toml"))
    w.set_profile("demo")
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText("demo-2026")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    assert w.link == svc.CONNECTED and w.diagnosis.top.id == "tid-mismatch"
    qtbot.mouseClick(w.findings.findChild(QPushButton, "apply-fix-tid"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None, timeout=10_000)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(w.diagnosis.actions_taken) and not w.busy, timeout=30_000)
    [outcome] = w.diagnosis.actions_taken
    assert outcome.result == "done" and "read back after reconnecting" in outcome.message.en
    assert outcome.read_back == {"tid": "12345678"}
    assert w.findings.findChild(QLabel, "outcome-fix-tid") is not None
    assert w.link == svc.CONNECTED  # the session took over the new link
    assert w.session.worker.diagnoser.driver is w.session.worker.driver  # later repairs use the new link
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    assert w.info.parameters.tid == "12345678"
    assert w.diagnosis.check("signon").status == "pass"
    assert "tid-mismatch" not in [f.id for f in w.diagnosis.findings]


def test_skip_while_the_terminal_waits_for_the_card_stops_that_test_at_once(qtbot, make_window, tmp_path):
    import time

    # nobody ever swipes: the terminal would wait its whole 30 s for the card
    scenario = tmp_path / "nobody-swipes.toml"
    scenario.write_text('extends = "demo-97"\n[self_tests.card_reader]\npresent_after_s = 600\n', encoding="utf-8")
    w = make_window()
    w.work_order.load(str(Path(__file__).resolve().parents[2] / "resources" / "work-orders" / "demo-97.toml"))
    w.set_profile("demo")
    w.connect_panel.port.setEditText(f"sim://{scenario}")
    w.connect_panel.password.setText("demo-2026")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_sign_on.setChecked(False)
    _diagnose(qtbot, w, person=True)
    qtbot.waitUntil(lambda: w.prompt.prompt is not None and w.prompt.prompt.id == "card-reader", timeout=10_000)
    prompt = w.prompt.prompt
    qtbot.mouseClick(w.prompt.start_button, Qt.MouseButton.LeftButton)
    assert w.prompt.isVisible() and w.prompt.waiting
    assert w.prompt.skip_button.isVisible() and not w.prompt.start_button.isVisible()
    assert "Waiting for the terminal" in w.prompt.text.text()
    # the terminal is waiting for the card: its own countdown reaches the window
    qtbot.waitUntil(lambda: w.last_step is not None and "present a card" in w.last_step.detail, timeout=10_000)

    skipped_at = time.monotonic()
    qtbot.mouseClick(w.prompt.skip_button, Qt.MouseButton.LeftButton)
    assert prompt.skip.is_set() and not w.prompt.isVisible()
    # the diagnosis goes on at once: the next test asks for the person
    qtbot.waitUntil(lambda: w.prompt.prompt is not None and w.prompt.prompt.id == "keypad", timeout=3000)
    assert time.monotonic() - skipped_at < 2.5
    qtbot.mouseClick(w.prompt.skip_button, Qt.MouseButton.LeftButton)  # the keypad before it starts
    wait_idle(qtbot, w)
    card = w.diagnosis.check("selftest.card_reader")
    assert card.status == "skipped" and card.summary("en") == "skipped by the technician"
    assert "skipped by the technician" in w.checklist.item_for("selftest.card_reader").text(1)
    assert w.diagnosis.check("selftest.keypad").status == "skipped"
    assert w.diagnosis.top.id == "tid-mismatch"  # the rest of the diagnosis ran
    assert not w.prompt.isVisible()


def test_f6_opens_the_first_fix_and_a_declined_confirmation_leaves_the_repairs_shown(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    assert not w.act_apply.isEnabled()
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    assert w.act_apply.isEnabled() and w.findings.first_action() == "fix-tid"
    changes = w.findings.findChild(QLabel, "changes-fix-tid")
    assert changes.text() == "Terminal ID (TID): 12345687 → 12345678"  # the label, not "tid"
    qtbot.keyClick(w, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    qtbot.keyClick(w._dialog, Qt.Key.Key_Escape)  # declined: nothing written, nothing to show
    wait_idle(qtbot, w)
    assert w.findings.findChild(QLabel, "outcome-fix-tid") is None
    assert w.findings.outcomes == []


def _confirm_fix(qtbot, w) -> None:
    qtbot.mouseClick(w.findings.findChild(QPushButton, "apply-fix-tid"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)


def test_closing_during_a_repair_asks_first_and_wait_is_the_default(qtbot, make_window):
    from PySide6.QtWidgets import QMessageBox

    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    _confirm_fix(qtbot, w)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    assert w.busy and w.job == "repair"
    w.close()  # mid-write
    box = w.findChild(QMessageBox, "closeQuestion")
    assert box is not None and box.isVisible() and w.isVisible()
    assert box.defaultButton().text() == "&Wait"
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w)
    assert w.isVisible() and w.diagnosis.actions_taken[0].result == "done"


def test_closing_during_a_repair_then_close_anyway_stops_the_worker(qtbot, make_window):
    from PySide6.QtWidgets import QMessageBox

    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    session = w.session
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    _confirm_fix(qtbot, w)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    w.close()
    box = w.findChild(QMessageBox, "closeQuestion")
    close_anyway = next(b for b in box.buttons() if b.text() == "&Close anyway")
    qtbot.mouseClick(close_anyway, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    assert not session.thread.isRunning()
    assert session.worker.driver is None or not session.worker.driver.is_open


def test_closing_while_the_confirmation_is_open_declines_it_and_closes(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    session = w.session
    _diagnose(qtbot, w)
    wait_idle(qtbot, w)
    _confirm_fix(qtbot, w)
    w.close()  # nothing written yet: no question
    assert not w.isVisible() and not session.thread.isRunning()


def test_a_person_prompt_nobody_answers_is_not_tested_not_skipped(qtbot, make_window):
    """The panel's countdown ends with nobody pressing anything: the test reads "no answer", not
    "skipped by the technician", and both tests are listed as untested."""
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_sign_on.setChecked(False)
    _diagnose(qtbot, w, person=True)
    qtbot.waitUntil(lambda: w.prompt.prompt is not None and w.prompt.prompt.id == "card-reader", timeout=10_000)
    w.prompt.left = 1  # the countdown's last second: nobody is at the terminal
    qtbot.waitUntil(lambda: w.prompt.prompt is not None and w.prompt.prompt.id == "keypad", timeout=5000)
    w.prompt.left = 1
    wait_idle(qtbot, w)
    card = w.diagnosis.check("selftest.card_reader")
    assert card.status == "skipped"
    assert "no answer" in card.summary("en") and "technician" not in card.summary("en")
    assert {u.check for u in w.diagnosis.untested} >= {"selftest.card_reader", "selftest.keypad"}
    assert not w.prompt.isVisible()
