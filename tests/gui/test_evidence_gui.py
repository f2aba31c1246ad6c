"""The evidence bundle from the window: File > Save evidence bundle..., and on the escalation of a finding
"Copy escalation text" and "Save evidence bundle..."."""

from __future__ import annotations

import json
import zipfile

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from techapp import evidence
from ui.app import setup_demo

pytestmark = pytest.mark.gui


def _diagnose(qtbot, w, scenario: str | None = None) -> None:
    setup_demo(w, connect=scenario is None)
    if scenario is not None:  # the demo's work order and profile, another simulated terminal
        w.connect_panel.use_simulator(scenario)
        w.connect_panel.connect_button.click()
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))


def test_file_menu_saves_the_bundle_of_the_visit(qtbot, make_window, tmp_path):
    w = make_window("en")
    hooks = w.evidence_bundle
    assert "Save evidence &bundle..." in [a.text() for a in w.menu_file.actions()]
    assert not hooks.act_bundle.isEnabled()  # nothing diagnosed yet
    _diagnose(qtbot, w)
    assert hooks.act_bundle.isEnabled()
    path = hooks.save(tmp_path / evidence.bundle_name(w.diagnosis))
    assert path is not None and path.name.startswith("82412345_")
    assert evidence.verify_manifest(path) == []
    with zipfile.ZipFile(path) as z:
        log = z.read("maintenance-log.txt").decode()
        report = json.loads(z.read("report.json"))
        assert z.read("report.pdf")[:5] == b"%PDF-"
        pcap = z.read("host-traffic.pcap")
    assert "demo-2026" not in log and "LOGIN" in log and "** ** **" in log  # the Traffic log tab, proofs masked
    # the visit's report: kept with the visit, the same number in the bundle
    from techapp.history import History

    visit = w.session.worker.visit_id
    with History.open() as h:
        assert h.visit(visit).report["report_no"] == report["report_no"]
    # the terminal's 0800/0810 and the laptop's two echo tests: 3 connections of 10 packets
    convs = evidence.conversations(w.diagnosis)
    assert [c.kind for c in convs].count("sign-on") == 1 and [c.kind for c in convs].count("echo") == 2
    assert len(pcap) > 24 + 30 * 16


def test_escalation_buttons_copy_the_text_and_save_the_bundle(qtbot, make_window, tmp_path, monkeypatch):
    w = make_window("zh")
    # a terminal whose host answers 97 with the right TID: the acquirer must register it
    _diagnose(qtbot, w, "not-registered-97")
    escalations = evidence.escalation_actions(w.diagnosis)
    assert escalations, "the scenario gives no escalation: the test would prove nothing"
    _finding, action = escalations[0]
    copy = w.findings.findChild(QPushButton, f"copy-{action.id}")
    save = w.findings.findChild(QPushButton, f"bundle-{action.id}")
    assert copy is not None and save is not None
    assert copy.text() == "复制上报文本" and save.text() == "保存证据包..."
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert action.text("zh") in copied and "demo-2026" not in copied
    target = tmp_path / "evidence.zip"
    monkeypatch.setattr("ui.evidence_bundle.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert target.is_file() and evidence.verify_manifest(target) == []
    # once saved, the escalation text names the bundle to attach
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert "附证据包：evidence.zip" in QGuiApplication.clipboard().text()
