"""The History window: past visits searched by serial number, TID, MID, merchant, work order or date.

Opening a visit shows its checklist, findings, actions and report (saved again as a PDF or printed
through :mod:`techapp.report`), and what changed on the terminal since the visit before
(:meth:`techapp.history.History.compare_with_last`). File > Visit history (Ctrl+Shift+H) opens it;
:func:`install_history` adds the menu entry and shows a warning when a visit could not be recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from techapp.diagnosis.model import Text
from techapp.history import History, HistoryError, Visit, VisitSummary

from .i18n import lang, languages
from .style import status_icon

# search fields: the keys of History.visits (their labels are in retranslate)
FIELDS = ("text", "sn", "tid", "mid", "merchant", "work_order")


def _said(value: Any) -> str:
    if isinstance(value, Text):
        return value(lang())
    if isinstance(value, dict) and "en" in value:
        return value.get("zh" if lang() == "zh" else "en", "")
    return "" if value is None else str(value)


class HistoryDialog(QDialog):
    """Search the visit history and open a visit. ``path``: another history file (tests)."""

    def __init__(self, parent: QWidget | None = None, *, path: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.path = path
        self.current: Visit | None = None
        self.resize(980, 620)

        # -- search row ----------------------------------------------------------------------
        self.field = QComboBox(objectName="historyField")
        for key in FIELDS:
            self.field.addItem("", key)
        self.query = QLineEdit(objectName="historyQuery")
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.search)
        self.use_since = QCheckBox(objectName="historyUseSince")
        self.since = QDateEdit(QDate.currentDate().addDays(-30), objectName="historySince")
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        self.use_until = QCheckBox(objectName="historyUseUntil")
        self.until = QDateEdit(QDate.currentDate(), objectName="historyUntil")
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        for box, edit in ((self.use_since, self.since), (self.use_until, self.until)):
            edit.setEnabled(False)
            box.toggled.connect(edit.setEnabled)
        self.search_button = QPushButton(objectName="historySearch")
        self.search_button.clicked.connect(self.search)
        row = QHBoxLayout()
        self.field_label = QLabel()
        self.field_label.setBuddy(self.query)
        for w in (self.field_label, self.field, self.query, self.use_since, self.since, self.use_until, self.until):
            row.addWidget(w)
        row.addWidget(self.search_button)
        row.setStretch(2, 1)

        # -- the list of visits --------------------------------------------------------------
        self.list = QTreeWidget(objectName="historyList")
        self.list.setRootIsDecorated(False)
        self.list.setColumnCount(8)
        self.list.setAlternatingRowColors(True)
        self.list.currentItemChanged.connect(lambda item, _old: self._open_item(item))
        self.found = QLabel(objectName="historyFound")

        # -- one visit -----------------------------------------------------------------------
        self.headline = QLabel(objectName="historyHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compare_box = QGroupBox(objectName="historyCompareBox")
        self.compare = QLabel(objectName="historyCompare")
        self.compare.setWordWrap(True)
        self.compare.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compare.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        QVBoxLayout(self.compare_box).addWidget(self.compare)
        summary = QWidget()
        lay = QVBoxLayout(summary)
        lay.addWidget(self.headline)
        lay.addWidget(self.compare_box, 1)

        self.checks = self._tree("historyChecks", 3)
        self.findings = self._tree("historyFindings", 3)
        self.actions = self._tree("historyActions", 3)

        report = QWidget()
        rl = QVBoxLayout(report)
        self.report_info = QLabel(objectName="historyReportInfo")
        self.report_info.setWordWrap(True)
        self.report_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_lang = QComboBox(objectName="historyReportLang")
        self.report_lang.addItem("English", "en")
        self.report_lang.addItem("中文", "zh")
        self.save_pdf = QPushButton(objectName="historySavePdf")
        self.save_pdf.clicked.connect(self.save_report_pdf)
        self.print_button = QPushButton(objectName="historyPrint")
        self.print_button.clicked.connect(self.print_report)
        self.report_status = QLabel(objectName="historyReportStatus")
        self.report_status.setWordWrap(True)
        buttons = QHBoxLayout()
        self.report_lang_label = QLabel()
        self.report_lang_label.setBuddy(self.report_lang)
        for w in (self.report_lang_label, self.report_lang, self.save_pdf, self.print_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        rl.addWidget(self.report_info)
        rl.addLayout(buttons)
        rl.addWidget(self.report_status)
        rl.addStretch(1)

        self.detail = QTabWidget(objectName="historyDetail")
        for w in (summary, self.checks, self.findings, self.actions, report):
            self.detail.addTab(w, "")

        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.list)
        tl.addWidget(self.found)
        split.addWidget(top)
        split.addWidget(self.detail)
        split.setStretchFactor(1, 2)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        main = QVBoxLayout(self)
        main.addLayout(row)
        main.addWidget(split, 1)
        main.addWidget(close)

        languages().changed.connect(self._language_changed)
        self.retranslate()
        self._show_visit(None)
        self.search()

    @staticmethod
    def _tree(name: str, columns: int) -> QTreeWidget:
        t = QTreeWidget(objectName=name)
        t.setRootIsDecorated(False)
        t.setColumnCount(columns)
        t.setWordWrap(True)
        t.setAlternatingRowColors(True)
        return t

    # -- searching -------------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        text = self.query.text().strip()
        out: dict[str, Any] = {}
        if text:
            out[self.field.currentData()] = text
        if self.use_since.isChecked():
            out["since"] = self.since.date().toString("yyyy-MM-dd")
        if self.use_until.isChecked():
            out["until"] = self.until.date().toString("yyyy-MM-dd")
        return out

    def search(self) -> None:
        keep = self.current.id if self.current else None
        try:
            with History.open(self.path) as h:
                found = h.visits(**self.filters())
        except (HistoryError, ValueError) as err:
            self.list.clear()
            self.found.setText(self.tr("The visit history cannot be read: %1").replace("%1", str(err)))
            self._show_visit(None)
            return
        self.list.blockSignals(True)
        self.list.clear()
        for v in found:
            self.list.addTopLevelItem(self._row(v))
        self.list.blockSignals(False)
        for i in range(self.list.columnCount()):
            self.list.resizeColumnToContents(i)
        if not found:
            self.found.setText(self.tr("No visit matches.") if self.filters() else self.tr("No visit recorded yet."))
            self._show_visit(None)
            return
        self.found.setText(
            self.tr("1 visit") if len(found) == 1 else self.tr("%1 visits").replace("%1", str(len(found)))
        )
        ids = [v.id for v in found]
        self.list.setCurrentItem(self.list.topLevelItem(ids.index(keep) if keep in ids else 0))

    def _row(self, v: VisitSummary) -> QTreeWidgetItem:
        item = QTreeWidgetItem(
            [
                v.started_at.replace("T", " ")[:16],
                v.serial_number,
                self._kind(v.kind),
                self._outcome(v.outcome) + (self.tr(" (training)") if v.training else ""),
                v.tid,
                v.merchant,
                v.work_order,
                v.technician.get("name", ""),
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, v.id)
        icon = {"healthy": "pass", "faults": "fail", "incomplete": "warn", "restored": "pass"}.get(v.outcome, "skipped")
        item.setIcon(3, status_icon(icon))
        return item

    def _kind(self, kind: str) -> str:
        return {
            "diagnose": self.tr("Diagnosis"),
            "repair": self.tr("Repair"),
            "restore": self.tr("Restore"),
        }.get(kind, kind)

    def _outcome(self, outcome: str) -> str:
        return {
            "healthy": self.tr("Healthy"),
            "faults": self.tr("Faults found"),
            "incomplete": self.tr("Incomplete"),
            "restored": self.tr("Backup restored"),
        }.get(outcome, outcome)

    # -- one visit -------------------------------------------------------------------------------

    def _open_item(self, item: QTreeWidgetItem | None) -> None:
        self.open_visit(item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None)

    def open_visit(self, visit_id: int | None) -> None:
        if visit_id is None:
            self._show_visit(None)
            return
        try:
            with History.open(self.path) as h:
                visit = h.visit(visit_id)
                changes = h.compare_with_last(visit_id)
        except HistoryError as err:
            self.found.setText(str(err))
            return
        self._show_visit(visit, changes)

    def _show_visit(self, visit: Visit | None, changes: list | None = None) -> None:
        self.current = visit
        self._changes = changes or []
        self.detail.setEnabled(visit is not None)
        for t in (self.checks, self.findings, self.actions):
            t.clear()
        if visit is None:
            self.headline.setText("")
            self.compare.setText("")
            self.report_info.setText("")
            self.report_status.setText("")
            self._update_report_buttons()
            return
        who = visit.technician.get("name") or self.tr("technician not set")
        head = f"<b>{_esc(_said(visit.headline))}</b><br>" + _esc(
            self.tr("%1 · SN %2 · %3")
            .replace("%1", visit.started_at.replace("T", " "))
            .replace("%2", visit.serial_number)
            .replace("%3", who)
        )
        if visit.training:
            head += "<br>" + _esc(self.tr("Training: simulated terminal"))
        self.headline.setText(head)
        self.compare.setText("<br>".join(_esc(c.text(lang())) for c in self._changes))
        for c in visit.checks:
            item = QTreeWidgetItem([self._status(c["status"]), _said(c["title"]), _said(c["summary"])])
            item.setIcon(0, status_icon(c["status"]))
            self.checks.addTopLevelItem(item)
        for f in visit.finding_rows:
            self.findings.addTopLevelItem(
                QTreeWidgetItem([_said(f["title"]), self._state(f["state"]), _said(f["cause"])])
            )
        for a in visit.actions:
            what = ", ".join(f"{k} = {v}" for k, v in a["written"].items())
            self.actions.addTopLevelItem(QTreeWidgetItem([self._result(a["result"]), _said(a["message"]), what]))
        for b in visit.backups:
            role = self.tr("Restored from") if b["role"] == "restored-from" else self.tr("Backup before writing")
            self.actions.addTopLevelItem(QTreeWidgetItem([role, b["path"], ""]))
        for t in (self.checks, self.findings, self.actions):
            t.resizeColumnToContents(0)
        self.checks.resizeColumnToContents(1)
        self._show_report_info()

    def _status(self, status: str) -> str:
        return {
            "pass": self.tr("Pass"),
            "warn": self.tr("Warning"),
            "fail": self.tr("Fail"),
            "skipped": self.tr("Not run"),
            "error": self.tr("Error"),
        }.get(status, status)

    def _state(self, state: str) -> str:
        return {
            "open": self.tr("Open"),
            "fixed-during-diagnosis": self.tr("Fixed during the diagnosis"),
            "repaired": self.tr("Repaired at this visit"),
        }.get(state, state)

    def _result(self, result: str) -> str:
        return {
            "done": self.tr("Done"),
            "failed": self.tr("Failed"),
            "declined": self.tr("Not confirmed"),
            "blocked": self.tr("Blocked"),
            "restored": self.tr("Restored"),
        }.get(result, result)

    # -- the report ------------------------------------------------------------------------------

    def _show_report_info(self) -> None:
        v = self.current
        if v is None:
            return
        if v.diagnosis is None:
            self.report_info.setText(self.tr("A restore has no service report."))
        elif v.report is not None:
            self.report_info.setText(
                self.tr("Report %1, fingerprint %2")
                .replace("%1", v.report_no or "-")
                .replace("%2", v.fingerprint or "-")
            )
        else:
            self.report_info.setText(self.tr("No report was made at this visit; one is made from its diagnosis."))
        self._update_report_buttons()

    def _update_report_buttons(self) -> None:
        ok = self.current is not None and self.current.diagnosis is not None
        for b in (self.save_pdf, self.print_button):
            b.setEnabled(ok)

    def report(self) -> dict[str, Any] | None:
        """The visit's report: the one kept with it, else one built from its diagnosis (then kept)."""
        v = self.current
        if v is None or v.diagnosis is None:
            return None
        if v.report is not None:
            return v.report
        from techapp.report import build_report, seal
        from techapp.settings import SettingsError, load_settings

        try:
            settings = load_settings()
        except (SettingsError, OSError):
            settings = None
        # the visit's technician, not whoever opens it now; signed as the settings say
        report = seal(
            build_report(v.diagnosis, technician=v.technician, company=settings.company if settings else ""),
            sign=bool(settings and settings.sign_reports),
        )
        try:
            with History.open(self.path) as h:
                h.attach_report(v.id, report)
                self.current = h.visit(v.id)
        except HistoryError:
            pass  # the report is still shown; it is only not kept
        self._show_report_info()
        return report

    def save_report_pdf(self, path: str | None = None) -> Path | None:
        report = self._report_or_say()
        if report is None:
            return None
        if path is None:
            name = f"{report.get('report_no') or 'report'}.pdf"
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the report as PDF"), name, "PDF (*.pdf)")
            if not path:
                return None
        from techapp.report import render_pdf

        from . import report_render  # noqa: F401 - registers the Qt renderer with techapp.report

        try:
            render_pdf(report, path, lang=self.report_lang.currentData())
        except Exception as err:  # noqa: BLE001 - RenderError / RenderUnavailable / OSError: say it
            self.report_status.setText(self.tr("The report could not be saved: %1").replace("%1", str(err)))
            return None
        self.report_status.setText(self.tr("Saved: %1").replace("%1", str(path)))
        return Path(path)

    def print_report(self) -> None:
        report = self._report_or_say()
        if report is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from techapp.report import render_to_printer

        from . import report_render  # noqa: F401 - registers the Qt renderer with techapp.report

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            render_to_printer(report, printer, lang=self.report_lang.currentData())
        except Exception as err:  # noqa: BLE001 - say why instead of failing silently
            self.report_status.setText(self.tr("The report could not be printed: %1").replace("%1", str(err)))
            return
        self.report_status.setText(self.tr("Sent to the printer."))

    def _report_or_say(self) -> dict[str, Any] | None:
        try:
            return self.report()
        except Exception as err:  # noqa: BLE001 - an old diagnosis the report cannot read: say so
            self.report_status.setText(self.tr("The report could not be made: %1").replace("%1", str(err)))
            return None

    # -- language --------------------------------------------------------------------------------

    def _language_changed(self, *_args) -> None:
        self.retranslate()
        self.search()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Visit history"))
        self.field_label.setText(self.tr("&Search:"))
        labels = {
            "text": self.tr("Any field"),
            "sn": self.tr("Serial number"),
            "tid": self.tr("TID"),
            "mid": self.tr("MID"),
            "merchant": self.tr("Merchant"),
            "work_order": self.tr("Work order"),
        }
        for i in range(self.field.count()):
            self.field.setItemText(i, labels[self.field.itemData(i)])
        self.query.setPlaceholderText(self.tr("serial number, TID, MID, merchant or work order"))
        self.use_since.setText(self.tr("From"))
        self.use_until.setText(self.tr("To"))
        self.search_button.setText(self.tr("Search"))
        self.list.setHeaderLabels(
            [
                self.tr("Date"),
                self.tr("Serial number"),
                self.tr("Kind"),
                self.tr("Outcome"),
                self.tr("TID"),
                self.tr("Merchant"),
                self.tr("Work order"),
                self.tr("Technician"),
            ]
        )
        self.compare_box.setTitle(self.tr("Compared with the last visit"))
        self.checks.setHeaderLabels([self.tr("Result"), self.tr("Check"), self.tr("Observed")])
        self.findings.setHeaderLabels([self.tr("Finding"), self.tr("State"), self.tr("Cause")])
        self.actions.setHeaderLabels([self.tr("Result"), self.tr("Action"), self.tr("Written")])
        for i, text in enumerate(
            (self.tr("Summary"), self.tr("Checklist"), self.tr("Findings"), self.tr("Actions"), self.tr("Report"))
        ):
            self.detail.setTabText(i, text)
        self.report_lang_label.setText(self.tr("Report &language:"))
        self.save_pdf.setText(self.tr("Save as &PDF..."))
        self.print_button.setText(self.tr("&Print..."))
        if self.current is not None:
            self._show_visit(self.current, self._changes)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class HistoryMenu(QObject):
    """File > Visit history (Ctrl+Shift+H) on a main window, and a banner warning when a visit is not recorded.

    A child of the window: its connections (language, session) end with it.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("history")
        self.window = window
        self.dialog: HistoryDialog | None = None
        self.action = QAction(window)
        self.action.setObjectName("act-history")
        self.action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.triggered.connect(lambda _=False: self.show())
        window.addAction(self.action)
        quit_action = getattr(window, "act_quit", None)
        window.menu_file.insertAction(quit_action, self.action)
        window.session.visitRecorded.connect(self._recorded)
        languages().changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_args) -> None:
        self.action.setText(self.tr("Visit &history..."))

    def show(self) -> HistoryDialog:
        if self.dialog is None:
            self.dialog = HistoryDialog(self.window)
        else:
            self.dialog.search()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _recorded(self, visit_id: object, why: str) -> None:
        if visit_id is None and why:
            self.window.banner.show_message(
                "warn", self.tr("This visit is not recorded in the visit history: %1").replace("%1", why)
            )
        elif self.dialog is not None and self.dialog.isVisible():
            self.dialog.search()


def install_history(window) -> HistoryMenu:
    """Add the visit history to ``window`` (kept as ``window.history``)."""
    window.history = HistoryMenu(window)
    return window.history


__all__ = ["HistoryDialog", "HistoryMenu", "install_history"]
