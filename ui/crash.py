"""The crash dialog: an uncaught exception in any thread shows what happened and where the log is.

``install()`` sets ``sys.excepthook`` and ``threading.excepthook``. The
report (version details and traceback) is written to
``<user data dir>/crash/crash-YYYYmmdd-HHMMSS-ffffff.log`` (platformdirs;
``TECHAPP_DATA_DIR`` overrides the folder, as for backups). An exception in a
worker thread is handed to the GUI thread through a queued signal; the dialog
is never shown from another thread.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, QThread, Signal, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import techapp


def version_details() -> str:
    import platform  # here: not before the window's first paint

    return "\n".join(
        [
            f"techapp {techapp.__version__}",
            f"Python {sys.version.split()[0]} ({platform.python_implementation()})",
            f"PySide6 {pyside_version}, Qt {qVersion()}",
            f"{platform.system()} {platform.release()} ({platform.machine()})",
            f"Qt platform: {QGuiApplication.platformName() if QGuiApplication.instance() else '-'}",
        ]
    )


def crash_dir() -> Path:
    from techapp.backups import data_dir  # here: the backups' drivers load after the window's first paint

    return data_dir() / "crash"


def write_crash_log(text: str) -> Path | None:
    """Write a crash report; its path, or None when even that failed."""
    try:
        from drivers.safeio import private_dir

        folder = private_dir(crash_dir())  # 0700, the log 0600: a crash report may quote what the terminal held
        path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S-%f}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        return path
    except OSError:
        return None


def format_report(exc_type, exc: BaseException | None, tb: TracebackType | None, thread: str) -> str:
    lines = "".join(traceback.format_exception(exc_type, exc, tb))
    return f"{version_details()}\nThread: {thread}\nTime: {datetime.now().isoformat(timespec='seconds')}\n\n{lines}"


class CrashDialog(QDialog):
    def __init__(self, report: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(self.tr("techapp stopped working"))
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        head = QLabel(
            self.tr(
                "Something went wrong inside techapp. The terminal was not changed by this error. "
                "Please send the crash log below to your support contact."
            )
        )
        head.setWordWrap(True)
        layout.addWidget(head)
        where = (
            self.tr("Crash log: %1").replace("%1", str(log_path))
            if log_path
            else self.tr("The crash log could not be written.")
        )
        self.where = QLabel(where)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setWordWrap(True)
        layout.addWidget(self.where)
        self.details = QPlainTextEdit(report)
        self.details.setReadOnly(True)
        self.details.setObjectName("crashDetails")
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(self.tr("Copy details"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class _Relay(QObject):
    crashed = Signal(str, str)  # report, log path

    def show(self, report: str, path: str) -> None:
        parent = QApplication.activeWindow()
        dlg = CrashDialog(report, Path(path) if path else None, parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        shown.append(dlg)
        dlg.finished.connect(lambda _=0, d=dlg: shown.remove(d) if d in shown else None)
        if os.environ.get("TECHAPP_CRASH_NO_MODAL") == "1":
            dlg.show()
        else:
            dlg.open()


#: Crash dialogs on screen (tests look here).
shown: list[CrashDialog] = []
_relay: _Relay | None = None
_previous: tuple = ()


def report(exc_type, exc, tb, thread: str = "") -> Path | None:
    """Log the exception and show the dialog (from any thread); the crash log's path."""
    text = format_report(exc_type, exc, tb, thread or threading.current_thread().name)
    path = write_crash_log(text)
    sys.stderr.write(text)
    if _relay is not None:
        _relay.crashed.emit(text, str(path) if path else "")
    return path


def _sys_hook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    report(exc_type, exc, tb, "main")


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    report(args.exc_type, args.exc_value, args.exc_traceback, args.thread.name if args.thread else "?")


def install() -> None:
    """Install both hooks (idempotent); call once the QApplication exists."""
    global _relay, _previous
    if _relay is not None:
        return
    _previous = (sys.excepthook, threading.excepthook)
    _relay = _Relay()
    _relay.moveToThread(QApplication.instance().thread())
    _relay.crashed.connect(_relay.show, Qt.ConnectionType.QueuedConnection)
    sys.excepthook = _sys_hook
    threading.excepthook = _thread_hook


def uninstall() -> None:
    global _relay
    if _relay is None:
        return
    sys.excepthook, threading.excepthook = _previous
    for dlg in list(shown):
        dlg.close()
    _relay.deleteLater()
    _relay = None


def in_gui_thread() -> bool:
    app = QApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()
