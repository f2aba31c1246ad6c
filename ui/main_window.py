"""The main window: connect, diagnose, fix; a face on techapp (no diagnosis logic here)."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import techapp
from techapp.diagnosis import Text
from techapp.profiles import ProfileError, list_profiles, load_profile

from . import service as svc
from .connect_panel import ConnectPanel
from .diagnosis_views import ChecklistView, FindingsView, PromptPanel, RepairDialog, safe_buttons
from .i18n import LANGUAGES, NATIVE_NAME, lang, languages
from .style import STATUS_COLOR, status_icon
from .terminal_view import TerminalView
from .traffic_log import TrafficLog
from .wording import gui_text
from .workorder_panel import WorkOrderPanel

if TYPE_CHECKING:
    from techapp.diagnosis import Action, Diagnosis, Finding, PersonPrompt, StepProgress
    from techapp.info import TerminalInfo


def said_now(text: Text | str) -> str:
    """A bilingual text in the window's language; a plain string as it is."""
    return text(lang()) if isinstance(text, Text) else text


#: The first window's size when nothing is remembered (shrunk to the screen's available area).
DEFAULT_SIZE = (1320, 820)
#: Below this available area (logical pixels) the window is maximised: every pixel is needed.
USABLE = (760, 540)
#: Room kept for the window manager's frame and title bar before the window is shown (pixels).
FRAME_ALLOWANCE = (16, 40)


def app_settings() -> QSettings:
    """Window state and preferences; under ``TECHAPP_DATA_DIR`` when it is set (tests, portable use)."""
    override = os.environ.get("TECHAPP_DATA_DIR")
    if override:
        return QSettings(str(Path(override) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings("techapp", "techapp")


class Banner(QFrame):
    """A strip across the top: link lost, another terminal on the port, a failed connect."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.setObjectName("bannerAction")
        self.close_button = QPushButton("✕")
        self.close_button.setObjectName("bannerClose")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(28)
        self.close_button.clicked.connect(self.hide)
        self.retranslate()
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.action)
        lay.addWidget(self.close_button)
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, text: str, action: str = "") -> None:
        """kind: "lost" / "error" (red), "warn" (amber), "info" (blue)."""
        self.kind = kind
        color = {"lost": STATUS_COLOR["fail"], "error": STATUS_COLOR["fail"], "warn": STATUS_COLOR["warn"]}.get(
            kind, STATUS_COLOR["running"]
        )
        self.setStyleSheet(
            f"QFrame#banner {{ background: {color}; border-radius: 4px; }} QFrame#banner QLabel {{ color: white; }}"
        )
        self.icon.setPixmap(
            status_icon({"lost": "fail", "error": "fail", "warn": "warn"}.get(kind, "running"), 20).pixmap(20, 20)
        )
        self.text.setText(text)
        self.action.setVisible(bool(action))
        self.action.setText(action)
        self.show()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.close_button.setToolTip(self.tr("Hide this message"))
        self.close_button.setAccessibleName(self.tr("Hide this message"))


class _FirstPaint(QObject):
    """Watches the window's first paint: once the whole first frame is drawn, ``firstPainted`` is emitted
    and the deferred parts are added (:meth:`MainWindow.finish_setup`), each in its own turn of the event
    loop so the frame reaches the screen first. Removes itself after."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._painted)  # after the rest of this frame (the children) is drawn
        return False

    def _painted(self) -> None:
        self.window.firstPainted.emit()
        QTimer.singleShot(0, self.window._finish_when_idle)


class _NextFrame(QObject):
    """Calls ``then`` once the window's next frame is drawn (its repaint after a connect), or after
    ``limit_ms`` when no frame comes. Removes itself after."""

    def __init__(self, window: MainWindow, then, limit_ms: int = 200) -> None:
        super().__init__(window)
        self.window, self.then, self.done = window, then, False
        window.installEventFilter(self)
        self.limit = QTimer(self)  # the window's child through this object: ends with it
        self.limit.setSingleShot(True)
        self.limit.timeout.connect(self._drawn)
        self.limit.start(limit_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() in (QEvent.Type.UpdateRequest, QEvent.Type.Paint):
            self.window.removeEventFilter(self)
            self.limit.start(0)  # after this frame
        return False

    def _drawn(self) -> None:
        if not self.done:
            self.done = True
            self.limit.stop()
            self.window.removeEventFilter(self)
            self.then()
            self.deleteLater()


class MainWindow(QMainWindow):
    # the first frame is drawn (a window made with defer=True; emitted once)
    firstPainted = Signal()
    # the deferred parts are in (a window made with defer=True): menus complete, Logs tab, report
    readyChanged = Signal()

    def __init__(self, service: svc.TerminalService, parent: QWidget | None = None, *, defer: bool = False) -> None:
        """``defer``: the tools, the visit history, the report, the evidence bundle and the repair bench
        (their menus, the Logs tab, and the modules they need) are added just after the window's first
        paint (:meth:`finish_setup`), so the window shows as soon as Qt can draw it; else at once."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.service = service
        self.session = service.session("main")
        self.settings = app_settings()
        self.info: TerminalInfo | None = None
        self.diagnosis: Diagnosis | None = None
        self.link = svc.IDLE
        self.link_detail = ""
        self.busy = False
        self.job = ""  # "connect", "diagnose", "repair"
        self.last_step: StepProgress | None = None
        self._steps_seen: list[str] = []
        self._step_started = 0.0
        self._reconnects = 0  # attempts since the link was lost
        self._reconnecting = False
        self._password_dialog: QInputDialog | None = None
        self.login_refusal: svc.LoginRefusal | None = None  # why the last Connect was refused, if it was
        self._dialog: RepairDialog | None = None
        self._closing = False
        self._force_close = False
        self._close_question: QMessageBox | None = None
        self._banner_state: tuple = ()
        self.ready = False  # the deferred parts are in (finish_setup)
        self._finish_waits = False

        # -- widgets ------------------------------------------------------------------
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.banner.action.clicked.connect(self._banner_action)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("mainSplitter")
        self.split = split
        outer.addWidget(split, 1)

        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 4, 0)
        self.connect_panel = ConnectPanel()
        left_lay.addWidget(self.connect_panel)
        self.diagnose_box = QGroupBox()
        dlay = QVBoxLayout(self.diagnose_box)
        form = QFormLayout()
        self.profile = QComboBox()
        self.profile.setObjectName("profileCombo")
        self.profile_label = QLabel()
        self.profile_label.setBuddy(self.profile)
        form.addRow(self.profile_label, self.profile)
        dlay.addLayout(form)
        self.opt_sign_on = QCheckBox()
        self.opt_sign_on.setObjectName("optSignOn")
        self.opt_sign_on.setChecked(True)
        self.opt_person = QCheckBox()
        self.opt_person.setObjectName("optPerson")
        self.opt_person.setChecked(True)
        self.opt_real_net = QCheckBox()
        self.opt_real_net.setObjectName("optRealNetwork")
        for w in (self.opt_sign_on, self.opt_person, self.opt_real_net):
            dlay.addWidget(w)
        self.diagnose_button = QPushButton()
        self.diagnose_button.setObjectName("diagnoseButton")
        self.diagnose_button.setMinimumHeight(36)
        f = self.diagnose_button.font()
        f.setBold(True)
        self.diagnose_button.setFont(f)
        left_lay.addWidget(self.diagnose_box)
        self.work_order = WorkOrderPanel()
        left_lay.addWidget(self.work_order)
        left_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(330)
        self.left_scroll = scroll
        # Diagnose stays below the scrolled column: on screen at any size, never scrolled away
        left_column = QWidget()
        left_column_lay = QVBoxLayout(left_column)
        left_column_lay.setContentsMargins(0, 0, 4, 0)
        left_column_lay.addWidget(scroll, 1)
        left_column_lay.addWidget(self.diagnose_button)
        split.addWidget(left_column)

        right = QWidget()
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(4, 0, 0, 0)
        # training on the built-in simulated terminal: said over the checklist and every other tab
        self.training_band = QLabel()
        self.training_band.setObjectName("trainingBand")
        self.training_band.setWordWrap(True)
        self.training_band.setStyleSheet(
            "QLabel#trainingBand { background: #6a1b9a; color: white; font-weight: bold; padding: 4px 8px;"
            " border-radius: 4px; }"
        )
        self.training_band.hide()
        right_lay.addWidget(self.training_band)
        self.prompt = PromptPanel()
        right_lay.addWidget(self.prompt)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        diag_split = QSplitter(Qt.Orientation.Horizontal)
        self.checklist = ChecklistView()
        self.findings = FindingsView()
        diag_split.addWidget(self.checklist)
        diag_split.addWidget(self.findings)
        diag_split.setStretchFactor(0, 1)
        diag_split.setStretchFactor(1, 1)
        diag_split.setSizes([540, 460])
        self.diag_split = diag_split
        self.terminal_view = TerminalView()
        self.traffic = TrafficLog()
        self.tabs.addTab(diag_split, "")
        self.tabs.addTab(self.terminal_view, "")
        self.tabs.addTab(self.traffic, "")
        right_lay.addWidget(self.tabs, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([340, 1000])

        bottom = QHBoxLayout()
        self.step_label = QLabel()
        self.step_label.setObjectName("stepLabel")
        # a long step text (the terminal's own words) is cut at the window's edge, never widens the window
        self.step_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(260)
        self.progress.setMinimumWidth(200)
        self.progress.hide()
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelButton")
        self.step_timer = QTimer(self)
        self.step_timer.setObjectName("stepTimer")
        self.step_timer.setInterval(1000)
        self.step_timer.timeout.connect(self._show_step)
        bottom.addWidget(self.step_label, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        outer.addLayout(bottom)
        self.setCentralWidget(central)

        self.link_label = QLabel()
        self.link_label.setObjectName("linkLabel")
        self.link_icon = QLabel()
        self.statusBar().addPermanentWidget(self.link_icon)
        self.statusBar().addPermanentWidget(self.link_label)

        # -- actions and shortcuts ---------------------------------------------------------
        self.act_connect = self._action("connect", QKeySequence("Ctrl+K"), self.connect_panel._clicked)
        self.act_diagnose = self._action("diagnose", QKeySequence("F5"), self.diagnose)
        self.act_apply = self._action("apply", QKeySequence("F6"), self.apply_first_fix)
        self.act_cancel = self._action("cancel", QKeySequence("Esc"), self.cancel)
        self.act_reconnect = self._action("reconnect", QKeySequence("Ctrl+R"), self.reconnect)
        self.act_import = self._action("import", QKeySequence("Ctrl+O"), self.work_order.import_file)
        self.act_quit = self._action("quit", QKeySequence("Ctrl+Q"), self.close)
        self.act_about = self._action("about", QKeySequence(), self.about)
        self.act_tabs = [
            self._action(f"tab{i}", QKeySequence(f"Ctrl+{i + 1}"), lambda i=i: self.show_tab(i)) for i in range(3)
        ]
        self.lang_group = QActionGroup(self)
        self.act_lang = {}
        for code in LANGUAGES:
            a = QAction(NATIVE_NAME[code], self)
            a.setCheckable(True)
            a.setObjectName(f"lang-{code}")
            a.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.lang_group.addAction(a)
            self.act_lang[code] = a
        self.menu_file = self.menuBar().addMenu("")
        self.menu_file.addAction(self.act_import)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_quit)
        # shown before the tools are in (defer): the Edit menu and the Logs tab have their places already
        self.menu_edit = self.menuBar().addMenu("") if defer else None
        self.logs_placeholder = QWidget() if defer else None
        if self.logs_placeholder is not None:
            self.logs_placeholder.setObjectName("logsPlaceholder")
            self.tabs.addTab(self.logs_placeholder, "")
        self.menu_terminal = self.menuBar().addMenu("")
        for a in (self.act_connect, self.act_reconnect, self.act_diagnose, self.act_apply, self.act_cancel):
            self.menu_terminal.addAction(a)
        self.menu_view = self.menuBar().addMenu("")
        for a in self.act_tabs:
            self.menu_view.addAction(a)
        self.menu_lang = self.menuBar().addMenu("")
        for code in LANGUAGES:
            self.menu_lang.addAction(self.act_lang[code])
        self.menu_help = self.menuBar().addMenu("")
        self.menu_help.addAction(self.act_about)

        # -- wiring ----------------------------------------------------------------------
        self.connect_panel.connectRequested.connect(self.connect_terminal)
        self.connect_panel.disconnectRequested.connect(self.disconnect_terminal)
        self.diagnose_button.clicked.connect(self.diagnose)
        self.cancel_button.clicked.connect(self.cancel)
        self.findings.actionRequested.connect(self.repair)
        self.prompt.answered.connect(self.session.answer)
        self.prompt.skipped.connect(self._on_prompt_skipped)
        self.ports = service.port_watcher()
        self.ports.portsChanged.connect(self.connect_panel.set_ports)
        if self.ports.ports is not None:
            self.connect_panel.set_ports(self.ports.ports)
        self.work_order.changed.connect(self._work_order_changed)
        s = self.session
        s.stateChanged.connect(self._on_state)
        s.busyChanged.connect(self._on_busy)
        s.infoRead.connect(self._on_info)
        s.progress.connect(self._on_progress)
        s.diagnosisDone.connect(self._on_diagnosis)
        s.repairDone.connect(self._on_repair)
        s.personPrompt.connect(self._on_prompt)
        s.confirmRequested.connect(self._on_confirm)
        s.notice.connect(self._on_notice)
        s.explained.connect(self._on_explained)
        s.loginRefused.connect(self._on_login_refused)
        s.traceLines.connect(self.traffic.add)
        languages().changed.connect(self._language_changed)

        self._fill_profiles()
        if not defer:
            self.finish_setup()
        self._tab_order()
        self.retranslate()
        self._update_actions()
        self._restore_state()
        self.connect_panel.port.setFocus()
        if defer:
            self._first_paint = _FirstPaint(self)
            # the Logs tab chosen before its view is in: it loads now
            self.tabs.currentChanged.connect(self._tab_before_ready)

    def _tab_before_ready(self, _index: int) -> None:
        if not self.ready and self.logs_placeholder is not None and self.tabs.currentWidget() is self.logs_placeholder:
            QTimer.singleShot(0, self.finish_setup)

    def _finish_when_idle(self) -> None:
        """After the first paint: the deferred parts now, or, when a connect was started meanwhile
        (``techapp --demo``), once it is done (it goes first; the parts load in the same thread)."""
        if self.ready or self._closing:
            return
        connecting = self.job == "connect" and (self.busy or self.link in (svc.IDLE, svc.CONNECTING))
        if not connecting:
            self.finish_setup()
            return
        if not self._finish_waits:
            self._finish_waits = True
            self.session.busyChanged.connect(self._finish_after_connect)
            self._finish_timer = QTimer(self)  # whatever the terminal does, not later than this
            self._finish_timer.setObjectName("finishSetupTimer")
            self._finish_timer.setSingleShot(True)
            self._finish_timer.timeout.connect(self.finish_setup)
            self._finish_timer.start(3000)

    def _finish_after_connect(self, busy: bool) -> None:
        if not busy and not self.ready:  # the connected window is drawn first, then the parts load
            _NextFrame(self, self._finish_when_idle)

    def finish_setup(self) -> None:
        """The parts that need more than Qt to show: the tools, the history, the report, the evidence bundle,
        the repair bench (each module loads here). Called once; by :class:`_FirstPaint` after the first paint."""
        if self.ready:
            return
        from .bench_view import install_bench
        from .evidence_bundle import install_evidence
        from .history_view import install_history
        from .report_dialog import install_report
        from .tools import install_tools

        install_tools(self)  # Logs tab, copy, restore, traffic save, help (ui/tools.py)
        install_history(self)  # File > Visit history, Ctrl+Shift+H (ui/history_view.py)
        install_report(self)  # File > Report... (Ctrl+P) and a Report... button (ui/report_dialog.py)
        install_evidence(self)  # File > Save evidence bundle..., escalation buttons (ui/evidence_bundle.py)
        install_bench(self)  # File > Repair bench... (Ctrl+Shift+B): many terminals at once (ui/bench_view.py)
        self.ready = True
        if getattr(self, "_first_paint", None) is not None:  # deferred: the window was already set up and shown
            self.tabs.currentChanged.disconnect(self._tab_before_ready)
            if self._finish_waits:
                self.session.busyChanged.disconnect(self._finish_after_connect)
                self._finish_timer.stop()
            self._tab_order()
            self.readyChanged.emit()

    def _tab_order(self) -> None:
        """Top to bottom, left to right: connect, diagnose, work order, the tabs, then Cancel."""
        cp, wo = self.connect_panel, self.work_order
        chain = [
            cp.port,
            cp.sim,
            cp.scenario,
            cp.baud,
            cp.password,
            cp.connect_button,
            self.profile,
            self.opt_sign_on,
            self.opt_person,
            self.opt_real_net,
            wo.edit_button,
            wo.import_button,
            *wo.edits.values(),
            wo.clear_button,
            self.diagnose_button,
            self.prompt.start_button,
            self.prompt.skip_button,
            self.tabs,
            self.checklist,
            self.findings,
            self.terminal_view,
            self.traffic.filter,
            self.traffic.direction,
            self.traffic.copy_button,
            self.traffic.clear_button,
            self.traffic.view,
            self.cancel_button,
            self.banner.action,
            self.banner.close_button,
        ]
        chain = [w for w in chain if w.window() is self]  # the work order's form is a window of its own
        for a, b in zip(chain, chain[1:], strict=False):
            self.setTabOrder(a, b)

    def show_tab(self, index: int) -> None:
        """Ctrl+1/2/3: the tab, with the keyboard focus in it."""
        self.tabs.setCurrentIndex(index)
        target = {0: self.checklist, 1: self.terminal_view, 2: self.traffic.view}.get(index)
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _action(self, name: str, key: QKeySequence, slot) -> QAction:
        a = QAction(self)
        a.setObjectName(f"act-{name}")
        if not key.isEmpty():
            a.setShortcut(key)
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(lambda _=False: slot())
        self.addAction(a)
        return a

    # -- settings ---------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        restored = isinstance(geometry, QByteArray) and not geometry.isEmpty() and self.restoreGeometry(geometry)
        if not restored:
            self.resize(*DEFAULT_SIZE)
        self.fit_to_screen(center=not restored)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for key, splitter in (("window/split", self.split), ("window/diagnosis_split", self.diag_split)):
            saved = self.settings.value(key)
            if isinstance(saved, QByteArray):
                splitter.restoreState(saved)
        for key, header in self._headers().items():
            saved = self.settings.value(key)
            if isinstance(saved, QByteArray):
                header.restoreState(saved)
        self.tabs.setCurrentIndex(self.settings.value("window/tab", 0, int))
        self.opt_sign_on.setChecked(self.settings.value("options/sign_on", True, bool))
        self.opt_person.setChecked(self.settings.value("options/person_tests", True, bool))
        self.opt_real_net.setChecked(self.settings.value("options/real_network", False, bool))
        # the port, speed and scenario last used; never the simulator itself: a real terminal is the default
        cp = self.connect_panel
        cp.port.setEditText(self.settings.value("connection/port", "", str))
        baud = cp.baud.findData(self.settings.value("connection/baud", 115200, int))
        if baud >= 0:
            cp.baud.setCurrentIndex(baud)
        scenario = cp.scenario.findData(self.settings.value("connection/scenario", "", str))
        if scenario >= 0:
            cp.scenario.setCurrentIndex(scenario)

    def fit_to_screen(self, *, center: bool = False) -> None:
        """Keep the window (its frame included) inside the screen's available area at any size and scale:
        a default or remembered size larger than the screen (another monitor, a higher scale) shrinks;
        a screen smaller than :data:`USABLE` (or than the window's least size) gets the window maximised."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        least = self.minimumSizeHint()
        too_small = avail.width() < max(USABLE[0], least.width() + FRAME_ALLOWANCE[0]) or avail.height() < max(
            USABLE[1], least.height() + FRAME_ALLOWANCE[1]
        )
        if too_small:  # the window would not fit with its frame: all of the screen, no frame
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
            return
        if self.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            return
        fw, fh = FRAME_ALLOWANCE
        w = max(min(self.width(), avail.width() - fw), 1)
        h = max(min(self.height(), avail.height() - fh), 1)
        self.resize(w, h)
        if center:
            x = avail.left() + (avail.width() - w - fw) // 2
            y = avail.top() + (avail.height() - h - fh) // 2
        else:  # inside the area, as near as possible to where it was
            x = min(max(self.x(), avail.left()), avail.right() + 1 - w - fw)
            y = min(max(self.y(), avail.top()), avail.bottom() + 1 - h - fh)
        self.move(x, y)

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/split", self.split.saveState())
        self.settings.setValue("window/diagnosis_split", self.diag_split.saveState())
        for key, header in self._headers().items():
            self.settings.setValue(key, header.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        cp = self.connect_panel
        port = cp.port.currentText().strip()
        self.settings.setValue("connection/port", "" if port.startswith("sim://") else port)
        self.settings.setValue("connection/baud", int(cp.baud.currentData()))
        self.settings.setValue("connection/scenario", cp.scenario.currentData() or "")
        self.settings.setValue("options/sign_on", self.opt_sign_on.isChecked())
        self.settings.setValue("options/person_tests", self.opt_person.isChecked())
        self.settings.setValue("options/real_network", self.opt_real_net.isChecked())
        self.settings.sync()

    def _headers(self) -> dict:
        """Column widths worth keeping (the password never is: it lives in memory only)."""
        return {
            "window/checklist_header": self.checklist.header(),
            "window/traffic_header": self.traffic.view.horizontalHeader(),
        }

    def _fill_profiles(self) -> None:
        current = self.profile.currentData() if self.profile.count() else ""
        self.profile.blockSignals(True)
        self.profile.clear()
        self.profile.addItem("", "")  # from the work order (text set in retranslate)
        for name, _path in list_profiles():
            self.profile.addItem(name, name)
        self.profile.addItem("", None)  # none
        i = self.profile.findData(current)
        self.profile.setCurrentIndex(max(i, 0))
        self.profile.blockSignals(False)

    def set_profile(self, name: str | None) -> None:
        i = self.profile.findData(name)
        if i >= 0:
            self.profile.setCurrentIndex(i)

    # -- requests ---------------------------------------------------------------------------
    def connect_terminal(self, port: str, baud: int, password: str) -> None:
        if self.busy:
            return
        self.job = "connect"
        self.banner.hide()
        self.info = None
        self.diagnosis = None
        self.terminal_view.show_diagnosis(None)
        self.terminal_view.show_info(None)
        self.checklist.show_diagnosis(None)
        self.findings.show_diagnosis(None)
        self.traffic.set_password(password or None)
        self.session.connect_terminal(port, baud, password or None, self.connect_panel.driver_name())

    def disconnect_terminal(self) -> None:
        self.session.disconnect_terminal()

    def reconnect(self) -> None:
        if self.busy or not self.session.port:
            return
        self.job = "connect"
        self._reconnects += 1
        self._reconnecting = True
        self.session.reconnect()

    def diagnose(self) -> None:
        if self.busy or self.link != svc.CONNECTED:
            return
        order = self.work_order.order
        if self.work_order.error:
            self.banner.show_message(
                "warn", self.tr("The work order is not valid: %1").replace("%1", self.work_order.error)
            )
            return
        profile_name = self.profile.currentData()
        if profile_name == "":
            profile_name = order.acquirer_profile if order and order.acquirer_profile else None
        try:
            profile = load_profile(profile_name) if profile_name else None
        except ProfileError as err:
            self.banner.show_message("warn", str(err))
            return
        self.job = "diagnose"
        self.banner.hide()
        off = {}
        for steps, box in ((("card-reader", "keypad"), self.opt_person), (("sign-on",), self.opt_sign_on)):
            if not box.isChecked():
                off.update(dict.fromkeys(steps, box.text().replace("&", "")))
        self.findings.switched_off = off
        self.checklist.start()
        self.findings.start()
        self.tabs.setCurrentIndex(0)
        self.session.diagnose(
            svc.DiagnoseOptions(
                work_order=order,
                profile=profile,
                sign_on=self.opt_sign_on.isChecked(),
                ask_person=self.opt_person.isChecked(),
                real_network=self.opt_real_net.isChecked(),
            )
        )

    def repair(self, action_id: str) -> None:
        if self.busy or self.link != svc.CONNECTED:
            return
        self.job = "repair"
        self.session.repair(action_id)

    def apply_first_fix(self) -> None:
        """F6: the automatic fix of the most important finding (its confirmation opens first)."""
        action_id = self.findings.first_action()
        if action_id is not None:
            self.repair(action_id)

    def cancel(self) -> None:
        if self._dialog is not None:
            self._dialog.reject()
            return
        if self.busy:
            self.session.cancel()
            self.step_label.setText(self.tr("Cancelling: the step that is running finishes first..."))

    def set_language(self, code: str) -> None:
        languages().set_language(code)
        self.settings.setValue("language", code)

    def about(self) -> None:
        self.finish_setup()
        self.tools.about()

    # -- answers from the worker -------------------------------------------------------------
    def _on_state(self, state: str, detail: str) -> None:
        previous = self.link
        self.link, self.link_detail = state, detail
        connected = state in (svc.CONNECTED, svc.BUSY)
        if state == svc.CONNECTED:
            if self.banner.kind in ("lost", "error"):
                self.banner.hide()
            self.terminal_view.set_stale(False)
            self.checklist.set_stale(False)
            self._reconnects, self._reconnecting = 0, False
            self.login_refusal = None
        elif state == svc.LOST and previous != svc.LOST:
            self._banner_state = ("lost",)
            self._reconnecting = False
            self._show_lost()
        elif state == svc.FAILED and self._reconnecting and detail != "login":
            # still the lost terminal: said so, with the attempt and its time; Reconnect stays offered
            self._reconnecting = False
            self.link = svc.LOST
            self._banner_state = (
                "reconnect-failed",
                self._reconnects,
                datetime.now().strftime("%H:%M:%S"),
                self._take_error(detail),
            )
            self._show_lost()
            state = svc.LOST
        elif state == svc.FAILED and detail != "login":  # a refused login speaks for itself (_on_login_refused)
            said = said_now(self._take_error(detail))
            self.banner.show_message("error", self.tr("Could not connect: %1").replace("%1", said))
        self.connect_panel.set_connected(connected or state == svc.LOST, self.busy)
        self._update_actions()

    def _show_lost(self) -> None:
        self.terminal_view.set_stale(True)
        self.checklist.set_stale(True)
        sn = self.session.serial_number or "?"
        text = self.tr(
            "The link to the terminal (SN %1) was lost: check the cable. The values shown are the last ones read."
        ).replace("%1", sn)
        if self._banner_state and self._banner_state[0] == "reconnect-failed":
            _, count, when, detail = self._banner_state
            text = (
                self.tr("Reconnect failed (attempt %1 at %2): %3. Check the cable and try again.")
                .replace("%1", str(count))
                .replace("%2", when)
                .replace("%3", said_now(detail) or self.tr("the terminal did not answer"))
            )
        else:
            self._banner_state = ("lost",)
        self.banner.show_message("lost", text, self.tr("Reconnect (same terminal)"))

    def _on_login_refused(self, refusal: svc.LoginRefusal) -> None:
        """The terminal answered but refused the login: not connected; its words, then ask again."""
        self._reconnecting = False
        if refusal.kind == "locked-out":
            text = (
                self.tr("Maintenance mode is locked after too many wrong passwords: try again in %1 s.").replace(
                    "%1", str(refusal.seconds_left)
                )
                if refusal.seconds_left is not None
                else self.tr("Maintenance mode is locked after too many wrong passwords: try again later.")
            )
        elif refusal.kind == "wrong-password":
            left = refusal.attempts_left
            text = (
                self.tr("The terminal refused the maintenance password.")
                if left is None
                else self.tr("The terminal refused the maintenance password: 1 try left before it locks.")
                if left == 1
                else self.tr("The terminal refused the maintenance password: %1 tries left before it locks.").replace(
                    "%1", str(left)
                )
            )
        else:
            text = self.tr("The terminal answers, but reading and diagnosing it needs the maintenance password.")
        self.login_refusal = refusal
        self.banner.show_message("error", self.tr("Not connected. %1").replace("%1", text))
        self._ask_password(text)

    def _ask_password(self, why: str) -> None:
        if self._password_dialog is not None:
            self._password_dialog.setLabelText(why + "\n\n" + self.tr("Maintenance password:"))
            return
        dlg = QInputDialog(self)
        dlg.setObjectName("passwordDialog")
        dlg.setWindowTitle(self.tr("Maintenance password"))
        dlg.setLabelText(why + "\n\n" + self.tr("Maintenance password:"))
        dlg.setTextEchoMode(QLineEdit.EchoMode.Password)
        dlg.setOkButtonText(self.tr("Connect"))
        self._password_dialog = dlg

        def done(result: int) -> None:
            self._password_dialog = None
            dlg.deleteLater()
            if result == QInputDialog.DialogCode.Accepted and dlg.textValue() and not self._closing:
                self.connect_panel.password.setText(dlg.textValue())
                self.connect_panel._clicked()

        dlg.finished.connect(done)
        dlg.open()

    def _banner_action(self) -> None:
        if self.banner.kind == "lost":
            self.reconnect()

    def _on_busy(self, busy: bool) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.step_label.setText(
                {
                    "connect": self.tr("Connecting and reading the terminal..."),
                    "repair": self.tr("Repairing: backup, write, read back, then the affected checks run again..."),
                }.get(self.job, self.tr("Working..."))
            )
        else:
            self.step_timer.stop()
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if self.link == svc.CONNECTED else 0)
            self.prompt.close_prompt()
            self.last_step = None
            self._finished_text()
        self.connect_panel.set_connected(self.link in (svc.CONNECTED, svc.BUSY, svc.LOST), busy)
        self._update_actions()

    def _finished_text(self) -> None:
        d = self.diagnosis
        if self.job in ("diagnose", "repair") and d is not None:
            n = len(d.findings)
            last = d.actions_taken[-1] if self.job == "repair" and d.actions_taken else None
            if last is not None and last.result == "declined":
                text = self.tr("Not confirmed: nothing was written to the terminal.")
            elif d.cancelled:
                text = self.tr("Diagnosis cancelled.")
            elif last is not None and last.result != "done":
                text = self.tr("The repair did not complete: its card in the findings says why.")
            elif last is not None and last.action == "print-test-page":
                text = self.tr("Test page sent to the printer: check it is complete and legible.")
            elif last is not None:
                text = (
                    self.tr("Repair done and checked again: 1 finding left.")
                    if n == 1
                    else self.tr("Repair done and checked again: %1 findings left.").replace("%1", str(n))
                    if n
                    else self.tr("Repair done and checked again: no findings left.")
                )
            elif d.could_not_run is not None and self.link == svc.LOST:
                text = self.tr("Diagnosis incomplete: the link to the terminal was lost.")
            elif d.could_not_run is not None:
                text = self.tr("Diagnosis incomplete: %1").replace("%1", gui_text(d.could_not_run))
            elif n:
                text = (
                    self.tr("Diagnosis finished: 1 finding.")
                    if n == 1
                    else self.tr("Diagnosis finished: %1 findings.").replace("%1", str(n))
                )
            elif d.outcome == "incomplete":
                text = self.findings.verdict_text(d)
            else:
                text = self.tr("Diagnosis finished: no findings.")
            self.step_label.setText(text)
            self.step_label.setToolTip(gui_text(d.could_not_run))
        elif self.link == svc.CONNECTED:
            self.step_label.setText(self.tr("Ready: press Diagnose (F5)."))
        else:
            self.step_label.setText("")

    def _on_info(self, info: TerminalInfo) -> None:
        old = self.info
        same = (
            old is not None
            and info.identity is not None
            and old.identity is not None
            and info.identity.serial_number == old.identity.serial_number
        )
        if same:
            # a read cut short keeps the last values of what it could not read again
            for name in ("parameters", "keys", "hardware", "counters", "response_codes", "error_log"):
                if getattr(info, name) is None:
                    setattr(info, name, getattr(old, name))
        self.info = info
        self.terminal_view.show_info(info)

    def _on_progress(self, p: StepProgress) -> None:
        if self.last_step is not None and self.last_step.step != p.step and self.prompt.isVisible():
            self.prompt.close_prompt()
        if p.index == 1 or self.last_step is None:
            self._steps_seen = []
        if p.step not in self._steps_seen:
            self._steps_seen.append(p.step)
            self._step_started = time.monotonic()
        # numbered by the steps that run: switched-off steps (person tests, sign-on) are not counted
        off = set()
        if self.job == "diagnose":
            if not self.opt_person.isChecked():
                off |= {"card-reader", "keypad"}
            if not self.opt_sign_on.isChecked():
                off |= {"sign-on", "keys-after"}
        index, total = len(self._steps_seen), max(p.total - len(off), len(self._steps_seen))
        shown = dataclasses.replace(p, index=index, total=total)
        self.last_step = shown
        self.progress.setRange(0, total)
        self.progress.setValue(index - 1)
        self._show_step()
        if not self.step_timer.isActive():
            self.step_timer.start()
        self.checklist.step(shown)

    def _show_step(self) -> None:
        """ "3/12  Terminal's comm test: waiting for 10.20.30.40:5000, 23 s of 60 s" (time against the time-out)."""
        p = self.last_step
        if p is None or not self.busy:
            self.step_timer.stop()
            return
        step = self.tr("%1/%2  %3").replace("%1", str(p.index)).replace("%2", str(p.total))
        step = step.replace("%3", p.title(lang()))
        # the detail is the terminal's own progress text, in its firmware's language: quoted as its words
        said = self.tr("%1 (the terminal says: “%2”)")
        text = said.replace("%1", step).replace("%2", p.detail) if p.detail else step
        elapsed = int(time.monotonic() - self._step_started)
        if p.timeout_s and elapsed >= 2:
            text = (
                self.tr("%1, %2 s of %3 s")
                .replace("%1", text)
                .replace("%2", str(elapsed))
                .replace("%3", str(int(p.timeout_s)))
            )
        self.step_label.setText(text)

    def _on_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.session.flush_trace()
        self.traffic.add_host_messages(d)
        self.checklist.show_diagnosis(d)
        self.findings.show_diagnosis(d)
        self.terminal_view.show_diagnosis(d)
        self._update_actions()

    def _on_repair(self, d: Diagnosis) -> None:
        self.diagnosis = d
        self.session.flush_trace()
        self.checklist.show_diagnosis(d)
        self.findings.show_diagnosis(d, after_repair=True)
        self.terminal_view.show_diagnosis(d)
        self._update_actions()

    def _on_prompt(self, prompt: PersonPrompt) -> None:
        self.prompt.ask(prompt)

    def _on_prompt_skipped(self, _prompt_id: str) -> None:
        self.step_label.setText(self.tr("Test skipped: the terminal stops waiting, the diagnosis goes on..."))

    def _on_confirm(self, action: Action, finding: Finding, facts: dict | None = None) -> None:
        dlg = RepairDialog(action, finding, self, facts)
        self._dialog = dlg

        def done(result: int) -> None:
            self._dialog = None
            self.session.answer(result == RepairDialog.DialogCode.Accepted)
            dlg.deleteLater()

        dlg.finished.connect(done)
        dlg.open()

    def _on_notice(self, kind: str, text: str) -> None:
        if kind == "baud":
            asked, found = text.split("\t")
            i = self.connect_panel.baud.findData(int(found))
            if i >= 0:  # the box shows the speed in use, as the banner says
                self.connect_panel.baud.setCurrentIndex(i)
            self.banner.show_message(
                "warn",
                self.tr("Nothing answered at %1 baud; the terminal answered at %2 baud (now used).")
                .replace("%1", asked)
                .replace("%2", found),
            )
        elif kind == "other-terminal":
            expected, found = text.split("\t")
            self.banner.show_message(
                "error",
                self.tr(
                    "Another terminal (SN %2) is on this port; this session belongs to SN %1. "
                    "Not connected: use Connect to start a session with the other terminal."
                )
                .replace("%1", expected)
                .replace("%2", found),
            )
        elif kind == "idle-logout":  # issue 14: the maintenance login is not left open on an unattended laptop
            minutes = max(1, round(int(text) / 60))
            self.banner.show_message(
                "warn",
                self.tr(
                    "Disconnected after %1 min without use: the terminal's maintenance login was closed. "
                    "Connect again to continue."
                ).replace("%1", str(minutes)),
            )
        else:  # the error in plain words (explained just before), else the driver's own
            said = said_now(self._take_error(text))
            self.banner.show_message("warn", self.tr("The terminal or the laptop reported: %1").replace("%1", said))

    def _on_explained(self, _where: str, text: Text) -> None:
        """The plain words for the error the next state or notice reports (techapp.errors.explain)."""
        self._error_text = text

    def _take_error(self, detail: str) -> Text | str:
        """The explained error for ``detail`` (once), else ``detail`` as the driver said it."""
        text, self._error_text = getattr(self, "_error_text", None), None
        return text if text is not None else detail

    def _work_order_changed(self, order) -> None:
        self._profile_from_order_text()

    def _profile_from_order_text(self) -> None:
        """The acquirer profile is chosen in one place: its first entry names the work order's profile."""
        order = self.work_order.order
        name = order.acquirer_profile if order is not None and order.acquirer_profile else ""
        self.profile.setItemText(
            0, self.tr("From the work order: %1").replace("%1", name) if name else self.tr("(from the work order)")
        )

    def _language_changed(self, _code: str) -> None:
        for code, a in self.act_lang.items():
            a.setChecked(code == lang())

    # -- state of the controls ------------------------------------------------------------------
    @property
    def is_training(self) -> bool:
        """The session is (or was last) on the built-in simulated terminal: a training session, never a
        real terminal on site. Reports and exports should say so."""
        return self.link != svc.IDLE and bool(self.session.port) and self.session.is_training

    def _show_training(self) -> None:
        training = self.is_training
        self.training_band.setVisible(training)
        self.training_band.setText(
            self.tr("Training: a simulated terminal, not a real one. Results are not from a terminal on site.")
        )
        title = self.tr("techapp - POS terminal diagnosis")
        self.setWindowTitle(self.tr("%1 [Training: simulated terminal]").replace("%1", title) if training else title)

    def _update_actions(self) -> None:
        connected = self.link == svc.CONNECTED
        self.act_diagnose.setEnabled(connected and not self.busy)
        self.findings.set_actions_enabled(connected and not self.busy)  # a repair needs the link
        self.act_apply.setEnabled(connected and not self.busy and self.findings.first_action() is not None)
        self.diagnose_button.setEnabled(connected and not self.busy)
        self.act_cancel.setEnabled(self.busy)
        self.cancel_button.setEnabled(self.busy)
        self.act_reconnect.setEnabled(self.link == svc.LOST and not self.busy)
        self.banner.action.setEnabled(not self.busy)
        self.act_connect.setEnabled(not self.busy)
        self._show_link()
        self._show_training()

    def _show_link(self) -> None:
        i = self.info.identity if self.info else None
        who = (
            self.tr("%1 %2 SN %3").replace("%1", i.vendor).replace("%2", i.model).replace("%3", i.serial_number)
            if i
            else ""
        )
        port = self.session.port
        texts = {
            svc.IDLE: (self.tr("Not connected"), "skipped"),
            svc.CONNECTING: (self.tr("Connecting to %1...").replace("%1", port), "running"),
            svc.CONNECTED: (self.tr("Connected: %1 on %2").replace("%1", who).replace("%2", port), "pass"),
            svc.BUSY: (self.tr("Connected: %1 on %2").replace("%1", who).replace("%2", port), "running"),
            svc.LOST: (self.tr("Link lost: %1 on %2").replace("%1", who or "?").replace("%2", port), "fail"),
            svc.FAILED: (self.tr("Not connected (last attempt failed)"), "fail"),
        }
        if self.link == svc.FAILED and self.link_detail == "login":
            texts[svc.FAILED] = (self.tr("Not connected: the terminal refused the maintenance login"), "fail")
        text, icon = texts.get(self.link, texts[svc.IDLE])
        self.link_label.setText(text)
        self.link_icon.setPixmap(status_icon(icon, 14).pixmap(14, 14))

    # -- language ---------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self._show_training()
        self.diagnose_box.setTitle(self.tr("Diagnosis"))
        self.profile_label.setText(self.tr("&Acquirer profile:"))
        self._profile_from_order_text()
        self.profile.setItemText(self.profile.count() - 1, self.tr("(none)"))
        self.opt_sign_on.setText(self.tr("Sign-on (签到) by the terminal"))
        self.opt_sign_on.setToolTip(
            self.tr("The terminal signs on to its host and takes new working keys; proves the host accepts it")
        )
        self.opt_person.setText(self.tr("Tests with a person (card swipe, keypad)"))
        self.opt_real_net.setText(self.tr("Laptop checks use the real network (on site)"))
        self.diagnose_button.setText(self.tr("&Diagnose (F5)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        self.tabs.setTabText(0, self.tr("Checklist and findings"))
        self.tabs.setTabText(1, self.tr("Terminal"))
        self.tabs.setTabText(2, self.tr("Traffic log"))
        self.menu_file.setTitle(self.tr("&File"))
        if not self.ready:  # the tools' own words (ui/tools.py), until they are in
            if self.menu_edit is not None:
                self.menu_edit.setTitle(QCoreApplication.translate("Tools", "&Edit"))
            if self.logs_placeholder is not None:
                self.tabs.setTabText(
                    self.tabs.indexOf(self.logs_placeholder), QCoreApplication.translate("Tools", "Logs")
                )
        self.menu_terminal.setTitle(self.tr("&Terminal"))
        self.menu_view.setTitle(self.tr("&View"))
        self.menu_lang.setTitle(self.tr("&Language"))
        self.menu_help.setTitle(self.tr("&Help"))
        self.act_connect.setText(self.tr("&Connect / disconnect"))
        self.act_diagnose.setText(self.tr("&Diagnose"))
        self.act_apply.setText(self.tr("Apply the &first fix..."))
        self.act_cancel.setText(self.tr("C&ancel"))
        self.act_reconnect.setText(self.tr("&Reconnect to the same terminal"))
        self.act_import.setText(self.tr("&Import work order..."))
        self.act_quit.setText(self.tr("&Quit"))
        self.act_about.setText(self.tr("&About techapp"))
        self.act_tabs[0].setText(self.tr("Checklist and findings"))
        self.act_tabs[1].setText(self.tr("Terminal"))
        self.act_tabs[2].setText(self.tr("Traffic log"))
        for code, a in self.act_lang.items():
            a.setChecked(code == lang())
        if self.banner.isVisible() and self.banner.kind == "lost":
            self._show_lost()
        self._show_link()
        if not self.busy:
            self._finished_text()

    # -- closing ----------------------------------------------------------------------------
    def close_now(self) -> None:
        """Close without asking, even in the middle of a repair (Ctrl-C, SIGTERM)."""
        self._force_close = True
        self.close()

    def _ask_before_closing(self) -> None:
        """A repair is writing: closing would cut it part-way. Ask (non-modal; Wait is the default)."""
        if self._close_question is not None:
            self._close_question.raise_()
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("A repair is running"),
            self.tr(
                "A repair is writing to the terminal. Closing now stops it part-way: the new values may be "
                "left unchecked on the terminal (the backup file is kept). Wait for it to finish?"
            ),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("closeQuestion")
        wait = box.addButton(self.tr("&Wait"), QMessageBox.ButtonRole.RejectRole)
        close = box.addButton(self.tr("&Close anyway"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(wait)
        safe_buttons(wait, close)
        self._close_question = box

        def done(_result: int) -> None:
            self._close_question = None
            box.deleteLater()
            if box.clickedButton() is close:
                self.close_now()

        box.finished.connect(done)
        box.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        writing = self.busy and self.job == "repair" and self._dialog is None  # confirmed: it writes now
        if writing and not self._force_close:
            event.ignore()
            self._ask_before_closing()
            return
        if self._close_question is not None:
            self._close_question.reject()
        self._closing = True
        self._save_state()
        if self._dialog is not None:
            self._dialog.reject()
        if self._password_dialog is not None:
            self._password_dialog.reject()
        self.step_timer.stop()
        if self._finish_waits:
            self._finish_timer.stop()
        self.prompt.close_prompt()
        # the service is the application's; the last window closing ends every session cleanly
        self.service.shutdown()
        super().closeEvent(event)


__all__ = ["MainWindow", "app_settings", "techapp"]
