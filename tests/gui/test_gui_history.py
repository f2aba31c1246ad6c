"""The window records each diagnosis and repair in the visit history; the History view finds and opens them."""

from __future__ import annotations

import subprocess

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from techapp.history import History
from ui.app import setup_demo
from ui.history_view import HistoryDialog

pytestmark = pytest.mark.gui


def _texts(tree) -> list[list[str]]:
    return [[tree.topLevelItem(i).text(c) for c in range(tree.columnCount())] for i in range(tree.topLevelItemCount())]


def test_diagnosis_and_repair_are_one_visit_and_the_history_view_opens_it(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    with History.open() as h:
        [visit] = h.visits()
    assert (visit.kind, visit.outcome, visit.tid) == ("diagnose", "faults", "12345687")

    apply = w.findings.findChild(QPushButton, "apply-fix-tid")
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.busy and bool(w.diagnosis.actions_taken), timeout=20_000)
    with History.open() as h:
        [repaired] = h.visits()  # the repair rewrote the session's visit, not a second one
        assert repaired.id == visit.id and repaired.kind == "repair" and repaired.tid == "12345678"

    # a second diagnosis of the same terminal: a new visit, compared with the repaired one
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))

    # File > Visit history, by its shortcut
    w.raise_()
    w.activateWindow()  # the repair's dialog had the focus
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: w.history.dialog is not None and w.history.dialog.isVisible(), timeout=5000)
    d = w.history.dialog
    assert d.list.topLevelItemCount() == 2
    assert d.found.text() == "2 visits"

    # search by TID: only the visit that read the wrong TID... is the repair (12345678 now); by serial number: both
    d.field.setCurrentIndex(d.field.findData("sn"))
    d.query.setText("82412345")
    qtbot.mouseClick(d.search_button, Qt.MouseButton.LeftButton)
    assert d.list.topLevelItemCount() == 2
    d.field.setCurrentIndex(d.field.findData("merchant"))
    d.query.setText("no such shop")
    qtbot.keyClick(d.query, Qt.Key.Key_Return)
    assert d.list.topLevelItemCount() == 0 and d.found.text() == "No visit matches."
    d.field.setCurrentIndex(d.field.findData("work_order"))
    d.query.setText("WO-2026-1125-0042")
    qtbot.keyClick(d.query, Qt.Key.Key_Return)
    rows = _texts(d.list)
    assert len(rows) == 2 and [r[2] for r in rows] == ["Diagnosis", "Repair"]  # newest first

    # open the repair: checklist, findings (repaired), actions, and what changed since... it was the first
    d.list.setCurrentItem(d.list.topLevelItem(1))
    assert d.current is not None and d.current.kind == "repair"
    assert any(r[1] == "Terminal ID (TID)" or "TID" in r[1] for r in _texts(d.checks))
    assert _texts(d.findings)[0][:2] == ["TID keyed wrong", "Repaired at this visit"]
    assert _texts(d.actions)[0][0] == "Done" and "tid = 12345678" in _texts(d.actions)[0][2]
    assert "First visit of this terminal" in d.compare.text()

    # open the newest: compared with the repair
    d.list.setCurrentItem(d.list.topLevelItem(0))
    assert d.compare_box.title() == "Compared with the last visit"
    assert "Compared with the visit of" in d.compare.text()
    assert d.save_pdf.isEnabled()


def test_history_view_in_chinese(qtbot, make_window, tmp_path):
    path = tmp_path / "h.sqlite3"
    w = make_window("zh")
    d = HistoryDialog(w, path=path)
    qtbot.addWidget(d)
    assert d.windowTitle() == "到访记录"
    assert d.found.text() == "尚无到访记录。"
    assert d.compare_box.title() == "与上次到访相比"


def test_a_past_visit_report_is_saved_as_pdf_and_kept(qtbot, make_window, tmp_path):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    d = w.history.show()
    assert d.current is not None and d.current.report is None
    assert "No report was made at this visit" in d.report_info.text()
    d.report_lang.setCurrentIndex(d.report_lang.findData("zh"))
    pdf = d.save_report_pdf(str(tmp_path / "visit.pdf"))
    assert pdf is not None and pdf.is_file(), d.report_status.text()
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "82412345" in text and "终端号" in text
    # the report is now kept with the visit: the same number and fingerprint next time
    with History.open() as h:
        kept = h.visit(d.current.id)
    assert kept.report is not None and kept.report["report_no"] in d.report_info.text()
    assert kept.fingerprint == kept.report["fingerprint"]


def test_a_restore_from_the_window_is_a_visit_of_its_own(qtbot, make_window):
    from techapp.backups import save_backup
    from ui.restore_dialog import RESTORE_JOB, restore_job

    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    got = {}
    w.session.jobDone.connect(lambda n, result: got.setdefault(n, result))
    recorded = []
    w.session.visitRecorded.connect(lambda visit, why: recorded.append((visit, why)))

    def change(driver, password):
        driver.login(password)
        path = save_backup(driver.parameters(), driver.identity(), reason="before test-change (test)")
        driver.set_parameters({"merchant_name": "Changed Shop"})
        return path

    w.session.run_job("test-write", change)
    qtbot.waitUntil(lambda: "test-write" in got and not w.busy, timeout=20_000)
    w.session.run_job(RESTORE_JOB, restore_job(got["test-write"], w.info.identity))
    qtbot.waitUntil(lambda: RESTORE_JOB in got and not w.busy, timeout=20_000)
    assert recorded and recorded[-1][0] is not None and recorded[-1][1] == ""
    with History.open() as h:
        [visit] = h.visits()
        full = h.visit(visit.id)
    assert (visit.kind, visit.outcome, visit.serial_number) == ("restore", "restored", "82412345")
    assert {"path": str(got["test-write"]), "role": "restored-from"} in full.backups
    assert full.actions[0]["written"]["merchant_name"] != "Changed Shop"

    d = w.history.show()
    assert _texts(d.list)[0][2] == "Restore"
    assert any(r[0] == "Restored from" for r in _texts(d.actions))
    assert "A restore has no service report." in d.report_info.text() and not d.save_pdf.isEnabled()
