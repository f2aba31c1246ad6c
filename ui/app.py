"""Start the desktop app: QApplication, language, crash dialog, the terminal service, the window."""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import techapp
from drivers.resources import resource_root

from . import crash
from .i18n import languages
from .main_window import MainWindow, app_settings
from .service import TerminalService

DEMO_PROFILE = "demo"  # as `techapp diagnose --demo`
# as techapp.cli's DEMO_SCENARIO and DEMO_WORK_ORDER (tests/gui/test_gui_app.py checks they agree); named here
# so that --demo does not load the command line's modules just after the window's first paint
DEMO_SCENARIO = "demo-97"
DEMO_WORK_ORDER = "demo-97.toml"


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
    from techapp.credentials import DEMO_PASSWORD
    from techapp.workorder import WorkOrderError

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


def create_window(service: TerminalService | None = None, *, defer: bool = False) -> tuple[MainWindow, TerminalService]:
    """The main window and its service; ``defer``: the window's tools, history, report, evidence and bench
    are added just after its first paint (:meth:`MainWindow.finish_setup`), as ``techapp`` starts it."""
    app = QApplication.instance()
    service = service or TerminalService(app)
    langs = languages()
    langs.set_language(langs.initial(app_settings()))
    return MainWindow(service, defer=defer), service


def _exit_when_ready(window: MainWindow, demo: bool, *, close: bool = True) -> None:
    """Print the window's state once it is ready (connected for --demo, shown otherwise), then quit
    (``close``) or keep running (a test then drives it and stops it with a signal), printing each state
    change (``state: busy diagnose``) and finished diagnosis (``diagnosis: 1 findings, cancelled=True``)."""
    from . import service as svc

    said = []

    def report() -> None:
        if said:
            return
        said.append(True)
        print(f"ready: {window.link} {window.session.port} {window.windowTitle()}", flush=True)
        window.finish_setup()  # all of the window before anything else happens (a no-op when it is in)
        if close:
            window.close()
            return
        # "hold": a test drives the window from outside (tests/gui/test_xcb.py); say what happens next
        window.session.stateChanged.connect(lambda state, detail: print(f"state: {state} {detail}", flush=True))
        window.session.diagnosisDone.connect(
            lambda d: print(f"diagnosis: {len(d.findings)} findings, cancelled={d.cancelled}", flush=True)
        )

    if not demo:
        QTimer.singleShot(200, report)
        return

    def on_state(state: str, _detail: str) -> None:
        if state in (svc.CONNECTED, svc.FAILED) and not window.busy:
            QTimer.singleShot(0, report)
        elif state == svc.CONNECTED:
            window.session.busyChanged.connect(lambda busy: None if busy else QTimer.singleShot(0, report))

    window.session.stateChanged.connect(on_state)


def _close_on_signals(window: MainWindow) -> tuple[QTimer, dict]:
    """Ctrl-C or SIGTERM closes the window as its close button does (the workers stop, ports close).

    Python runs signal handlers only between bytecodes; a light timer lets it look while Qt waits.
    """
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: QTimer.singleShot(0, window.close_now))
    wake = QTimer()
    wake.setObjectName("signalWake")
    wake.timeout.connect(lambda: None)
    wake.start(200)
    return wake, previous


def run_gui(demo: bool = False) -> int:
    app = make_app()
    crash.install()
    # the window paints first; its tools, history, report, evidence and bench load right after (issue 15)
    window, service = create_window(defer=True)
    when_ready = os.environ.get("TECHAPP_EXIT_WHEN_READY")  # smoke tests of the real entry point
    if os.environ.get("TECHAPP_PRINT_STARTUP") == "1":  # bench/ratios.py: the first frame is drawn
        window.firstPainted.connect(lambda: print(f"painted: {window.windowTitle()}", flush=True))
    if demo:  # after the first frame: the demo's scenario, work order and profile need more than Qt;
        # its connect goes before the window's deferred parts (MainWindow._finish_when_idle)
        window.firstPainted.connect(lambda: setup_demo(window))
    window.show()
    wake, previous = _close_on_signals(window)
    if when_ready in ("1", "hold"):
        _exit_when_ready(window, demo, close=when_ready == "1")
    try:
        code = app.exec()
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service.shutdown()
        crash.uninstall()
    return code
