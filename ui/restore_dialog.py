"""Restore a parameter backup from the window: the same safety path as ``techapp restore``.

The backups listed are those of the connected terminal's serial number
(:func:`techapp.backups.list_backups`), newest first, with what a restore would
change against the values last read. Restoring one:

1. reads the terminal's parameters now (in the session's worker thread);
2. asks, showing the exact change (parameter, now, after); Cancel has the focus
   and takes Enter, the write button is never a default;
3. :func:`techapp.backups.restore_backup`: refuses another terminal's backup,
   saves the current values in a new backup first, writes all-or-nothing and
   reads the values back (STAN and batch are never wound back);
4. shows what was written and read back, and the Terminal tab shows the new values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from drivers.models import Identity, Parameters
from techapp.backups import BackupFile, list_backups, restore_backup, restore_changes

from .diagnosis_views import safe_buttons
from .terminal_view import parameter_label

#: Job names on the session (``TerminalSession.run_job``).
READ_JOB, RESTORE_JOB = "restore-read", "restore"


def shown(value: Any) -> str:
    """A parameter value as the window shows it."""
    from PySide6.QtCore import QCoreApplication

    if isinstance(value, bool):
        return (
            QCoreApplication.translate("RestoreDialog", "yes")
            if value
            else QCoreApplication.translate("RestoreDialog", "no")
        )
    if value == "" or value is None:
        return QCoreApplication.translate("RestoreDialog", "(blank)")
    return str(value)


def read_parameters_job(driver, password: str | None) -> Parameters:
    """Worker thread: log in and read the parameters now (the confirmation shows the change from these)."""
    driver.login(password or "")
    return driver.parameters()


def restore_job(path: Path, identity: Identity):
    """Worker thread: the restore of ``techapp restore``, then the parameters read back for the window."""

    def job(driver, password: str | None) -> tuple[dict[str, tuple[Any, Any]], Path | None, Parameters]:
        driver.login(password or "")
        changes, before = restore_backup(driver, path, identity=identity)
        return changes, before, driver.parameters()

    job.backup_path = str(path)  # type: ignore[attr-defined] - the visit history records what was restored
    return job


def _reason(backup: BackupFile) -> str:
    from PySide6.QtCore import QCoreApplication

    if backup.reason.startswith("before restoring"):
        return QCoreApplication.translate("RestoreDialog", "Saved before a restore")
    if backup.reason.startswith("before "):
        return QCoreApplication.translate("RestoreDialog", "Saved before a repair")
    return QCoreApplication.translate("RestoreDialog", "Saved")


def change_text(changes: dict[str, tuple[Any, Any]]) -> str:
    """'Terminal ID (TID): 12345678 → 12345687; ...' in the current language."""
    return "; ".join(f"{parameter_label(k)}: {shown(a)} → {shown(b)}" for k, (a, b) in changes.items())


class ConfirmRestore(QDialog):
    """The exact change a restore writes; Cancel is focused and takes Enter."""

    def __init__(self, serial: str, backup: BackupFile, changes: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmRestore")
        self.setWindowTitle(self.tr("Confirm restore"))
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        head = QLabel(
            self.tr("Write these values from the backup of %1 to the terminal SN %2?")
            .replace("%1", backup.saved_at.strftime("%Y-%m-%d %H:%M:%S"))
            .replace("%2", serial)
        )
        head.setWordWrap(True)
        f = head.font()
        f.setBold(True)
        head.setFont(f)
        lay.addWidget(head)
        self.table = QTableWidget(len(changes), 3)
        self.table.setObjectName("restoreChanges")
        self.table.setHorizontalHeaderLabels([self.tr("Parameter"), self.tr("Now"), self.tr("After the restore")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, (name, (now, after)) in enumerate(changes.items()):
            for col, text in enumerate((parameter_label(name), shown(now), shown(after))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.table.setItem(row, col, item)
        self.table.setMaximumHeight(40 + 30 * max(1, len(changes)))
        self.table.resizeColumnsToContents()
        # every value whole: the dialog as wide as the table needs (up to the screen)
        needed = sum(self.table.columnWidth(c) for c in range(3)) + 60
        screen = self.screen().availableGeometry().width() if self.screen() is not None else 1366
        self.setMinimumWidth(min(max(560, needed), screen - 40))
        lay.addWidget(self.table)
        note = QLabel(
            self.tr(
                "First the terminal's current values are saved in a new backup; then the values are written "
                "all together and read back. STAN and batch number are not changed."
            )
        )
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setObjectName("restoreCancel")
        self.write = QPushButton(self.tr("&Write to the terminal"))
        self.write.setObjectName("restoreWrite")
        buttons.addWidget(self.write)
        buttons.addWidget(self.cancel)
        lay.addLayout(buttons)
        self.cancel.clicked.connect(self.reject)
        self.write.clicked.connect(self.accept)
        safe_buttons(self.cancel, self.write)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.cancel.setFocus(Qt.FocusReason.OtherFocusReason)

    def diff_rows(self) -> list[tuple[str, str, str]]:
        return [
            (
                self.table.item(r, 0).data(Qt.ItemDataRole.UserRole),
                self.table.item(r, 1).text(),
                self.table.item(r, 2).text(),
            )
            for r in range(self.table.rowCount())
        ]


class RestoreDialog(QDialog):
    """The backups of the connected terminal; Restore goes through :class:`ConfirmRestore`.

    Signals:
        restored: (changes, backup of the values before, parameters read back) after a restore.
    """

    restored = Signal(object, object, object)

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("restoreDialog")
        self.window_ = window
        self.session = window.session
        self.backups: list[BackupFile] = []
        self.confirm: ConfirmRestore | None = None
        self._chosen: BackupFile | None = None
        self.setMinimumSize(720, 380)
        lay = QVBoxLayout(self)
        self.head = QLabel()
        self.head.setObjectName("restoreHead")
        self.head.setWordWrap(True)
        lay.addWidget(self.head)
        self.list = QTreeWidget()
        self.list.setObjectName("backupList")
        self.list.setColumnCount(3)
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(True)
        self.list.setUniformRowHeights(False)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setStretchLastSection(True)
        lay.addWidget(self.list, 1)
        self.status = QLabel()
        self.status.setObjectName("restoreStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.restore_button = QPushButton()
        self.restore_button.setObjectName("restoreButton")
        self.close_button = QPushButton()
        self.close_button.setObjectName("restoreClose")
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.close_button)
        lay.addLayout(buttons)
        safe_buttons(self.close_button, self.restore_button)
        self.restore_button.clicked.connect(self.start_restore)
        self.close_button.clicked.connect(self.reject)
        self.list.itemSelectionChanged.connect(self._update)
        self.session.jobDone.connect(self._job_done)
        self.session.jobFailed.connect(self._job_failed)
        self.session.explained.connect(self._explained)
        self.session.busyChanged.connect(self._update)  # after the window's own: it knows it is busy
        self.session.stateChanged.connect(self._update)
        self._error_text = None
        self.retranslate()
        self.reload()

    # -- list ------------------------------------------------------------------------------
    @property
    def identity(self) -> Identity | None:
        info = self.window_.info
        return info.identity if info is not None else None

    def reload(self) -> None:
        identity = self.identity
        self.backups = list_backups(identity.serial_number) if identity is not None else []
        current = self.window_.info.parameters if self.window_.info is not None else None
        self.list.clear()
        for b in self.backups:
            if current is None:
                what = self.tr("(read the terminal to compare)")
            else:
                changes = restore_changes(current, b.parameters)
                what = change_text(changes) if changes else self.tr("Nothing: the values last read are these")
            item = QTreeWidgetItem([b.saved_at.strftime("%Y-%m-%d %H:%M:%S"), _reason(b), what])
            item.setToolTip(2, what)
            item.setData(0, Qt.ItemDataRole.UserRole, str(b.path))
            self.list.addTopLevelItem(item)
        if self.backups:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        elif identity is not None:
            self.status.setText(
                self.tr("No backups of this terminal yet: techapp saves one before every repair and every restore.")
            )
        self._update()

    def chosen(self) -> BackupFile | None:
        item = self.list.currentItem()
        if item is None:
            return None
        path = item.data(0, Qt.ItemDataRole.UserRole)
        return next((b for b in self.backups if str(b.path) == path), None)

    def _can_restore(self) -> bool:
        from . import service as svc

        return self.window_.link == svc.CONNECTED and not self.window_.busy and self.chosen() is not None

    def _update(self, *_args) -> None:
        self.restore_button.setEnabled(self._can_restore() and self.confirm is None)

    # -- restore ---------------------------------------------------------------------------
    def start_restore(self) -> None:
        """Read the terminal's values now, then ask with the exact change."""
        backup = self.chosen()
        if backup is None or not self._can_restore():
            return
        self._chosen = backup
        self.status.setText(self.tr("Reading the terminal's parameters..."))
        self.window_.job = READ_JOB
        self.restore_button.setEnabled(False)
        self.session.run_job(READ_JOB, read_parameters_job)

    def _explained(self, where: str, text) -> None:
        if where in (READ_JOB, RESTORE_JOB):
            self._error_text = text

    def _job_failed(self, name: str, message: str) -> None:
        if name not in (READ_JOB, RESTORE_JOB):
            return
        from .i18n import lang

        text, self._error_text = self._error_text, None
        said = text(lang()) if text is not None else message
        if name == READ_JOB:
            self.status.setText(self.tr("Nothing was written: %1").replace("%1", said))
        else:
            self.status.setText(self.tr("The restore did not complete: %1").replace("%1", said))
        self.status.setProperty("state", "error")
        self._update()

    def _job_done(self, name: str, result) -> None:
        if name == READ_JOB and self._chosen is not None:
            self._ask(self._chosen, result)
        elif name == RESTORE_JOB:
            changes, before, params = result
            if changes:
                text = self.tr("Restored and read back: %1.").replace("%1", change_text(changes))
                if before is not None:
                    text += " " + self.tr("The values before are saved in the backup %1.").replace("%1", before.name)
            else:
                text = self.tr("Nothing written: the terminal already holds the values of this backup.")
            self.status.setText(text)
            self.status.setProperty("state", "done")
            self.restored.emit(changes, before, params)
            self.reload()
        self._update()

    def _ask(self, backup: BackupFile, current: Parameters) -> None:
        identity = self.identity
        if identity is None:
            return
        changes = restore_changes(current, backup.parameters)
        if not changes:
            self.status.setText(self.tr("Nothing written: the terminal already holds the values of this backup."))
            self._update()
            return
        self.status.setText("")
        dlg = ConfirmRestore(identity.serial_number, backup, changes, self)
        self.confirm = dlg

        def done(result: int) -> None:
            self.confirm = None
            dlg.deleteLater()
            if result == QDialog.DialogCode.Accepted and self.identity is not None:
                self.status.setText(self.tr("Restoring: backup, write, read back..."))
                self.window_.job = RESTORE_JOB
                self.session.run_job(RESTORE_JOB, restore_job(backup.path, self.identity))
            else:
                self.status.setText(self.tr("Not confirmed: nothing was written to the terminal."))
            self._update()

        dlg.finished.connect(done)
        dlg.open()

    # -- language --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Restore a backup"))
        identity = self.identity
        if identity is None:
            self.head.setText(self.tr("Connect to a terminal to list its backups."))
        else:
            self.head.setText(
                self.tr(
                    "Parameter backups of the terminal SN %1 (saved before every repair and restore), newest first."
                ).replace("%1", identity.serial_number)
            )
        self.list.setHeaderLabels([self.tr("Saved"), self.tr("Why"), self.tr("A restore would change")])
        self.restore_button.setText(self.tr("&Restore..."))
        self.close_button.setText(self.tr("Close"))
        if self.backups or identity is not None:
            self.reload()

    def done(self, result: int) -> None:
        for sig, slot in (
            (self.session.jobDone, self._job_done),
            (self.session.jobFailed, self._job_failed),
            (self.session.explained, self._explained),
            (self.session.busyChanged, self._update),
            (self.session.stateChanged, self._update),
        ):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        super().done(result)


__all__ = ["ConfirmRestore", "RestoreDialog", "change_text", "read_parameters_job", "restore_job"]
