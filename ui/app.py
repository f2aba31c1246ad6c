"""Start the desktop app: QApplication, language, crash dialog, the terminal service, the window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import techapp
from drivers.resources import resource_root
from techapp.cli import DEMO_SCENARIO, DEMO_WORK_ORDER
from techapp.credentials import DEMO_PASSWORD
from techapp.workorder import WorkOrderError

from . import crash
from .i18n import languages
from .main_window import MainWindow, app_settings
from .service import TerminalService

DEMO_PROFILE = "demo"  # as `techapp diagnose --demo`


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName("techapp")
    QCoreApplication.setApplicationName("techapp")
    QCoreApplication.setApplicationVersion(techapp.__version__)
    if os.environ.get("TECHAPP_STYLE"):
        app.setStyle(os.environ["TECHAPP_STYLE"])
    return app


def setup_demo(window: MainWindow, *, connect: bool = True) -> None:
    """Built-in simulated 97 terminal, its work order and the demo profile; connected, ready for Diagnose."""
    panel = window.connect_panel
    panel.use_simulator(DEMO_SCENARIO)
    panel.password.setText(DEMO_PASSWORD)
    try:
        window.work_order.load(str(resource_root() / "work-orders" / DEMO_WORK_ORDER))
    except WorkOrderError:
        pass
    window.set_profile(DEMO_PROFILE)
    if connect:
        panel.connect_button.click()


def create_window(service: TerminalService | None = None) -> tuple[MainWindow, TerminalService]:
    app = QApplication.instance()
    service = service or TerminalService(app)
    langs = languages()
    langs.set_language(langs.initial(app_settings()))
    return MainWindow(service), service


def _exit_when_ready(window: MainWindow, demo: bool) -> None:
    """Print the window's state and quit once it is ready (connected for --demo, shown otherwise)."""
    from . import service as svc

    def report() -> None:
        print(f"ready: {window.link} {window.session.port} {window.windowTitle()}", flush=True)
        window.close()

    if not demo:
        QTimer.singleShot(200, report)
        return

    def on_state(state: str, _detail: str) -> None:
        if state in (svc.CONNECTED, svc.FAILED) and not window.busy:
            QTimer.singleShot(0, report)
        elif state == svc.CONNECTED:
            window.session.busyChanged.connect(lambda busy: None if busy else QTimer.singleShot(0, report))

    window.session.stateChanged.connect(on_state)


def run_gui(demo: bool = False) -> int:
    app = make_app()
    crash.install()
    window, service = create_window()
    window.show()
    if demo:
        QTimer.singleShot(0, lambda: setup_demo(window))
    if os.environ.get("TECHAPP_EXIT_WHEN_READY") == "1":  # smoke tests of the real entry point
        _exit_when_ready(window, demo)
    code = app.exec()
    service.shutdown()
    crash.uninstall()
    return code
