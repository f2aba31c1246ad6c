"""GUI tests: pytest-qt on the offscreen platform, driven through the widgets.

Every test here is marked ``gui`` and runs with ``TECHAPP_DATA_DIR`` in its
own temporary folder (backups, crash logs and settings land there). The
autouse ``_no_qt_leaks`` fixture fails a test that leaves a QThread running,
a QTimer active, a terminal port open or a terminal session unclosed.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import pytest  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtCore import QThread, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from drivers.base import TerminalDriver  # noqa: E402
from drivers.sim.server import forget_terminals  # noqa: E402

TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.gui)


def _live(cls: type) -> list:
    out = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, cls) and shiboken6.isValid(obj):
                out.append(obj)
        except ReferenceError:
            continue
    return out


def leaks() -> list[str]:
    """What a finished test left behind: running QThreads, active QTimers, open terminal ports."""
    app = QApplication.instance()
    if app is not None:
        for _ in range(3):
            app.processEvents()
    gc.collect()
    found = []
    for t in _live(QThread):
        if t.isRunning() and t is not (app.thread() if app else None):
            found.append(f"QThread {t.objectName() or t!r} still running")
    for timer in _live(QTimer):
        if timer.isActive():
            found.append(
                f"QTimer {timer.objectName() or timer!r} (parent {type(timer.parent()).__name__}) still active"
            )
    for obj in gc.get_objects():
        try:
            if isinstance(obj, TerminalDriver) and obj.is_open:
                found.append(f"terminal port {getattr(obj, 'port_name', obj)!r} left open")
        except ReferenceError:
            continue
    return found


@pytest.fixture(autouse=True)
def _fresh_world_and_no_leaks() -> Iterator[None]:
    """tests/conftest.py's thread check, minus the ``_DummyThread`` entries Python makes for QThreads.

    A QThread that ran Python code is registered by ``threading`` as a dummy
    thread that never leaves ``threading.enumerate()`` and cannot be joined;
    whether the QThread itself still runs is checked by ``_no_qt_leaks``.
    """
    forget_terminals()
    before = set(threading.enumerate())
    yield
    forget_terminals()
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)  # type: ignore[attr-defined]
    ]
    for t in leaked:
        t.join(timeout=5)
    leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def _no_qt_leaks(qapp) -> Iterator[None]:
    yield
    left = leaks()
    assert not left, "the test leaked:\n  " + "\n  ".join(left)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_CRASH_NO_MODAL", "1")


@pytest.fixture
def make_window(qtbot, pty_sim) -> Iterator[Callable[..., object]]:
    """``make_window(lang="en", defer=False)``: a real main window on its own TerminalService; closed after
    the test. ``defer``: as ``techapp`` makes it (its tools and the rest added after its first paint).

    It uses ``pty_sim`` so that the windows close before the test's simulated terminals stop: a session
    logs out as it closes, and when its link was lost it does so on a new connection to the port; on a
    stopped terminal's freed /dev/pts/N that would reach whichever pty (another test's, on another
    xdist worker) has the number next."""
    from ui.app import create_window, make_app
    from ui.i18n import languages

    made = []

    def make(lang: str = "en", defer: bool = False):
        make_app()
        window, service = create_window(defer=defer)
        languages().set_language(lang)
        with qtbot.waitExposed(window):
            window.show()
        with qtbot.waitActive(window):
            window.activateWindow()
        made.append((window, service))
        return window

    yield make
    from PySide6.QtCore import QCoreApplication, QEvent

    for window, service in made:
        if window.isVisible():
            window.close()
        assert service.shutdown(), "a worker thread did not stop"
        service.deleteLater()
        # Delete the window now: a closed but living window whose menus Qt has already torn down
        # would get the next test's LanguageChange (retranslate on deleted menus, once a segfault).
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    languages().set_language("en")


def wait_connected(qtbot, window, timeout: int = TIMEOUT_MS) -> None:
    from ui import service as svc

    qtbot.waitUntil(lambda: window.link == svc.CONNECTED and not window.busy, timeout=timeout)


def wait_idle(qtbot, window, timeout: int = TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: not window.busy, timeout=timeout)


def run_job(qtbot, window, start: Callable[[], object], timeout: int = TIMEOUT_MS) -> None:
    """``start()`` (a click) starts a job in the window's worker: wait until it has started, then ended.

    Not ``waitUntil(lambda: window.busy)``: a short job (a refused login on ``sim://``) can start and
    end between two looks, its busyChanged(True) and (False) handled in one pass of the event loop,
    which under load happens (the wait then times out although the job ran).
    """
    seen: list[bool] = []
    slot = seen.append
    window.session.busyChanged.connect(slot)
    try:
        start()
        qtbot.waitUntil(lambda: True in seen, timeout=timeout)
    finally:
        window.session.busyChanged.disconnect(slot)
    wait_idle(qtbot, window, timeout)
