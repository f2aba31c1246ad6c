"""The repair bench in the window (issue 12; docs/bench.md): many terminals, one service session each.

A row per terminal: it appears when the port watcher sees a port recognised as a terminal (USB VID:PID)
and is marked "port gone" when the port disappears; typed ports (a pty, socket://, sim://) can be added.
Each row runs on its own ``TerminalSession`` (ui/service.py: its own worker thread), so a hung or
pulled terminal never stalls another, and the window's event loop only receives signals.

File > Repair bench... (Ctrl+Shift+B) opens it (``window.bench.show()`` returns the ``BenchWindow``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from drivers.ports import TERMINAL
from drivers.transport import DEFAULT_BAUDRATE
from techapp.bench import OUTCOME_TEXTS, STATES, BenchRow, load_work_orders, match_work_order, summary_lines
from techapp.diagnosis.model import T, Text
from techapp.workorder import WorkOrder, WorkOrderError

from . import service as svc
from .i18n import lang, languages
from .style import STATUS_COLOR, status_icon

COLUMNS = ("port", "model", "serial_number", "tid", "state", "outcome", "elapsed")
# outcome -> (status icon and colour of ui/style.py); the text always says it too (never colour alone)
OUTCOME_STATUS = {"healthy": "pass", "faults": "fail", "incomplete": "warn", "could-not-run": "error"}
REFRESH_MS = 100
STATE_STATUS = {"connecting": "running", "logged-in": "running", "diagnosing": "running", "gone": "lost"}


@dataclass
class Entry:
    """One terminal on the bench (GUI thread only)."""

    port: str
    session: Any = None
    present: bool = True
    watched: bool = False  # the row came from the port watcher (VID:PID): it is marked when the port goes
    state: str = "waiting"
    step: int = 0
    total: int = 0
    step_title: Text | None = None
    model: str = ""
    serial_number: str = ""
    tid: str = ""
    outcome: str = ""
    top: Text | None = None
    error: Text | None = None
    started: float | None = None
    finished: float | None = None
    diagnosis: Any = None
    password: str | None = None  # None: the bench's password
    work_order: WorkOrder | None = None  # None: matched by serial number from the bench's list
    profile: str = ""
    queued: bool = False  # diagnose as soon as the connection is made
    password_now: str | None = None  # the password of the run being started (dropped once handed over)
    in_job: bool = False  # the worker said BUSY: its diagnosis is running
    running: bool = False
    prompts: list = field(default_factory=list)
    shown: tuple | None = None  # what the table shows of it (only changes are drawn)

    def row(self) -> BenchRow:
        r = BenchRow(self.port, model=self.model, serial_number=self.serial_number, tid=self.tid)
        r.state, r.step, r.total, r.step_title = self.state, self.step, self.total, self.step_title
        r.outcome, r.top, r.diagnosis = self.outcome, self.top, self.diagnosis
        r.started, r.finished = self.started, self.finished
        return r


class _OneSession:
    """The service as a terminal's full view (MainWindow) sees it: its session is the bench row's,
    and closing that view does not shut the bench (or the application's service) down."""

    def __init__(self, service: svc.TerminalService, session: svc.TerminalSession) -> None:
        self._service = service
        self._session = session

    def session(self, name: str = "main") -> svc.TerminalSession:
        return self._session

    def shutdown(self) -> bool:
        return True

    def busy(self) -> bool:
        return self._session.busy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


class BenchView(QWidget):
    """The bench table, its options, the prompt queue and the bench's buttons."""

    def __init__(self, service: svc.TerminalService, parent: QWidget | None = None, *, watch_ports: bool = True):
        super().__init__(parent)
        self.setObjectName("benchView")
        self.service = service
        self.entries: dict[str, Entry] = {}
        self.work_orders: list[WorkOrder] = []
        self.full_views: dict[str, QMainWindow] = {}
        self._profiles: dict[str, Any] = {}
        self._closed = False

        top = QHBoxLayout()
        self.password_label = QLabel()
        self.password = QLineEdit()
        self.password.setObjectName("benchPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_label.setBuddy(self.password)
        self.opt_sign_on = QCheckBox()
        self.opt_sign_on.setObjectName("benchSignOn")
        self.opt_sign_on.setChecked(True)
        self.opt_person = QCheckBox()
        self.opt_person.setObjectName("benchPerson")
        self.opt_person.setChecked(True)
        self.orders_button = QPushButton()
        self.orders_button.setObjectName("benchWorkOrders")
        self.orders_button.clicked.connect(self._choose_work_orders)
        self.orders_label = QLabel()
        self.orders_label.setObjectName("benchWorkOrdersLabel")
        for w in (self.password_label, self.password, self.opt_sign_on, self.opt_person, self.orders_button):
            top.addWidget(w)
        top.addWidget(self.orders_label, 1)

        buttons = QHBoxLayout()
        self.add_button = QPushButton()
        self.add_button.setObjectName("benchAddPort")
        self.add_button.clicked.connect(self._ask_port)
        self.all_button = QPushButton()
        self.all_button.setObjectName("benchDiagnoseAll")
        self.all_button.clicked.connect(lambda: self.diagnose_all())
        self.selected_button = QPushButton()
        self.selected_button.setObjectName("benchDiagnoseSelected")
        self.selected_button.clicked.connect(lambda: self.diagnose(self.selected_ports()))
        self.stop_button = QPushButton()
        self.stop_button.setObjectName("benchStop")
        self.stop_button.clicked.connect(self.stop_all)
        self.report_button = QPushButton()
        self.report_button.setObjectName("benchReport")
        self.report_button.clicked.connect(self._report_selected)
        self.summary_button = QPushButton()
        self.summary_button.setObjectName("benchSummary")
        self.summary_button.clicked.connect(self._save_summary)
        self.filter = QLineEdit()
        self.filter.setObjectName("benchFilter")
        self.filter.setClearButtonEnabled(True)
        for w in (self.add_button, self.all_button, self.selected_button, self.stop_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        for w in (self.report_button, self.summary_button, self.filter):
            buttons.addWidget(w)

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("benchTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self.open_full_view(self._port_at(index)))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)

        self.prompt_box = QGroupBox()
        self.prompt_box.setObjectName("benchPromptBox")
        play = QVBoxLayout(self.prompt_box)
        self.prompts = QListWidget()
        self.prompts.setObjectName("benchPrompts")
        play.addWidget(self.prompts)
        pbuttons = QHBoxLayout()
        self.ready_button = QPushButton()
        self.ready_button.setObjectName("benchPromptReady")
        self.ready_button.clicked.connect(lambda: self.answer_prompt(True))
        self.skip_button = QPushButton()
        self.skip_button.setObjectName("benchPromptSkip")
        self.skip_button.clicked.connect(lambda: self.answer_prompt(False))
        pbuttons.addWidget(self.ready_button)
        pbuttons.addWidget(self.skip_button)
        pbuttons.addStretch(1)
        play.addLayout(pbuttons)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.prompt_box)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(split, 1)

        self._dirty: set[str] = set()
        self._starting: list[Entry] = []
        self._start_timer = QTimer(self)
        self._start_timer.setObjectName("benchStart")
        self._start_timer.setInterval(0)
        self._start_timer.timeout.connect(self._start_next)
        self._refresh = QTimer(self)
        self._refresh.setObjectName("benchRefresh")
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)
        self.timer = QTimer(self)
        self.timer.setObjectName("benchTimer")
        self.timer.setInterval(500)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.watcher = None
        if watch_ports:
            self.watcher = service.port_watcher()
            self.watcher.portsChanged.connect(self.ports_changed)
            if self.watcher.ports is not None:
                self.ports_changed(self.watcher.ports)
        languages().changed.connect(self.retranslate)
        self.retranslate()

    # -- texts
    def retranslate(self, *_args) -> None:
        self.password_label.setText(self.tr("Bench &password:"))
        self.password.setPlaceholderText(self.tr("one password for every terminal"))
        self.opt_sign_on.setText(self.tr("&Sign-on"))
        self.opt_person.setText(self.tr("Person &tests (card, keys)"))
        self.orders_button.setText(self.tr("&Work orders (CSV)..."))
        self.add_button.setText(self.tr("Add &port..."))
        self.all_button.setText(self.tr("Diagnose &all"))
        self.selected_button.setText(self.tr("Diagnose &selected"))
        self.stop_button.setText(self.tr("S&top all"))
        self.report_button.setText(self.tr("&Report..."))
        self.summary_button.setText(self.tr("Bench su&mmary..."))
        self.filter.setPlaceholderText(self.tr("Filter (port, SN, TID, outcome...)"))
        self.prompt_box.setTitle(self.tr("Waiting for a person at a terminal"))
        self.ready_button.setText(self.tr("Rea&dy"))
        self.skip_button.setText(self.tr("S&kip"))
        headers = [
            self.tr("Port"),
            self.tr("Model"),
            self.tr("Serial number"),
            self.tr("TID"),
            self.tr("State"),
            self.tr("Outcome"),
            self.tr("Elapsed"),
        ]
        self.model.setHorizontalHeaderLabels(headers)
        self._orders_text()
        for entry in self.entries.values():
            self._show(entry)
        self._show_prompts()

    def _orders_text(self) -> None:
        if self.work_orders:
            self.orders_label.setText(
                self.tr("%1 work orders, matched by serial number").replace("%1", str(len(self.work_orders)))
            )
        else:
            self.orders_label.setText(self.tr("no work order list"))

    # -- rows
    def ports_changed(self, ports: list) -> None:
        """The port watcher's list: recognised terminals get a row; a row whose port went is marked."""
        devices = {p.device for p in ports}
        for p in ports:
            if p.kind == TERMINAL:
                self.add_port(p.device).watched = True
        for entry in self.entries.values():
            if not entry.watched:  # typed by the technician: not in the watcher's list
                continue
            present = entry.port in devices
            if present != entry.present:
                entry.present = present
                if not present and not entry.running:
                    entry.state = "gone"
                elif present and entry.state == "gone":
                    entry.state = "waiting"
                self._show(entry)

    def add_port(self, port: str) -> Entry:
        port = port.strip()
        if port in self.entries:
            return self.entries[port]
        entry = Entry(port)
        self.entries[port] = entry
        self.model.appendRow([QStandardItem() for _ in COLUMNS])
        self.model.item(self.model.rowCount() - 1, 0).setData(port, Qt.ItemDataRole.UserRole + 1)
        self._show(entry)
        return entry

    def _source_row(self, port: str) -> int:
        for r in range(self.model.rowCount()):
            if self.model.item(r, 0).data(Qt.ItemDataRole.UserRole + 1) == port:
                return r
        return -1

    def _port_at(self, index) -> str:
        src = self.proxy.mapToSource(index)
        return self.model.item(src.row(), 0).data(Qt.ItemDataRole.UserRole + 1)

    def selected_ports(self) -> list[str]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.item(r, 0).data(Qt.ItemDataRole.UserRole + 1) for r in sorted(rows)]

    def state_text(self, entry: Entry) -> str:
        if entry.state == "diagnosing" and entry.total:
            title = entry.step_title(lang()) if entry.step_title else ""
            return (
                self.tr("diagnosing step %1 of %2: %3")
                .replace("%1", str(entry.step))
                .replace("%2", str(entry.total))
                .replace("%3", title)
            )
        return STATES.get(entry.state, T(entry.state, entry.state))(lang())

    def outcome_text(self, entry: Entry) -> str:
        if not entry.outcome:
            return ""
        words = OUTCOME_TEXTS[entry.outcome](lang())
        return f"{words}: {entry.top(lang())}" if entry.top is not None else words

    def _show(self, entry: Entry) -> None:
        """Coalesced: the rows that changed are redrawn together at most every REFRESH_MS (with 8 workers
        busy, every call into Qt waits for the GIL: fewer calls, shorter event-loop stalls)."""
        self._dirty.add(entry.port)
        if not self._refresh.isActive():
            self._refresh.start()

    def refresh(self) -> None:
        """Redraw the changed rows now (tests and the end of a row call it directly)."""
        self._refresh.stop()
        dirty, self._dirty = self._dirty, set()
        for port in dirty:
            entry = self.entries.get(port)
            if entry is not None:
                self._draw(entry)

    def _draw(self, entry: Entry) -> None:
        r = self._source_row(entry.port)
        if r < 0:
            return
        elapsed = 0.0 if entry.started is None else (entry.finished or time.monotonic()) - entry.started
        values = (
            entry.port,
            entry.model,
            entry.serial_number,
            entry.tid,
            self.state_text(entry),
            self.outcome_text(entry),
            f"{elapsed:.0f} s" if entry.started is not None else "",
        )
        sort_keys = (entry.port, entry.model, entry.serial_number, entry.tid, entry.state, entry.outcome, int(elapsed))
        state_status = STATE_STATUS.get(entry.state, "skipped")
        outcome_status = OUTCOME_STATUS.get(entry.outcome, "skipped" if entry.running else "")
        shown = entry.shown or ((None,) * len(COLUMNS), (None,) * len(COLUMNS), None, None)
        for c, (text, key) in enumerate(zip(values, sort_keys, strict=True)):
            if shown[0][c] != text or shown[1][c] != key:  # only what changed: each Qt call costs the GIL
                item = self.model.item(r, c)
                item.setText(text)
                item.setData(key, Qt.ItemDataRole.UserRole)
        if shown[2] != state_status:
            self.model.item(r, 4).setIcon(status_icon(state_status))
        if shown[3] != outcome_status or shown[0][5] != values[5]:
            outcome_item = self.model.item(r, 5)
            if outcome_status:
                outcome_item.setIcon(status_icon(outcome_status))
            else:
                outcome_item.setIcon(QStandardItem().icon())
            if entry.outcome:
                color = QColor(STATUS_COLOR[outcome_status])
                color.setAlpha(55)
                outcome_item.setBackground(QBrush(color))
            else:
                outcome_item.setBackground(QBrush())
            outcome_item.setToolTip(values[5])
        entry.shown = (values, sort_keys, state_status, outcome_status)

    # -- options per row
    def set_password(self, port: str, password: str | None) -> None:
        """This terminal's own password (None: the bench's)."""
        self.entries[port].password = password or None

    def set_work_order(self, port: str, order: WorkOrder | None) -> None:
        self.entries[port].work_order = order

    def set_profile(self, port: str, profile: str) -> None:
        self.entries[port].profile = profile

    def load_work_orders(self, path: str) -> None:
        self.work_orders = load_work_orders(path)
        self._orders_text()

    def _choose_work_orders(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Work order list"), "", self.tr("Work orders (*.csv *.toml *.json)")
        )
        if not path:
            return
        try:
            self.load_work_orders(path)
        except WorkOrderError as err:
            QMessageBox.warning(self, self.tr("Work order list"), str(err))

    def _ask_port(self) -> None:
        port, ok = QInputDialog.getText(self, self.tr("Add a port"), self.tr("Port (device path, socket://, sim://):"))
        if ok and port.strip():
            self.add_port(port)

    def _row_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        port = self._port_at(index)
        menu = QMenu(self)
        menu.addAction(self.tr("Diagnose"), lambda: self.diagnose([port]))
        menu.addAction(self.tr("Open the full view"), lambda: self.open_full_view(port))
        menu.addAction(self.tr("Password for this terminal..."), lambda: self._ask_password(port))
        menu.addAction(self.tr("Acquirer profile..."), lambda: self._ask_profile(port))
        menu.addAction(self.tr("Work order..."), lambda: self._ask_work_order(port))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _ask_password(self, port: str) -> None:
        text, ok = QInputDialog.getText(
            self,
            self.tr("Password"),
            self.tr("Maintenance password of %1:").replace("%1", port),
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.set_password(port, text)

    def _ask_profile(self, port: str) -> None:
        from techapp.profiles import list_profiles

        names = [""] + [name for name, _path in list_profiles()]
        name, ok = QInputDialog.getItem(self, self.tr("Acquirer profile"), port, names, 0, False)
        if ok:
            self.set_profile(port, name)

    def _ask_work_order(self, port: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Work order"), "", self.tr("Work orders (*.toml *.json *.csv)")
        )
        if not path:
            return
        try:
            orders = load_work_orders(path)
        except WorkOrderError as err:
            QMessageBox.warning(self, self.tr("Work order"), str(err))
            return
        self.set_work_order(port, orders[0] if len(orders) == 1 else None)
        if len(orders) > 1:
            self.work_orders = orders
            self._orders_text()

    # -- running
    def _session(self, entry: Entry) -> svc.TerminalSession:
        if entry.session is None:
            s = self.service.session(f"bench:{entry.port}")
            s.stateChanged.connect(lambda state, detail, e=entry: self._on_state(e, state, detail))
            s.infoRead.connect(lambda info, e=entry: self._on_info(e, info))
            s.progress.connect(lambda p, e=entry: self._on_progress(e, p))
            s.diagnosisDone.connect(lambda d, e=entry: self._on_diagnosis(e, d))
            s.repairDone.connect(lambda d, e=entry: self._on_diagnosis(e, d))
            s.personPrompt.connect(lambda p, e=entry: self._on_prompt(e, p))
            s.explained.connect(lambda where, text, e=entry: setattr(e, "error", text))
            s.loginRefused.connect(lambda refusal, e=entry: self._on_refused(e, refusal))
            entry.session = s
        return entry.session

    def diagnose_all(self) -> None:
        self.diagnose([e.port for e in self.entries.values() if e.present])

    def diagnose(self, ports: list[str]) -> None:
        for port in ports:
            entry = self.entries.get(port)
            if entry is None or entry.running:
                continue
            entry.running, entry.queued, entry.in_job = True, True, False
            entry.outcome, entry.top, entry.error, entry.diagnosis = "", None, None, None
            entry.started, entry.finished = time.monotonic(), None
            entry.state, entry.step, entry.total = "connecting", 0, 0
            entry.password_now = entry.password if entry.password is not None else (self.password.text() or None)
            self._starting.append(entry)
            self._show(entry)
        if self._starting and not self._start_timer.isActive():
            self._start_timer.start()

    def _start_next(self) -> None:
        """One session (its worker thread) started per event-loop turn: "Diagnose all" never freezes the window."""
        while self._starting:
            entry = self._starting.pop(0)
            if not entry.running or not entry.queued:  # stopped before it started
                continue
            password, entry.password_now = entry.password_now, None
            self._session(entry).connect_terminal(entry.port, DEFAULT_BAUDRATE, password)
            break
        if not self._starting:
            self._start_timer.stop()

    def stop_all(self) -> None:
        for entry in self.entries.values():
            if entry in self._starting:  # not started yet: it never will
                self._starting.remove(entry)
                entry.password_now = None
                self._done(entry, "could-not-run", T("stopped before it started", "开始前已停止"))
            elif entry.running and entry.session is not None:
                entry.queued = False
                entry.session.cancel()

    def _profile(self, name: str) -> Any:
        if not name:
            return None
        if name not in self._profiles:
            from techapp.profiles import load_profile

            self._profiles[name] = load_profile(name)
        return self._profiles[name]

    def _options(self, entry: Entry) -> svc.DiagnoseOptions:
        order = entry.work_order or match_work_order(self.work_orders, entry.serial_number)
        try:
            profile = self._profile(entry.profile or (order.acquirer_profile if order else ""))
        except Exception:  # noqa: BLE001 - a broken profile: the row still runs, without it
            profile = None
        return svc.DiagnoseOptions(
            work_order=order,
            profile=profile,
            sign_on=self.opt_sign_on.isChecked(),
            ask_person=self.opt_person.isChecked(),
            real_network=False,
            laptop_checks=False,  # the bench preset: no site network
        )

    def _on_state(self, entry: Entry, state: str, detail: str) -> None:
        # the worker says BUSY while it diagnoses; its result (diagnosisDone) comes before the state after it
        if state == svc.CONNECTING:
            entry.state = "connecting"
        elif state == svc.BUSY:
            entry.in_job = True
        elif state == svc.CONNECTED and entry.queued:
            entry.queued = False
            entry.state = "logged-in"
            entry.session.diagnose(self._options(entry))
        elif state == svc.FAILED and entry.running:
            said = T("the maintenance login was refused", "维护登录被拒绝") if detail == "login" else None
            self._done(entry, "could-not-run", said or entry.error or T(detail, detail))
        elif state in (svc.CONNECTED, svc.LOST) and entry.running:
            # the diagnosis ended without a result (an error the worker explained), or the link went
            lost = T("the link to the terminal was lost", "与终端的连接已断开")
            self._done(entry, "could-not-run", entry.error or lost)
        self._show(entry)

    def _on_refused(self, entry: Entry, refusal: Any) -> None:
        if refusal.kind == "wrong-password":
            left = refusal.attempts_left
            entry.top = T("wrong maintenance password", "维护密码错误") + (
                T(f" ({left} attempts left)", f"（还可尝试{left}次）") if left is not None else T("", "")
            )
        elif refusal.kind == "locked-out":
            entry.top = T("the terminal locked the maintenance login", "终端已锁定维护登录")
        elif refusal.kind == "no-password":
            entry.top = T("no maintenance password given", "未输入维护密码")
        self._show(entry)

    def _on_info(self, entry: Entry, info: Any) -> None:
        if info.identity is not None:
            entry.model, entry.serial_number = info.identity.model, info.identity.serial_number
        if info.parameters is not None:
            entry.tid = info.parameters.tid
        self._show(entry)

    def _on_progress(self, entry: Entry, p: Any) -> None:
        entry.state = "diagnosing"
        entry.step, entry.total, entry.step_title = p.index, p.total, p.title
        if p.step not in ("card-reader", "keypad"):
            self._drop_prompts(entry)
        self._show(entry)

    def _on_diagnosis(self, entry: Entry, d: Any) -> None:
        entry.diagnosis = d
        terminal = d.terminal or {}
        entry.model = terminal.get("model") or entry.model
        entry.serial_number = terminal.get("serial_number") or entry.serial_number
        entry.tid = terminal.get("tid") or entry.tid
        if d.exit_code == 2:
            self._done(entry, "could-not-run", d.could_not_run or T("cancelled", "已取消"))
            return
        top = d.top
        if top is not None:
            text = top.title
        elif d.untested:
            text = T("not tested: ", "未测试：") + d.untested[0].title
        else:
            text = None
        self._done(entry, d.outcome, text)

    def _done(self, entry: Entry, outcome: str, top: Text | None) -> None:
        entry.outcome, entry.top = outcome, top
        entry.running, entry.queued = False, False
        entry.finished = time.monotonic()
        entry.state = "done" if entry.present else "gone"
        self._drop_prompts(entry)
        self._show(entry)
        self.refresh()

    # -- person prompts from several terminals, one queue
    def _on_prompt(self, entry: Entry, prompt: Any) -> None:
        entry.prompts.append(prompt)
        self._show_prompts()

    def _drop_prompts(self, entry: Entry) -> None:
        if entry.prompts:
            entry.prompts.clear()
            self._show_prompts()

    def queued_prompts(self) -> list[tuple[Entry, Any]]:
        return [(e, p) for e in self.entries.values() for p in e.prompts]

    def _show_prompts(self) -> None:
        current = self.prompts.currentRow()
        self.prompts.clear()
        for entry, prompt in self.queued_prompts():
            who = self.tr("SN %1 on %2").replace("%1", entry.serial_number or "?").replace("%2", entry.port)
            item = QListWidgetItem(f"{who}: {prompt.text(lang())} ({prompt.timeout_s} s)")
            item.setData(Qt.ItemDataRole.UserRole, entry.port)
            self.prompts.addItem(item)
        if self.prompts.count():
            self.prompts.setCurrentRow(min(max(current, 0), self.prompts.count() - 1))
        self.prompt_box.setVisible(self.prompts.count() > 0)

    def answer_prompt(self, ready: bool) -> None:
        """Answer the selected prompt (the first when none is selected)."""
        queued = self.queued_prompts()
        if not queued:
            return
        row = self.prompts.currentRow()
        entry, prompt = queued[row if 0 <= row < len(queued) else 0]
        entry.prompts.remove(prompt)
        entry.session.answer(ready)
        self._show_prompts()

    def _tick(self) -> None:
        changed = False
        for entry in self.entries.values():
            before = len(entry.prompts)
            entry.prompts[:] = [p for p in entry.prompts if not p.skip.is_set()]  # withdrawn: time ran out
            changed = changed or before != len(entry.prompts)
            if entry.running:
                self._show(entry)
        if changed:
            self._show_prompts()

    # -- the terminal's full view, reports
    def open_full_view(self, port: str) -> QMainWindow | None:
        """Today's window for this terminal, on its bench session: the others keep running."""
        entry = self.entries.get(port)
        if entry is None:
            return None
        window = self.full_views.get(port)
        if window is None:
            from .main_window import MainWindow

            window = MainWindow(_OneSession(self.service, self._session(entry)))  # type: ignore[arg-type]
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(lambda _=None, p=port: self.full_views.pop(p, None))
            window.connect_panel.port.setEditText(port)
            window._on_state(entry.session.state, "")
            if entry.diagnosis is not None:
                window._on_diagnosis(entry.diagnosis)
            window.setWindowTitle(f"{window.windowTitle()} - {entry.serial_number or port}")
            self.full_views[port] = window
        window.show()
        window.raise_()
        return window

    def _report_selected(self) -> None:
        from .report_dialog import ReportDialog

        for port in self.selected_ports():
            d = self.entries[port].diagnosis
            if d is not None:
                ReportDialog(d, self).open()

    def summary_rows(self) -> list[BenchRow]:
        return [e.row() for e in self.entries.values() if e.outcome]

    def summary_text(self) -> str:
        from techapp.history import technician

        title = self.tr("Bench summary")
        return "\n".join([title, ""] + summary_lines(self.summary_rows(), lang(), technician()))

    def save_summary_pdf(self, path: str) -> None:
        """The bench summary sheet (serial number, outcome, findings, actions, technician) as a PDF."""
        from PySide6.QtGui import QFont, QPageSize, QTextDocument
        from PySide6.QtPrintSupport import QPrinter

        doc = QTextDocument()
        doc.setDefaultFont(QFont("monospace", 9))
        doc.setPlainText(self.summary_text())
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setOutputFileName(path)
        doc.print_(printer)

    def _save_summary(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Bench summary"), "bench-summary.pdf", "PDF (*.pdf)")
        if path:
            self.save_summary_pdf(path)

    def close_bench(self) -> None:
        """Stop every row, close their sessions (each logs out) and the full views."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self._refresh.stop()
        self._start_timer.stop()
        self._starting.clear()
        if self.watcher is not None:
            try:
                self.watcher.portsChanged.disconnect(self.ports_changed)
            except (RuntimeError, TypeError):
                pass
        for window in list(self.full_views.values()):
            window.close()
        for entry in self.entries.values():
            if entry.session is not None:
                self.service.close_session(entry.session.name)
                entry.session = None


class BenchWindow(QMainWindow):
    """The bench as a window of its own (a mode beside the one-terminal window)."""

    def __init__(self, service: svc.TerminalService, parent: QWidget | None = None, *, watch_ports: bool = True):
        super().__init__(parent)
        self.setObjectName("benchWindow")
        self.view = BenchView(service, self, watch_ports=watch_ports)
        self.setCentralWidget(self.view)
        self.resize(1000, 600)
        languages().changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_args) -> None:
        self.setWindowTitle(self.tr("Repair bench - techapp"))

    def closeEvent(self, event) -> None:
        self.view.close_bench()
        super().closeEvent(event)


class BenchMenu(QObject):
    """File > Repair bench... (Ctrl+Shift+B) on the main window; kept as ``window.bench``."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("bench")
        self.window = window
        self.bench: BenchWindow | None = None
        self.action = QAction(window)
        self.action.setObjectName("act-bench")
        self.action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.triggered.connect(lambda _=False: self.show())
        window.addAction(self.action)
        window.menu_file.insertAction(getattr(window, "act_quit", None), self.action)
        languages().changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_args) -> None:
        self.action.setText(self.tr("Repair &bench..."))

    def show(self) -> BenchWindow:
        if self.bench is None or self.bench.view._closed:
            self.bench = BenchWindow(self.window.service, self.window)  # closed with the main window
        self.bench.show()
        self.bench.raise_()
        self.bench.activateWindow()
        return self.bench


def install_bench(window) -> BenchMenu:
    """Add the repair bench to ``window`` (kept as ``window.bench``)."""
    window.bench = BenchMenu(window)
    return window.bench


__all__ = ["BenchMenu", "BenchView", "BenchWindow", "install_bench"]
