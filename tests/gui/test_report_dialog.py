"""The service report from the window: the Report... button and File > Report..., save as PDF, print preview."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from techapp.report import verify
from techapp.settings import load_settings
from ui.app import setup_demo

pytestmark = pytest.mark.gui


def _text(pdf) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext (poppler-utils) is not installed: run scripts/setup")
    out = subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFKC", out.decode("utf-8")).split())


def test_report_after_a_diagnosis_in_chinese_from_an_english_window(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.delenv("TECHAPP_CONFIG_DIR", raising=False)  # the settings go to the test's TECHAPP_DATA_DIR
    w = make_window("en")
    assert not w.report.act_report.isEnabled() and not w.report.button.isVisible()
    file_items = [a.text() for a in w.menu_file.actions()]
    assert "&Report..." in file_items

    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    assert w.report.button.isVisible() and w.report.button.isEnabled()

    qtbot.mouseClick(w.report.button, Qt.MouseButton.LeftButton)
    dlg = w.report.dialog
    assert dlg is not None and dlg.isVisible()
    assert dlg.report["report_no"] in dlg.summary.text()

    # the technician typed in the dialog is kept in the settings and printed on the report
    dlg.tech_name.setText("Li Na")
    dlg.tech_id.setText("T-7")
    dlg.tech_id.editingFinished.emit()
    assert (load_settings().technician_name, load_settings().technician_id) == ("Li Na", "T-7")
    assert dlg.report["technician"] == {"name": "Li Na", "id": "T-7"}

    dlg.lang_box.setCurrentIndex(dlg.lang_box.findData("zh"))  # the report's language, not the window's
    pdf = dlg.save_pdf(str(tmp_path / "visit.pdf"))
    assert pdf is not None
    text = _text(tmp_path / "visit.pdf")
    assert "维修服务报告" in text and "终端号输入错误" in text and "Li Na" in text and "培训" in text
    assert verify(tmp_path / "visit.json", tmp_path / "visit.pdf").ok
    # the window recorded the visit; the saved report is kept with it
    from techapp.history import History

    assert dlg.visit_id is not None
    with History.open() as h:
        assert h.visit(dlg.visit_id).report["fingerprint"] == dlg.report["fingerprint"]
    assert w.menu_file.title() == "&File"  # the window stayed English

    # print preview paints the same renderer on the preview's printer
    preview = dlg.preview(exec_=False)
    painted = []
    preview.paintRequested.connect(lambda printer: painted.append(printer))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    preview.paintRequested.emit(printer)
    assert painted
    assert "终端号输入错误" in _text(tmp_path / "printed.pdf")
    preview.deleteLater()
    dlg.close()
