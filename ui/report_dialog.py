"""The service report from the window: File > Report... (Ctrl+P) and a Report... button once a diagnosis is done.

The dialog builds the report once (sealed: fingerprint, and signature when the settings say so), then
saves it as PDF with its JSON beside, shows the print preview (QPrintPreviewDialog) or prints
(QPrintDialog) - all three through the one renderer in :mod:`ui.report_render`. The report's
language is chosen in the dialog, independent of the window's; the technician's name and id are
taken from, and saved to, the settings file (:mod:`techapp.settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import ui.report_render as report_render
from techapp.report import PAPERS, RenderError, RenderUnavailable
from techapp.report.commands import attach, make_report, write_outputs
from techapp.settings import SettingsError, load_settings, save_settings

from .i18n import lang


class ReportDialog(QDialog):
    """One report of one diagnosis: language, paper, technician; Save PDF..., Print preview..., Print...."""

    def __init__(
        self, diagnosis: Any, parent: QWidget | None = None, *, report: dict | None = None, visit_id: int | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.diagnosis = diagnosis
        self.visit_id = visit_id  # the visit in the history: a report saved or printed is kept with it
        self.report: dict | None = report  # a stored report (history) is shown as it is, never rebuilt
        self.fixed = report is not None
        try:
            settings = load_settings()
        except SettingsError:
            settings = None
        self.settings = settings

        self.lang_box = QComboBox()
        self.lang_box.setObjectName("reportLang")
        self.lang_box.addItem("English", "en")
        self.lang_box.addItem("中文", "zh")
        want = (settings.report_lang if settings and settings.report_lang else "") or lang()
        self.lang_box.setCurrentIndex(max(0, self.lang_box.findData(want)))
        self.paper_box = QComboBox()
        self.paper_box.setObjectName("reportPaper")
        for paper in PAPERS:
            self.paper_box.addItem(paper, paper)
        self.tech_name = QLineEdit(settings.technician_name if settings else "")
        self.tech_name.setObjectName("technicianName")
        self.tech_id = QLineEdit(settings.technician_id if settings else "")
        self.tech_id.setObjectName("technicianId")
        for field in (self.tech_name, self.tech_id):
            field.setEnabled(not self.fixed)
            field.editingFinished.connect(self._technician_changed)
        self.summary = QLabel()
        self.summary.setObjectName("reportSummary")
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Report language:"), self.lang_box)
        form.addRow(self.tr("Paper:"), self.paper_box)
        form.addRow(self.tr("Technician name:"), self.tech_name)
        form.addRow(self.tr("Technician id:"), self.tech_id)

        self.save_button = QPushButton(self.tr("&Save PDF..."))
        self.save_button.setObjectName("reportSave")
        self.preview_button = QPushButton(self.tr("Print pre&view..."))
        self.preview_button.setObjectName("reportPreview")
        self.print_button = QPushButton(self.tr("&Print..."))
        self.print_button.setObjectName("reportPrint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        for b in (self.save_button, self.preview_button, self.print_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(buttons)
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.preview_button.clicked.connect(lambda: self.preview())
        self.print_button.clicked.connect(lambda: self.print_())

        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addLayout(form)
        lay.addLayout(row)
        self.setWindowTitle(self.tr("Service report"))
        self._build()

    # -- the report ---------------------------------------------------------------------------
    def _build(self) -> None:
        if not self.fixed:
            try:
                self.report = make_report(self.diagnosis, settings=self.settings)
            except ValueError as err:  # an unreadable signing key: the report goes out unsigned, and says so
                why = self.tr("The report is not signed: %1").replace("%1", str(err))
                QMessageBox.warning(self, self.tr("Service report"), why)
                self.report = make_report(self.diagnosis, settings=self.settings, sign=False)
        r = self.report
        training = self.tr(" (training: simulated terminal)") if r.get("training") else ""
        self.summary.setText(
            self.tr("Report %1: %2%3\nFingerprint (SHA-256): %4")
            .replace("%1", r["report_no"])
            .replace("%2", r["headline"].get(lang()) or r["headline"].get("en", ""))
            .replace("%3", training)
            .replace("%4", r["fingerprint"])
        )

    def _technician_changed(self) -> None:
        from techapp.settings import Settings

        base = self.settings or Settings()
        name, tid = self.tech_name.text().strip(), self.tech_id.text().strip()
        if (name, tid) == (base.technician_name, base.technician_id):
            return
        try:
            self.settings = base.with_changes(technician_name=name, technician_id=tid)
            save_settings(self.settings)
        except (SettingsError, OSError) as err:
            QMessageBox.warning(self, self.tr("Service report"), str(err))
            return
        self._build()  # a new technician is a new report: a new fingerprint

    @property
    def report_lang(self) -> str:
        return self.lang_box.currentData()

    @property
    def paper(self) -> str:
        return self.paper_box.currentData()

    # -- outputs --------------------------------------------------------------------------------
    def default_path(self) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        return str(Path(folder) / f"{self.report['report_no']}.pdf")

    def save_pdf(self, path: str | None = None) -> str | None:
        """Write the PDF (and its JSON beside it); asks for the file when ``path`` is None."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the report"), self.default_path(), "PDF (*.pdf)")
            if not path:
                return None
            if not path.lower().endswith(".pdf"):
                path += ".pdf"
        try:
            report_render.ensure_app()
            write_outputs(self.report, pdf=path, json_path=None, lang=self.report_lang, paper=self.paper)
        except (OSError, RenderError, RenderUnavailable) as err:
            QMessageBox.warning(
                self, self.tr("Service report"), self.tr("The report was not saved: %1").replace("%1", str(err))
            )
            return None
        self.summary.setText(self.summary.text() + "\n" + self.tr("Saved: %1").replace("%1", path))
        attach(self.visit_id, self.report)
        return path

    def _printer(self) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(report_render.page_layout(self.paper))
        printer.setDocName(f"{self.tr('Service report')} {self.report['report_no']}")
        return printer

    def _paint(self, printer: QPrinter) -> None:
        try:
            report_render.RENDERER.render_to_printer(self.report, printer, lang=self.report_lang)
        except RenderError as err:
            QMessageBox.warning(self, self.tr("Service report"), str(err))

    def preview(self, *, exec_: bool = True) -> QPrintPreviewDialog:
        dlg = QPrintPreviewDialog(self._printer(), self)
        dlg.setObjectName("reportPreviewDialog")
        dlg.paintRequested.connect(self._paint)
        if exec_:
            dlg.exec()
        return dlg

    def print_(self, *, exec_: bool = True) -> QPrintDialog:
        printer = self._printer()
        dlg = QPrintDialog(printer, self)
        dlg.setObjectName("reportPrintDialog")
        if exec_ and dlg.exec() == QDialog.DialogCode.Accepted:
            self._paint(printer)
            attach(self.visit_id, self.report)
        return dlg


class ReportHooks(QObject):
    """File > Report... (Ctrl+P) and the Report... button beside Cancel, enabled once a diagnosis is done."""

    def _language_changed(self, _lang: str = "") -> None:
        self.retranslate()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("reportHooks")
        self.window = window
        self.dialog: ReportDialog | None = None
        self.act_report = QAction(window)
        self.act_report.setObjectName("report")
        self.act_report.setShortcut(QKeySequence("Ctrl+P"))
        self.act_report.triggered.connect(lambda: self.open())
        window.addAction(self.act_report)
        window.menu_file.insertAction(window.act_quit, self.act_report)
        window.menu_file.insertSeparator(window.act_quit)
        self.button = QPushButton()
        self.button.setObjectName("reportButton")
        self.button.clicked.connect(lambda: self.open())
        layout = _layout_of(window.centralWidget().layout(), window.cancel_button)
        if layout is not None:
            layout.insertWidget(layout.indexOf(window.cancel_button), self.button)
        s = window.session
        s.diagnosisDone.connect(self.update)
        s.repairDone.connect(self.update)
        s.busyChanged.connect(self.update)
        s.stateChanged.connect(self.update)
        self.retranslate()
        self.update()

    def update(self, *_args) -> None:
        ready = self.window.diagnosis is not None and not self.window.busy
        self.act_report.setEnabled(ready)
        self.button.setEnabled(ready)
        self.button.setVisible(self.window.diagnosis is not None)

    def retranslate(self) -> None:
        self.act_report.setText(self.tr("&Report..."))
        self.button.setText(self.tr("&Report..."))
        self.button.setToolTip(self.tr("The service report: PDF, print preview, print (Ctrl+P)"))

    def open(self) -> ReportDialog | None:
        if self.window.diagnosis is None:
            return None
        # the visit the window recorded for this diagnosis (ui/service.py's worker keeps its number)
        visit_id = getattr(getattr(self.window.session, "worker", None), "visit_id", None)
        self.dialog = ReportDialog(self.window.diagnosis, self.window, visit_id=visit_id)
        self.dialog.setModal(True)
        self.dialog.show()
        return self.dialog


def _layout_of(root: QLayout | None, widget: QWidget) -> QHBoxLayout | None:
    """The (nested) box layout that holds ``widget``."""
    if root is None:
        return None
    if root.indexOf(widget) >= 0:
        return root if isinstance(root, QHBoxLayout | QVBoxLayout) else None
    for i in range(root.count()):
        child = root.itemAt(i).layout()
        found = _layout_of(child, widget)
        if found is not None:
            return found
    return None


def install_report(window) -> ReportHooks:
    """Add the report's menu item and button to ``window`` (kept as ``window.report``)."""
    window.report = ReportHooks(window)
    from .i18n import languages

    # a bound method of a QObject the window owns: the connection ends with the window
    languages().changed.connect(window.report._language_changed)
    return window.report


__all__ = ["ReportDialog", "ReportHooks", "install_report"]
