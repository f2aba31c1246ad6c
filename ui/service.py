"""The terminal service: one worker thread per terminal, owned by the application, not by a window.

Everything that blocks (the driver, the :class:`~techapp.diagnosis.Diagnoser`,
the laptop's network checks) runs in the session's worker thread. The GUI
talks to a :class:`TerminalSession` (which lives in the GUI thread) through
methods that post requests to the worker, and hears back through Qt signals.

Questions the engine asks in the middle of a run (a person at the terminal,
a repair confirmation) are signals to the GUI; the worker then waits on a
:class:`threading.Event` that the GUI's answer sets (or a cancel, or the
service shutting down).

Closing: :meth:`TerminalService.shutdown` sets every session's cancel event,
closes its driver (a blocked read ends at once), asks the worker to close the
port and quit its thread, and waits for it: no "QThread: Destroyed while
thread is still running", no port left open.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from drivers.errors import AuthenticationFailed, Disconnected, LinkTimeout, LockedOut, TerminalError
from drivers.registry import DEFAULT_DRIVER, open_terminal
from techapp.errors import explain

if TYPE_CHECKING:
    from drivers.base import TerminalDriver
    from drivers.ports import PortInfo
    from techapp.diagnosis import Action, Diagnosis, Finding, PersonPrompt, StepProgress
    from techapp.diagnosis.engine import Diagnoser
    from techapp.info import TerminalInfo
    from techapp.profiles import AcquirerProfile
    from techapp.workorder import WorkOrder


# The terminal's models, the visit history (sqlite) and pyserial load when first used (a worker's
# thread, the port scanner's), not before the window's first paint; each name stays this module's own
# (tests replace ``list_ports`` here).
def list_ports() -> list[PortInfo]:
    from drivers.ports import list_ports as scan

    return scan()


def collect_info(*args: Any, **kwargs: Any) -> TerminalInfo:
    from techapp.info import collect_info as collect

    return collect(*args, **kwargs)


def safe_record(*args: Any, **kwargs: Any) -> tuple[int | None, str]:
    from techapp.history import safe_record as record

    return record(*args, **kwargs)


def technician() -> dict[str, str]:
    from techapp.history import technician as who

    return who()


def __getattr__(name: str) -> Any:  # PEP 562: the re-exported models, loaded on first use
    if name == "StepProgress":
        from techapp.diagnosis import StepProgress

        return StepProgress
    if name == "TerminalInfo":
        from techapp.info import TerminalInfo

        return TerminalInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Link states shown in the status bar.
IDLE, CONNECTING, CONNECTED, BUSY, LOST, FAILED = "idle", "connecting", "connected", "busy", "lost", "failed"

#: Seconds the GUI gets to let a worker finish when the app closes.
SHUTDOWN_WAIT_MS = 10_000
#: A connected session with no job for this long is ended (the driver logs out when it closes), so a
#: laptop left on the counter does not leave the terminal's maintenance login open. $TECHAPP_IDLE_LOGOUT_S
#: sets it (1..86400 seconds).
IDLE_LOGOUT_S = 600
IDLE_LOGOUT_ENV = "TECHAPP_IDLE_LOGOUT_S"


def idle_logout_seconds() -> int:
    """The idle time after which the window logs out and disconnects: $TECHAPP_IDLE_LOGOUT_S or 600 s."""
    import os

    raw = os.environ.get(IDLE_LOGOUT_ENV, "").strip()
    try:
        value = int(raw) if raw and len(raw) <= 6 else IDLE_LOGOUT_S
    except ValueError:
        value = IDLE_LOGOUT_S
    return value if 1 <= value <= 86_400 else IDLE_LOGOUT_S


#: How often the serial ports are listed again (adapters come and go).
PORT_REFRESH_MS = 2000


@dataclass(frozen=True)
class TraceLine:
    """One line of the traffic log."""

    time: datetime
    direction: str  # "tx" | "rx"
    kind: str  # "frame" | "ack" | "nak" | "bad"
    raw: bytes


@dataclass
class DiagnoseOptions:
    work_order: WorkOrder | None = None
    profile: AcquirerProfile | None = None
    sign_on: bool = True
    ask_person: bool = True
    real_network: bool = False
    laptop_checks: bool = True  # False: the bench preset (ui/bench_view.py): no site network to check


@dataclass(frozen=True)
class LoginRefusal:
    """Why the maintenance login at Connect did not succeed, in the terminal's own terms.

    ``kind``: "wrong-password" (``attempts_left`` when the terminal says), "locked-out"
    (``seconds_left`` when it says), "no-password" (none was typed). ``message``: the terminal's text.
    """

    kind: str
    attempts_left: int | None = None
    seconds_left: int | None = None
    message: str = ""


class _LoginWatch:
    """The driver as :func:`techapp.info.collect_info` sees it, keeping a refused login's exception
    (tries left, lockout time) that the section error would reduce to text."""

    def __init__(self, driver: TerminalDriver) -> None:
        self._driver = driver
        self.error: TerminalError | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def login(self, password: str) -> None:
        try:
            self._driver.login(password)
        except (AuthenticationFailed, LockedOut) as err:
            self.error = err
            raise


def _refusal(watch: _LoginWatch, info: TerminalInfo) -> LoginRefusal | None:
    err = watch.error
    if isinstance(err, LockedOut):
        return LoginRefusal("locked-out", seconds_left=err.seconds_left, message=err.message)
    if isinstance(err, AuthenticationFailed):
        return LoginRefusal("wrong-password", attempts_left=err.attempts_left, message=err.message)
    if any(e.section == "login" and e.error_type == "PasswordUnavailable" for e in info.errors):
        return LoginRefusal("no-password")
    return None


@dataclass
class _Question:
    """A question the worker waits on; the GUI answers it."""

    event: threading.Event = field(default_factory=threading.Event)
    answer: bool | None = False


class _Worker(QObject):
    """Lives in the session's thread; every slot may block."""

    stateChanged = Signal(str, str)  # state, detail
    infoRead = Signal(object)  # TerminalInfo
    progress = Signal(object)  # StepProgress
    diagnosisDone = Signal(object)  # Diagnosis
    repairDone = Signal(object)  # Diagnosis (after the repair)
    personPrompt = Signal(object)  # PersonPrompt
    confirmRequested = Signal(object, object, object)  # Action, Finding, facts for the confirmation (dict)
    loginRefused = Signal(object)  # LoginRefusal: the terminal answered but refused the maintenance login
    notice = Signal(str, str)  # kind ("baud", "other-terminal", "error"), text
    explained = Signal(str, object)  # where ("connect", "diagnose", "repair"), Text: the error in plain words
    jobDone = Signal(str, object)  # a tool's job (run_job): name, result
    jobFailed = Signal(str, str)  # name, the error's English message (the plain text came as ``explained``)
    busyChanged = Signal(bool)
    visitRecorded = Signal(object, str)  # visit number in the history (or None), why it was not recorded ("")
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.driver: TerminalDriver | None = None
        self.port = ""
        self.baud = 115200
        self.driver_name = DEFAULT_DRIVER
        self.password: str | None = None
        self.serial_number: str | None = None
        self.baud_mismatch: tuple[int, int] | None = None
        self.diagnoser: Diagnoser | None = None
        self.diagnosis: Diagnosis | None = None
        self.cancel = threading.Event()
        self.stopping = threading.Event()
        self.trace_buffer: deque[TraceLine] = deque(maxlen=20_000)
        self._question: _Question | None = None
        self._lock = threading.Lock()
        self._exit = contextlib.ExitStack()
        self._cafiles: dict[str | None, str | None] = {}
        # the visit history (techapp.history): one visit per diagnosis, rewritten by its repairs
        self.record_history = True
        self.visit_id: int | None = None
        self._diagnosed: Diagnosis | None = None

    # -- called from the GUI thread (thread-safe) --------------------------------------
    def abort(self) -> None:
        """Cancel the running job (the Diagnoser's cancel event) and answer any pending question "no"."""
        self.cancel.set()
        with self._lock:
            q = self._question
        if q is not None:
            q.answer = False
            q.event.set()

    def answer(self, value: bool | None) -> None:
        with self._lock:
            q = self._question
        if q is not None:
            q.answer = value
            q.event.set()

    def hard_close(self) -> None:
        """From the GUI thread at shutdown: end a blocked read at once."""
        driver = self.driver
        if driver is not None:
            driver.close()

    # -- helpers (worker thread) ----------------------------------------------------
    def _trace(self, direction: str, kind: str, raw: bytes) -> None:
        self.trace_buffer.append(TraceLine(datetime.now(), direction, kind, bytes(raw)))

    def _open(self, baud: int) -> TerminalDriver:
        return open_terminal(self.port, self.driver_name, baudrate=baud, trace=self._trace)

    def _ask(self, emit, given_up: threading.Event | None = None) -> bool | None:
        """Ask the GUI and wait for its answer; False on a cancel, None when ``given_up`` is set
        (the runner stopped waiting for the person: "no answer in N s")."""
        q = _Question()
        with self._lock:
            self._question = q
        try:
            if self.cancel.is_set():
                return False
            emit()
            while not q.event.wait(0.05):
                if self.cancel.is_set() or self.stopping.is_set():
                    return False
                if given_up is not None and given_up.is_set():
                    return None
            return q.answer
        finally:
            with self._lock:
                self._question = None

    def _ask_person(self, prompt: PersonPrompt) -> bool | None:
        return self._ask(lambda: self.personPrompt.emit(prompt), given_up=prompt.skip)

    def _confirm(self, action: Action, finding: Finding) -> bool:
        facts = self._confirm_facts(action)
        return self._ask(lambda: self.confirmRequested.emit(action, finding, facts))

    def _confirm_facts(self, action: Action) -> dict[str, Any]:
        """What the confirmation shows besides the action: for the clock, the terminal's time read now,
        the laptop's time at that moment and the laptop's own time source."""
        facts: dict[str, Any] = {}
        if action.operation == "sync-clock":
            try:
                facts["terminal_time"] = self.driver.hardware().clock if self.driver is not None else None
            except TerminalError:
                facts["terminal_time"] = None
            from techapp.laptopclock import clock_source, laptop_now

            facts["laptop_time"] = laptop_now()
            facts["read_at"] = time.monotonic()
            facts["clock_source"] = clock_source()
        if action.operation == "settle":
            try:
                facts["unsettled"] = self.driver.counters().unsettled_transactions if self.driver is not None else None
            except TerminalError:
                facts["unsettled"] = None
        return facts

    def _link_state_after(self, what: str) -> None:
        if self.driver is not None and not self.driver.is_open:
            self.stateChanged.emit(LOST, what)
        else:
            self.stateChanged.emit(CONNECTED, "")

    def _close_driver(self) -> None:
        if self.driver is not None:
            self.driver.close()
            if getattr(self.driver, "logout_owed", False):
                self._logout_again()
        self.driver = None

    def _logout_again(self) -> None:
        """The port was closed under a running job (shutdown, disconnect): LOGOUT on a new connection.

        On a serial line the maintenance login belongs to the terminal and outlives the connection, and
        LOGOUT needs no login; one short try, then the terminal's own session time-out is the fallback.
        """
        self.driver.logout_owed = False
        try:
            with open_terminal(self.port, self.driver_name, baudrate=self.baud, response_timeout=1.0) as again:
                again.logout()
        except (TerminalError, OSError, TypeError):
            pass

    # -- jobs -----------------------------------------------------------------------
    @Slot(str, int, object, str)
    def connect_terminal(self, port: str, baud: int, password: object, driver: str) -> None:
        self._close_driver()
        self.port, self.baud, self.password, self.driver_name = port, baud, password, driver  # type: ignore[assignment]
        self.serial_number = None
        self.baud_mismatch = None
        self.diagnosis = None
        self.diagnoser = None
        self._read(first=True)

    @Slot()
    def reconnect(self) -> None:
        self._close_driver()
        self._read(first=False)

    def _read(self, *, first: bool) -> None:
        self.cancel = threading.Event()
        self.busyChanged.emit(True)
        self.stateChanged.emit(CONNECTING, self.port)
        try:
            try:
                self.driver = self._open(self.baud)
            except TerminalError as err:
                self.explained.emit("connect", explain(err))
                self.stateChanged.emit(FAILED, str(err))
                return
            watch = _LoginWatch(self.driver)
            info = collect_info(watch, self.password, port=self.port)  # type: ignore[arg-type]
            if info.identity is None and any(e.error_type == "LinkTimeout" for e in info.errors) and first:
                self.driver.close()
                from techapp.diagnosis.engine import probe_baud  # the engine loads when first needed

                found = probe_baud(self._open, self.baud)
                if found is not None:
                    self.baud_mismatch = (self.baud, found)
                    self.notice.emit("baud", f"{self.baud}\t{found}")
                    self.baud = found
                    self.driver = self._open(found)
                    watch = _LoginWatch(self.driver)
                    info = collect_info(watch, self.password, port=self.port)  # type: ignore[arg-type]
                else:
                    self.driver = self._open(self.baud)
            if info.identity is not None:
                serial = info.identity.serial_number
                if self.serial_number is not None and serial != self.serial_number:
                    self._close_driver()
                    self.stateChanged.emit(LOST, "")
                    self.notice.emit("other-terminal", f"{self.serial_number}\t{serial}")
                    return
                self.serial_number = serial
                if self.diagnoser is not None:
                    self.diagnoser.driver = self.driver  # same terminal: repairs go over the new link
            self.infoRead.emit(info)
            if info.identity is None:
                self._close_driver()
                msg = info.errors[0].message if info.errors else ""
                if info.errors and info.errors[0].text is not None:
                    self.explained.emit("connect", info.errors[0].text)
                self.stateChanged.emit(FAILED, msg)
                return
            refusal = _refusal(watch, info)
            if refusal is not None:  # it answers, but without the login nothing can be diagnosed or repaired
                self._close_driver()
                self.stateChanged.emit(FAILED, "login")
                self.loginRefused.emit(refusal)
                return
            self._link_state_after("connect")
        except TerminalError as err:  # opening at another baud rate
            self._close_driver()
            self.explained.emit("connect", explain(err))
            self.stateChanged.emit(FAILED, str(err))
        finally:
            self.busyChanged.emit(False)

    @Slot(object)
    def diagnose(self, options: DiagnoseOptions) -> None:
        if self.driver is None or not self.driver.is_open:
            self.stateChanged.emit(LOST, "diagnose")
            return
        self.cancel = threading.Event()
        self.busyChanged.emit(True)
        self.stateChanged.emit(BUSY, "diagnose")
        try:
            from techapp.diagnosis.engine import Diagnoser  # loaded after the window is up, not before it

            dialer, cafile = self._network(options.real_network) if options.laptop_checks else (None, None)
            self.diagnoser = Diagnoser(
                self.driver,
                self.password,
                port=self.port,
                work_order=options.work_order,
                profile=options.profile,
                dialer=dialer,
                cafile=cafile,
                sign_on=options.sign_on,
                ask_person=self._ask_person if options.ask_person else None,
                on_progress=self.progress.emit,
                cancel=self.cancel,
            )
            self.diagnoser.baud_mismatch = self.baud_mismatch
            # a write whose read-back is lost is read back on a new link (issue 14): one the traffic log sees
            self.diagnoser.reopen = lambda: self._open(self.baud)
            self.diagnosis = self.diagnoser.run()
            self._diagnosed, self.visit_id = self.diagnosis, None
            self._record(lambda h: h.record(self.diagnosis, technician=technician()))
            self._emit_readings()
            self.diagnosisDone.emit(self.diagnosis)
        except (TerminalError, OSError, ValueError) as err:
            self.explained.emit("diagnose", explain(err))
            self.notice.emit("error", str(err))
        finally:
            self._link_state_after("diagnose")
            self.busyChanged.emit(False)

    def _emit_readings(self) -> None:
        """What the diagnosis read, for the terminal view (the values after a repair are the new ones)."""
        r = self.diagnoser.readings if self.diagnoser else None
        if r is None or r.identity is None:
            return
        from techapp.info import TerminalInfo

        info = TerminalInfo(
            port=self.port,
            driver=self.driver_name,
            read_at=datetime.now().replace(microsecond=0),
            protocol_version=r.hello.protocol_version if r.hello else None,
            identity=r.identity,
            parameters=r.parameters,
            keys=r.keys_after_sign_on or r.keys,
            hardware=r.hardware,
            counters=r.counters,
            response_codes=r.response_log,
            error_log=r.error_log,
        )
        self.infoRead.emit(info)

    def _network(self, real_network: bool) -> tuple[Any, str | None]:
        from techapp.laptopnet import laptop_dialer, trusted_ca

        dialer = laptop_dialer(self.port, real_network=real_network)
        pem = getattr(dialer, "ca_pem", None)
        if pem not in self._cafiles:  # one temporary CA file per CA for the session, removed at shutdown
            self._cafiles[pem] = self._exit.enter_context(trusted_ca(pem))
        return dialer, self._cafiles[pem]

    @Slot(str)
    def repair(self, action_id: str) -> None:
        if self.diagnoser is None or self.diagnosis is None:
            return
        if self.driver is None or not self.driver.is_open:
            self.stateChanged.emit(LOST, "repair")
            return
        self.cancel = threading.Event()
        self.diagnoser.cancel = self.cancel
        self.busyChanged.emit(True)
        self.stateChanged.emit(BUSY, "repair")
        try:
            try:
                after = self.diagnoser.repair(self.diagnosis, self._confirm, only={action_id})
            finally:
                if self.diagnoser.driver is not self.driver:  # the repair reconnected: the session uses that link
                    if self.driver is not None:
                        self.driver.close()
                    self.driver = self.diagnoser.driver
            self.diagnosis = after
            visit, first = self.visit_id, self._diagnosed
            self._record(lambda h: h.record(after, technician=technician(), before=first, replace=visit))
            self._emit_readings()
            self.repairDone.emit(after)
        except (TerminalError, OSError, ValueError) as err:
            self.explained.emit("repair", explain(err))
            self.notice.emit("error", str(err))
        finally:
            self._link_state_after("repair")
            self.busyChanged.emit(False)

    @Slot(str, object)
    def run_job(self, name: str, job: Any) -> None:
        """A tool's job on the open link (``job(driver, password) -> result``), e.g. restoring a backup.

        ``jobDone(name, result)`` on success; on a typed error the explained text, the ``error`` notice
        and ``jobFailed(name, message)``.
        """
        if self.driver is None or not self.driver.is_open:
            self.stateChanged.emit(LOST, name)
            self.jobFailed.emit(name, "the link is closed")
            return
        self.cancel = threading.Event()
        self.busyChanged.emit(True)
        self.stateChanged.emit(BUSY, name)
        try:
            result = job(self.driver, self.password)
            if name == "restore" and isinstance(result, tuple) and len(result) == 3:  # ui.restore_dialog.RESTORE_JOB
                self._record_restore(result, getattr(job, "backup_path", ""))
            self.jobDone.emit(name, result)
        except (TerminalError, OSError, ValueError) as err:  # BackupError is a ValueError
            self.explained.emit(name, explain(err))
            self.notice.emit("error", str(err))
            self.jobFailed.emit(name, str(err))
        finally:
            self._link_state_after(name)
            self.busyChanged.emit(False)

    def _record(self, write, *, session: bool = True) -> None:
        """Keep the visit in the history; a failure is a warning for the window, never the job's failure.

        ``session``: the visit of this diagnosis (its repairs rewrite it); a restore is a visit of its own.
        """
        if not self.record_history:
            return
        visit_id, why = safe_record(write)
        if visit_id is not None and session:
            self.visit_id = visit_id
        self.visitRecorded.emit(visit_id, why)

    def _record_restore(self, result: tuple, backup: str) -> None:
        changes, saved, params = result
        terminal = {"serial_number": self.serial_number or "", "tid": params.tid, "mid": params.mid}
        self._record(
            lambda h: h.record_restore(
                port=self.port,
                terminal=terminal,
                backup=backup,
                saved_before=str(saved) if saved is not None else None,
                changes=changes,
                technician=technician(),
            ),
            session=False,
        )

    @Slot()
    def close_link(self) -> None:
        self._close_driver()
        self.stateChanged.emit(IDLE, "")

    @Slot()
    def shutdown(self) -> None:
        """Last job: close the port, drop the temporary CA file, stop the thread's event loop."""
        try:
            self._close_driver()
            self._exit.close()
        finally:
            self.finished.emit()
            QThread.currentThread().quit()


class TerminalSession(QObject):
    """The GUI's handle on one terminal; its worker runs in its own thread."""

    stateChanged = Signal(str, str)
    infoRead = Signal(object)
    progress = Signal(object)
    diagnosisDone = Signal(object)
    repairDone = Signal(object)
    personPrompt = Signal(object)
    confirmRequested = Signal(object, object, object)
    loginRefused = Signal(object)
    notice = Signal(str, str)
    explained = Signal(str, object)
    jobDone = Signal(str, object)
    jobFailed = Signal(str, str)
    busyChanged = Signal(bool)
    visitRecorded = Signal(object, str)  # visit number (or None), why it was not recorded
    traceLines = Signal(list)  # list[TraceLine], delivered in batches

    # requests to the worker (queued into its thread)
    _connect = Signal(str, int, object, str)
    _reconnect = Signal()
    _diagnose = Signal(object)
    _repair = Signal(str)
    _job = Signal(str, object)
    _close = Signal()
    _shutdown = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.state = IDLE
        self.busy = False
        self.thread = QThread()
        self.thread.setObjectName(f"terminal-{name}")
        self.worker = _Worker()
        self.worker.moveToThread(self.thread)
        for sig in (
            "stateChanged",
            "infoRead",
            "progress",
            "diagnosisDone",
            "repairDone",
            "personPrompt",
            "confirmRequested",
            "loginRefused",
            "notice",
            "explained",
            "jobDone",
            "jobFailed",
            "busyChanged",
            "visitRecorded",
        ):
            getattr(self.worker, sig).connect(getattr(self, sig))
        self.stateChanged.connect(self._remember_state)
        self.busyChanged.connect(self._remember_busy)
        self._connect.connect(self.worker.connect_terminal)
        self._reconnect.connect(self.worker.reconnect)
        self._diagnose.connect(self.worker.diagnose)
        self._repair.connect(self.worker.repair)
        self._job.connect(self.worker.run_job)
        self._close.connect(self.worker.close_link)
        self._shutdown.connect(self.worker.shutdown)
        # the trace arrives from driver threads at line speed: hand it over in batches
        self._trace_timer = QTimer(self)
        self._trace_timer.setInterval(100)
        self._trace_timer.timeout.connect(self.flush_trace)
        self.thread.start()
        self._trace_timer.start()
        self._closed = False
        # idle logout (issue 14): connected, not busy, no job for idle_logout_s -> disconnect (LOGOUT on close)
        self.idle_logout_s = idle_logout_seconds()
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.timeout.connect(self._idle_logout)
        self.stateChanged.connect(self._arm_idle_timer)
        self.busyChanged.connect(self._arm_idle_timer)

    def _remember_state(self, state: str, _detail: str) -> None:
        self.state = state

    def _arm_idle_timer(self, *_args) -> None:
        if self.state == CONNECTED and not self.busy and not self._closed:
            self._idle_timer.start(self.idle_logout_s * 1000)  # (re)started after every job
        else:
            self._idle_timer.stop()

    def _idle_logout(self) -> None:
        if self.state == CONNECTED and not self.busy and not self._closed:
            self.notice.emit("idle-logout", str(self.idle_logout_s))
            self.disconnect_terminal()

    def _remember_busy(self, busy: bool) -> None:
        self.busy = busy
        self.flush_trace()

    @property
    def serial_number(self) -> str | None:
        return self.worker.serial_number

    @property
    def port(self) -> str:
        return self.worker.port

    @property
    def password(self) -> str | None:
        return self.worker.password

    @property
    def baud(self) -> int:
        """The line speed in use (the one the terminal answered at, after a wrong-baud probe)."""
        return self.worker.baud

    @property
    def is_training(self) -> bool:
        """The session is on the built-in simulated terminal: training, not a real terminal on site."""
        from techapp.laptopclock import is_training

        return is_training(self.worker.port)

    # -- requests -------------------------------------------------------------------
    def connect_terminal(self, port: str, baud: int, password: str | None, driver: str = DEFAULT_DRIVER) -> None:
        self._connect.emit(port, baud, password, driver)

    def reconnect(self) -> None:
        """Open the same port again; the worker refuses a terminal with another serial number."""
        self._reconnect.emit()

    def diagnose(self, options: DiagnoseOptions) -> None:
        self._diagnose.emit(options)

    def repair(self, action_id: str) -> None:
        self._repair.emit(action_id)

    def run_job(self, name: str, job) -> None:
        """Run ``job(driver, password)`` in the worker thread; the answer comes as ``jobDone`` / ``jobFailed``."""
        self._job.emit(name, job)

    def cancel(self) -> None:
        self.worker.abort()

    def answer(self, value: bool | None) -> None:
        """Answer the pending person prompt or repair confirmation (None: nobody answered)."""
        self.worker.answer(value)

    def disconnect_terminal(self) -> None:
        self.worker.abort()
        self._close.emit()

    def flush_trace(self) -> None:
        buf = self.worker.trace_buffer
        lines = []
        while buf:
            lines.append(buf.popleft())
        if lines:
            self.traceLines.emit(lines)

    def close(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Cancel, close the port, stop the thread and wait for it; True when it stopped in time."""
        if self._closed:
            return True
        self._closed = True
        self._trace_timer.stop()
        self._idle_timer.stop()
        self.worker.stopping.set()
        self.worker.abort()
        self.worker.hard_close()
        self._shutdown.emit()
        deadline = time.monotonic() + wait_ms / 1000
        stopped = self.thread.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        if not stopped:  # a worker stuck in a C call: the port is closed; do not destroy a running thread
            self.thread.quit()
            stopped = self.thread.wait(1000)
        self.flush_trace()
        return stopped


#: Sessions whose worker did not stop in time at shutdown (kept alive on purpose).
_stuck: list[QObject] = []


class _PortScanner(QObject):
    """Lives in the port watcher's thread: lists the serial ports (sysfs, SetupAPI: may be slow)."""

    scanned = Signal(list)  # list[PortInfo]

    @Slot()
    def scan(self) -> None:
        try:
            found = list_ports()
        except Exception:  # a platform without enumeration: typed ports still work
            found = []
        self.scanned.emit(found)

    @Slot()
    def shutdown(self) -> None:
        QThread.currentThread().quit()


class PortWatcher(QObject):
    """The serial ports, listed again every :data:`PORT_REFRESH_MS` in a thread of their own.

    ``portsChanged`` carries the new list (recognised terminals first) only when it changed;
    ``ports`` is the latest list (None before the first scan has answered).
    """

    portsChanged = Signal(list)  # list[PortInfo]
    _scan = Signal()
    _shutdown = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ports: list[PortInfo] | None = None
        self._pending = False
        self._closed = False
        self.thread = QThread()
        self.thread.setObjectName("port-watcher")
        self.scanner = _PortScanner()
        self.scanner.moveToThread(self.thread)
        self._scan.connect(self.scanner.scan)
        self._shutdown.connect(self.scanner.shutdown)
        self.scanner.scanned.connect(self._scanned)
        self.timer = QTimer(self)
        self.timer.setObjectName("portRefreshTimer")
        self.timer.setInterval(PORT_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.thread.start()
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Ask for a new list now (one scan at a time; the answer comes as ``portsChanged``)."""
        if self._closed or self._pending:
            return
        self._pending = True
        self._scan.emit()

    def _scanned(self, found: list[PortInfo]) -> None:
        self._pending = False
        if self._closed:
            return
        key = [(p.device, p.kind, p.label) for p in found]
        if self.ports is not None and key == [(p.device, p.kind, p.label) for p in self.ports]:
            return
        self.ports = found
        self.portsChanged.emit(found)

    def close(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        if self._closed:
            return True
        self._closed = True
        self.timer.stop()
        self._shutdown.emit()
        return self.thread.wait(wait_ms)


class TerminalService(QObject):
    """Application-level owner of the terminal sessions (one worker thread each)."""

    sessionAdded = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sessions: dict[str, TerminalSession] = {}
        self._count = 0
        self._ports: PortWatcher | None = None

    def port_watcher(self) -> PortWatcher:
        """The application's port list (one watcher thread, made on first use)."""
        if self._ports is None:
            self._ports = PortWatcher(self)
        return self._ports

    def session(self, name: str = "main") -> TerminalSession:
        if name not in self.sessions:
            self._count += 1
            s = TerminalSession(name, self)
            self.sessions[name] = s
            self.sessionAdded.emit(s)
        return self.sessions[name]

    def close_session(self, name: str) -> bool:
        s = self.sessions.pop(name, None)
        if s is None:
            return True
        ok = s.close()
        if ok:
            s.thread.deleteLater()
            s.deleteLater()
        else:  # never destroy a running QThread (Qt aborts the process): keep it until the process ends
            _stuck.append(s)
        return ok

    def shutdown(self) -> bool:
        """Close every session and the port watcher; True when every worker thread stopped."""
        ok = True
        for name in list(self.sessions):
            ok = self.close_session(name) and ok
        watcher, self._ports = self._ports, None
        if watcher is not None:
            if watcher.close():
                watcher.thread.deleteLater()
                watcher.deleteLater()
            else:  # never destroy a running QThread
                _stuck.append(watcher)
                ok = False
        return ok

    def busy(self) -> bool:
        return any(s.busy for s in self.sessions.values())


def is_link_error(err: BaseException) -> bool:
    return isinstance(err, Disconnected | LinkTimeout)


__all__ = [
    "BUSY",
    "CONNECTED",
    "CONNECTING",
    "FAILED",
    "IDLE",
    "LOST",
    "DiagnoseOptions",
    "LoginRefusal",
    "PortWatcher",
    "StepProgress",
    "TerminalInfo",
    "TerminalService",
    "TerminalSession",
    "TraceLine",
]
