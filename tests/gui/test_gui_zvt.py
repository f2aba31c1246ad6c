"""The window over ZVT: the simulated scenario chooses the driver; what ZVT cannot give shows skipped with
the reason; the initialisation is offered, confirmed and re-checked (issue 13)."""

from __future__ import annotations

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

pytestmark = pytest.mark.gui


def test_a_zvt_scenario_chooses_its_driver_and_the_checklist_says_what_zvt_cannot_give(qtbot, make_window):
    w = make_window()
    panel = w.connect_panel
    combo = panel.findChild(QComboBox, "driverCombo")
    assert combo.currentData() == "cup-maint"
    panel.use_simulator("zvt-init-required")
    assert combo.currentData() == "zvt"  # the scenario's protocol
    assert panel.baud.currentData() == 9600
    assert panel.password.text() == "000000"  # the simulated ZVT terminal's published password
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    assert [f.id for f in w.diagnosis.findings] == ["initialisation-required"]
    tid = w.checklist.item_for("params.tid")
    assert tid is not None and "not available over ZVT" in tid.text(1)
    assert w.diagnosis.check("params.tid").status == "skipped"
    assert w.findings.findChild(QLabel, "finding-initialisation-required") is not None

    apply = w.findings.findChild(QPushButton, "apply-initialise")
    assert apply is not None and apply.isEnabled()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.busy and bool(w.diagnosis.actions_taken), timeout=20_000)
    assert [(o.action, o.result) for o in w.diagnosis.actions_taken] == [("initialise", "done")]
    assert w.diagnosis.check("terminal.status").status == "pass"
    assert not w.diagnosis.findings
