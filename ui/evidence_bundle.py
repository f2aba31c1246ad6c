"""The evidence bundle in the window: File > Save evidence bundle..., and on every escalation
"Copy escalation text" and "Save evidence bundle..." (the logic is :mod:`techapp.evidence`).

The bundle carries the report kept with the visit when there is one (else it makes one, with the
settings' technician, and keeps it with the visit), the Traffic log tab as saved, and the host traffic
of the visit: the first diagnosis's sign-on (the fault) and, after repairs, the re-run's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from techapp import evidence

from . import report_render  # noqa: F401 - registers the Qt renderer the bundle's PDF uses
from .i18n import lang, languages


class EvidenceHooks(QObject):
    """File > Save evidence bundle... (enabled once a diagnosis is done) and the escalation buttons."""

    def _language_changed(self, _lang: str = "") -> None:
        self.retranslate()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("evidenceHooks")
        self.window = window
        self.first = None  # the visit's first diagnosis (before any repair): its sign-on is the fault's evidence
        self.saved: Path | None = None  # the last bundle saved for this visit (named in the escalation text)
        self.last_error = ""
        self.act_bundle = QAction(window)
        self.act_bundle.setObjectName("saveEvidenceBundle")
        self.act_bundle.triggered.connect(lambda: self.save())
        window.addAction(self.act_bundle)
        window.menu_file.insertAction(window.act_quit, self.act_bundle)
        window.menu_file.insertSeparator(window.act_quit)
        window.findings.escalation_hook = self.escalation_row
        s = window.session
        s.diagnosisDone.connect(self._diagnosed)
        s.repairDone.connect(self.update)
        s.busyChanged.connect(self.update)
        s.stateChanged.connect(self.update)
        self.retranslate()
        self.update()

    def _diagnosed(self, d: Any) -> None:
        self.first, self.saved = d, None
        self.update()

    def update(self, *_args) -> None:
        self.act_bundle.setEnabled(self.window.diagnosis is not None and not self.window.busy)

    def retranslate(self) -> None:
        self.act_bundle.setText(self.tr("Save evidence &bundle..."))
        self.act_bundle.setToolTip(
            self.tr("One zip for the acquirer's help desk: report, diagnosis, traffic log, host traffic (pcap)")
        )

    # -- escalation buttons ----------------------------------------------------------------------
    def escalation_row(self, action: Any, row, copy: QPushButton) -> None:
        """The escalation's button row: its Copy button copies the escalation text; Save evidence bundle..."""
        copy.setText(self.tr("Copy escalation text"))
        copy.clicked.disconnect()
        copy.clicked.connect(lambda _=False, a=action: self.copy_escalation(a))
        save = QPushButton(self.tr("Save evidence bundle..."))
        save.setObjectName(f"bundle-{action.id}")
        save.clicked.connect(lambda: self.save())
        row.addWidget(save)

    def escalation_text(self, action: Any) -> str:
        bundle = self.saved.name if self.saved is not None else None
        return evidence.escalation_text(action, lang(), bundle=bundle)

    def copy_escalation(self, action: Any) -> str:
        text = self.escalation_text(action)
        QGuiApplication.clipboard().setText(text)
        return text

    # -- the bundle -------------------------------------------------------------------------------
    def _visit_report(self) -> tuple[int | None, dict | None]:
        visit_id = getattr(getattr(self.window.session, "worker", None), "visit_id", None)
        if visit_id is None:
            return None, None
        try:
            from techapp.history import History

            with History.open() as h:
                return visit_id, h.visit(visit_id).report
        except Exception:  # noqa: BLE001 - no history: the bundle makes its own report
            return visit_id, None

    def save(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Write the bundle (asks where when ``path`` is None); its path, or None (cancelled or failed: a message)."""
        d = self.window.diagnosis
        if d is None:
            return None
        if path is None:
            suggested = str(Path.home() / evidence.bundle_name(d))
            chosen, _ = QFileDialog.getSaveFileName(
                self.window, self.tr("Save evidence bundle"), suggested, self.tr("Zip files (*.zip)")
            )
            if not chosen:
                return None
            path = chosen
        visit_id, report = self._visit_report()
        made_here = report is None
        if report is None:
            try:
                from techapp.report.commands import make_report

                report = make_report(d)
            except Exception as err:  # noqa: BLE001 - settings unreadable: said below
                return self._failed(str(err))
        first = self.first if self.first is not None and self.first is not d else None
        convs = evidence.conversations(first, also=d) if first is not None else evidence.conversations(d)
        try:
            written = evidence.build_bundle(
                d, path, report=report, lang=lang(), maintenance_log=self.window.traffic.save_text(), convs=convs
            )
        except evidence.BundleError as err:
            return self._failed(str(err))
        if made_here and visit_id is not None:
            from techapp.report.commands import attach

            attach(visit_id, report)
        self.saved = written
        self.window.statusBar().showMessage(self.tr("Evidence bundle saved: %1").replace("%1", str(written)), 8000)
        return written

    def _failed(self, why: str) -> None:
        self.last_error = why
        QMessageBox.warning(
            self.window,
            self.tr("Save evidence bundle"),
            self.tr("The evidence bundle was not saved: %1").replace("%1", why),
        )
        return None


def install_evidence(window) -> EvidenceHooks:
    """File > Save evidence bundle... and the escalation buttons in ``window`` (kept as ``window.evidence_bundle``)."""
    window.evidence_bundle = EvidenceHooks(window)
    # a bound method of a QObject the window owns: the connection ends with the window
    languages().changed.connect(window.evidence_bundle._language_changed)
    return window.evidence_bundle


__all__ = ["EvidenceHooks", "install_evidence"]
