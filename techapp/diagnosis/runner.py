"""Gathering the evidence: cancellable steps with progress, each with its own timeout.

The runner reads the terminal through its driver and the network from the
laptop, step by step, into :class:`Readings`. It never judges: the checks
(:mod:`.checks`) and rules (:mod:`.rules`) do, from the readings alone, so
the same readings always give the same checklist and findings.

Order avoids waste: identity needs no login and is read first; a failed
login leaves only what needs none; the hardware is read right after the login
because a tamper-locked terminal stops every further test; the network steps
need the parameters; the sign-on runs only when the terminal reached a host;
tests that need a person at the terminal ask through ``ask_person`` and are
skipped when there is nobody to ask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drivers.base import TerminalDriver
from drivers.errors import (
    AuthenticationError,
    AuthenticationFailed,
    Disconnected,
    LinkTimeout,
    LockedOut,
    TerminalError,
)
from drivers.models import (
    CommTestResult,
    Counters,
    DeviceStatus,
    Hardware,
    HelloInfo,
    Identity,
    KeyStatus,
    LogEntry,
    Parameters,
    Progress,
    SelfTestResult,
    SignOnResult,
)

from .model import T, Text

#: Seconds a person gets to answer the prompt, and then again to swipe a card or press the keys.
PERSON_TIMEOUT_S = 30
#: At most this many seconds between keep-alives (HELLO) while a person is asked; sooner when the
#: terminal's SESSION_TIMEOUT is short (a third of it), so the login never lapses while they decide.
KEEPALIVE_S = 20.0
#: Seconds an asker gets to give up after the runner stopped waiting for it (time-out or cancel).
ASK_GRACE_S = 2.0

#: Why a step did not run, as :mod:`.outcome` needs it (``Readings.skip_causes``).
NOT_INTERACTIVE = T(
    "needs a person at the terminal; this run is not interactive", "需要有人在终端前操作；本次为非交互运行"
)
SKIPPED_BY_TECHNICIAN = T("skipped by the technician", "技术员已跳过")
CANCELLED_BY_USER = T("cancelled by the user", "已被用户取消")
NO_SIGN_ON = T("sign-on not requested (--no-sign-on)", "未要求签到（--no-sign-on）")
NO_COMM_TEST = T("the terminal's comm test did not run", "终端通讯测试未运行")
NO_HOST_REACHED = T("the terminal reaches none of its hosts", "终端连不上任何主机")
NO_SIGN_ON_RAN = T("no sign-on ran", "未进行签到")
GATE_CAUSES = {
    NOT_INTERACTIVE: "not-interactive",
    NO_SIGN_ON: "no-sign-on",
    NO_COMM_TEST: "no-comm-test",
    NO_HOST_REACHED: "no-host-reached",
    NO_SIGN_ON_RAN: "no-sign-on-ran",
}
#: The driver capability (``drivers.base.CAPABILITIES``) each step needs; a driver without it
#: skips the step with :func:`not_available` (cause "not-available": not applicable, see outcome.py).
STEP_NEEDS = {
    "connect": "hello",
    "identity": "identity",
    "login": "login",
    "hardware": "hardware",
    "parameters": "parameters",
    "keys": "keys",
    "counters": "counters",
    "logs": "logs",
    "card-reader": "self-test.card-reader",
    "keypad": "self-test.keypad",
    "comm-test": "comm-test",
    "sign-on": "sign-on",
    "keys-after": "keys",
    "device-status": "device-status",
}


def not_available(driver: TerminalDriver) -> Text:
    """Why a step the driver cannot do did not run: "not available over <the driver's protocol>"."""
    over = driver.display_name or driver.name or "this driver"
    return T(f"not available over {over}", f"无法通过 {over} 读取")


PROMPTS = {
    "card-reader": T("Swipe a card through the terminal's magstripe reader now.", "请现在在终端上刷一张磁条卡。"),
    "keypad": T("Press every key on the terminal's keypad once now.", "请现在把终端键盘上的每个键各按一次。"),
}
#: What the terminal waited for, when nobody acted in time.
NO_INPUT = {"card-reader": T("no card presented", "未刷卡"), "keypad": T("no key pressed", "未按键")}
NO_REPLY = T("the prompt was not answered", "未回应提示")


def no_answer(seconds: float, what: Text) -> Text:
    """ "not tested: no answer in N s (...)": a person's time-out, never the terminal's."""
    return T(f"not tested: no answer in {seconds:g} s, {what.en}", f"未测试：{seconds:g} 秒内无人应答，{what.zh}")


def explain(err: BaseException) -> Text:
    """The error in plain words for a report (techapp.errors.explain, imported late: it imports this package)."""
    from ..errors import explain as plain

    return plain(err, where="report")


@dataclass(frozen=True)
class StepError:
    """A step that failed with a typed error (or ran out of time)."""

    error_type: str  # the TerminalError subclass name, or "StepTimeout"
    message: str
    action: str = ""
    noise: bool = False  # bytes arrived that never made a frame (baud rate, cable)
    after_frames: int = 0  # how many exchanges had worked on this link before it failed
    #: the error in plain words for a person, both languages (techapp.errors.explain); None: say ``message``
    text: Text | None = field(default=None, compare=False)
    #: the values the terminal reported with it (``attempts_left``, ``seconds_left``, ...: the error's params)
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    def said(self) -> Text:
        """The error as a person reads it: the plain text when known, else the driver's words."""
        return self.text or T(self.message, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"error_type": self.error_type, "message": self.message, "action": self.action}


@dataclass(frozen=True)
class PersonPrompt:
    """A request to the person at the terminal ("swipe a card now")."""

    id: str  # "card-reader" | "keypad"
    text: Text
    timeout_s: int
    #: set it to skip the test while the terminal waits for the person (a "Skip" button)
    skip: threading.Event = field(default_factory=threading.Event, compare=False)


#: Return True when the person is there and will act, False to skip the test, None when nobody
#: answered (an asker with its own countdown). The runner calls it in a helper thread and stops
#: waiting after ``prompt.timeout_s`` (or on a cancel): it then sets ``prompt.skip``, and the asker
#: must return soon after that (within ``ASK_GRACE_S``) without writing anything more.
AskPerson = Callable[[PersonPrompt], "bool | None"]


@dataclass(frozen=True)
class StepProgress:
    index: int  # 1-based
    total: int
    step: str
    title: Text
    detail: str = ""  # the terminal's own progress text, when it sends one
    timeout_s: float | None = None  # the step's time-out: a window shows the time spent against it


@dataclass
class Readings:
    """Everything the terminal and the laptop showed. Only what a real terminal and network give."""

    hello: HelloInfo | None = None
    identity: Identity | None = None
    logged_in: bool = False
    parameters: Parameters | None = None
    keys: KeyStatus | None = None
    hardware: Hardware | None = None
    device_status: DeviceStatus | None = None  # the terminal's own state, where its protocol reports one
    laptop_time: datetime | None = None  # the laptop's clock when the hardware (and its clock) was read
    counters: Counters | None = None
    response_log: list[LogEntry] | None = None
    error_log: list[LogEntry] | None = None
    self_tests: dict[str, SelfTestResult] = field(default_factory=dict)
    comm_test: CommTestResult | None = None
    laptop_hosts: list[Any] | None = None  # netcheck.HostCheck
    echo: list[Any] | None = None  # hostcheck.EchoResult
    verdict: Any = None  # hostcheck.NetworkVerdict
    sign_on: SignOnResult | None = None
    keys_after_sign_on: KeyStatus | None = None
    # the clock after the sign-on (which sets it from the host's answer), with the laptop's time then (B2 hook)
    hardware_after_sign_on: Hardware | None = None
    laptop_time_after_sign_on: datetime | None = None
    link_stats: dict[str, int] = field(default_factory=dict)
    baud_mismatch: tuple[int, int] | None = None  # (the laptop's baud rate, the one the terminal answered at)
    log_mark: tuple | None = None  # (time, code, text) of the newest log entry before a repair; older is history
    errors: dict[str, StepError] = field(default_factory=dict)  # step -> error
    skipped: dict[str, Text] = field(default_factory=dict)  # step -> why it did not run
    #: step -> why it did not run, for a program: "cancelled", "link-closed", "no-greeting", "no-login",
    #: "tampered", "not-interactive", "skipped", "no-answer", "no-sign-on", "no-comm-test",
    #: "no-host-reached", "no-sign-on-ran", "no-addresses", "no-laptop-network",
    #: "not-available" (the driver's protocol cannot give it: never guessed, never passed, not applicable)
    skip_causes: dict[str, str] = field(default_factory=dict)
    durations_ms: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False


@dataclass
class Step:
    id: str
    title: Text
    run: Callable[[], None]
    timeout_s: float | Callable[[], float]
    needs_login: bool = True
    gate: Callable[[], Text | None] | None = None  # returns why to skip, or None to run
    ask: str = ""  # a person test: the person is asked first (their own time-out), then it runs


class StepTimeout(Exception):
    pass


class StepCancelled(Exception):
    pass


#: Seconds a step that cannot be cancelled on the terminal (a comm test, a sign-on) may go on after a
#: cancel before the link is closed to stop waiting for it.
CANCEL_GRACE_S = 3.0

#: Seconds a step gets to end once the link is closed under it (past its time-out, or past
#: ``CANCEL_GRACE_S`` after a cancel). Then it is abandoned: the run goes on without it, and whatever
#: it would still record is dropped. So a step's time-out is kept within this much.
STEP_GRACE_S = 0.5


class StepAbandoned(Exception):
    """Raised in a step's thread that the runner gave up on, so it records nothing more."""


#: The steps that only read the terminal (before them nothing is tested, dialled or written).
READS = frozenset(
    {"connect", "identity", "login", "device-status", "hardware", "parameters", "keys", "counters", "logs"}
)


class Gatherer:
    """Runs the steps of one diagnosis over one driver (logged in here)."""

    def __init__(
        self,
        driver: TerminalDriver,
        password: str | None,
        *,
        dialer: Any = None,
        cafile: str | None = None,
        sign_on: bool = True,
        ask_person: AskPerson | None = None,
        on_progress: Callable[[StepProgress], None] | None = None,
        cancel: threading.Event | None = None,
        network_timeout: float = 5.0,
        person_timeout_s: int = PERSON_TIMEOUT_S,
        clock: Callable[[], datetime] = datetime.now,
        before_tests: Callable[[], None] | None = None,
    ) -> None:
        self.driver = driver
        # called once, after the reads and before the first test (a person's, a dial-out, a sign-on); what it
        # raises ends the run (the diagnosis waits there for a profile it validates in parallel)
        self._before_tests = before_tests
        self.password = password
        self.dialer = dialer
        self.cafile = cafile
        self.do_sign_on = sign_on
        self.ask_person = ask_person
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.network_timeout = network_timeout
        self.person_timeout_s = person_timeout_s
        self.clock = clock
        self.r = Readings()
        self._exchanges = 0
        self._skip: threading.Event | None = None
        self._prompt: PersonPrompt | None = None
        self._worker: threading.Thread | None = None
        self._abandoned: set[threading.Thread] = set()  # steps given up on: they record nothing more

    # -- the plan --------------------------------------------------------------------
    def steps(self, phases: set[str] | None = None) -> list[Step]:
        """All steps in order, or only those of ``phases`` (a re-run after a repair)."""
        plan = [
            Step("connect", T("Connect to the terminal", "连接终端"), self._hello, 15, needs_login=False),
            Step("identity", T("Read the identity", "读取终端信息"), self._identity, 15, needs_login=False),
            Step("login", T("Log in to maintenance mode", "登录维护模式"), self._login, 20, needs_login=False),
            Step("device-status", T("Read the terminal's own status", "读取终端自身状态"), self._device_status, 15),
            Step("hardware", T("Read the hardware state", "读取硬件状态"), self._hardware, 15),
            Step("parameters", T("Read the payment parameters", "读取终端参数"), self._parameters, 15),
            Step("keys", T("Read the key status", "读取密钥状态"), self._keys, 15),
            Step("counters", T("Read the counters", "读取交易计数"), self._counters, 15),
            Step("logs", T("Read the response-code and error logs", "读取应答码和错误日志"), self._logs, 30),
            Step(
                "card-reader",
                T("Card reader test (swipe a card)", "读卡器测试（请刷卡）"),
                lambda: self._person_test("card-reader"),
                self.person_timeout_s + 15,
                gate=self._person_gate,
                ask="card-reader",
            ),
            Step(
                "keypad",
                T("Keypad test (press every key)", "键盘测试（请按每个键）"),
                lambda: self._person_test("keypad"),
                self.person_timeout_s + 15,
                gate=self._person_gate,
                ask="keypad",
            ),
            Step("comm-test", T("Terminal's comm test", "终端通讯测试"), self._comm_test, self._comm_budget),
            Step("laptop-network", T("Laptop's network checks", "笔记本网络检查"), self._laptop, 60, needs_login=False),
            Step(
                "sign-on",
                T("Sign-on by the terminal", "终端签到"),
                self._sign_on,
                lambda: self._comm_budget() + self._response_timeout(),
                gate=self._sign_on_gate,
            ),
            Step(
                "keys-after",
                T("Read the keys after the sign-on", "签到后读取密钥"),
                self._keys_after,
                15,
                gate=lambda: None if self.r.sign_on is not None else NO_SIGN_ON_RAN,
            ),
        ]
        if phases is not None:
            plan = [s for s in plan if s.id in phases]
        return plan

    def _comm_budget(self) -> float:
        """The terminal's own connect timeouts for both hosts, plus TLS and a margin."""
        p = self.r.parameters
        connect = p.connect_timeout_s if p and p.connect_timeout_s else 30
        return 2 * (connect + 10) + 15

    def _response_timeout(self) -> float:
        p = self.r.parameters
        return (p.response_timeout_s if p and p.response_timeout_s else 60) + 10

    # -- running ---------------------------------------------------------------------
    def run(self, phases: set[str] | None = None) -> Readings:
        plan = []
        for step in self.steps(phases):  # what the driver's protocol cannot give is not part of the count
            need = STEP_NEEDS.get(step.id)
            if need is not None and not self.driver.can(need):
                self._not_run(step.id, "not-available", not_available(self.driver))
            else:
                plan.append(step)
        for index, step in enumerate(plan, start=1):
            if self.cancel.is_set():
                self.r.cancelled = True
                self._not_run(step.id, "cancelled", CANCELLED_BY_USER)
                continue
            if step.id not in READS and self._before_tests is not None:
                hook, self._before_tests = self._before_tests, None
                hook()
            why = self._why_skip(step)
            if why is not None:
                self._not_run(step.id, *why)
                continue
            self._report(index, len(plan), step)
            started = time.monotonic()
            if step.ask and not self._ask(step.ask):
                self.r.durations_ms[step.id] = int((time.monotonic() - started) * 1000)
                continue
            try:
                self._run_bounded(step, index, len(plan))
            except StepCancelled:
                self.r.cancelled = True
                self.r.errors[step.id] = StepError(
                    "Cancelled",
                    f"{step.title.en}: cancelled; the link was closed to stop waiting for the terminal",
                    after_frames=self._exchanges,
                )
            except StepTimeout as err:
                self.r.errors[step.id] = StepError(
                    "StepTimeout",
                    f"{step.title.en}: no result within {err.args[0]:g} s; the link was closed",
                    after_frames=self._exchanges,
                )
            except TerminalError as err:
                self.r.errors[step.id] = StepError(
                    type(err).__name__,
                    err.message,
                    err.action,
                    noise=bool(self.driver.link_stats.get("garbage_bytes")),
                    after_frames=self._exchanges,
                    text=explain(err),
                    params=dict(getattr(err, "params", None) or {}),
                )
            self.r.durations_ms[step.id] = int((time.monotonic() - started) * 1000)
        self.r.link_stats = self.driver.link_stats
        if self.cancel.is_set():
            self.r.cancelled = True
        return self.r

    def _not_run(self, step: str, cause: str, reason: Text) -> None:
        self.r.skipped[step] = reason
        self.r.skip_causes[step] = cause

    def _why_skip(self, step: Step) -> tuple[str, Text] | None:
        """(cause, reason) when ``step`` cannot run now, else None."""
        need = STEP_NEEDS.get(step.id)
        if need is not None and not self.driver.can(need):
            return "not-available", not_available(self.driver)
        if not self.driver.is_open and step.id != "laptop-network":
            lost = next((k for k, e in self.r.errors.items() if e.error_type in ("Disconnected", "StepTimeout")), None)
            return "link-closed", T(
                f"the link to the terminal is closed (after '{lost}')", f"与终端的连接已关闭（在“{lost}”之后）"
            )
        if "connect" in self.r.errors and step.id != "laptop-network":
            return "no-greeting", T("the terminal did not answer the greeting", "终端未应答连接请求")
        if step.needs_login and not self.r.logged_in and self.driver.can("login"):
            if "login" in self.r.errors:
                return "no-login", T("needs the maintenance login, which failed", "需要维护登录，但登录失败")
            return "no-login", T("needs the maintenance login", "需要维护登录")
        refused_when_tampered = ("card-reader", "keypad", "comm-test", "sign-on", "keys-after")
        if self.r.hardware is not None and self.r.hardware.tamper == "tampered" and step.id in refused_when_tampered:
            return "tampered", T(
                "the terminal is tamper-locked: it refuses tests and its keys are erased",
                "终端已触发防拆锁定：拒绝测试，密钥已清除",
            )
        if step.gate is not None:
            reason = step.gate()
            if reason is not None:
                return GATE_CAUSES.get(reason, "other"), reason
        return None

    def _report(self, index: int, total: int, step: Step, detail: str = "") -> None:
        if self.on_progress is not None:
            budget = step.timeout_s() if callable(step.timeout_s) else step.timeout_s
            self.on_progress(StepProgress(index, total, step.id, step.title, detail, float(budget)))

    def _run_bounded(self, step: Step, index: int, total: int) -> None:
        """Run ``step`` in a helper thread; past its timeout cancel it, then close the link."""
        box: dict[str, BaseException] = {}
        self._current = (index, total, step)
        done = threading.Event()  # not is_alive(): an interrupted join() can make that lie on 3.11

        def target() -> None:
            try:
                step.run()
            except BaseException as err:  # handed to the runner's thread
                box["error"] = err
            finally:
                done.set()

        worker = threading.Thread(target=target, name=f"diagnosis-{step.id}", daemon=True)
        self._worker = worker
        worker.start()
        budget = step.timeout_s() if callable(step.timeout_s) else step.timeout_s
        deadline = time.monotonic() + budget
        cancelled_at: float | None = None
        while time.monotonic() < deadline:
            try:
                if done.wait(0.05):
                    break
            except KeyboardInterrupt:  # Ctrl-C: a cancel, so the report of what was read still comes
                self.cancel.set()
            if self.cancel.is_set() and self._skip is not None:
                self._skip.set()  # a self-test waiting for a person stops at once
            if self.cancel.is_set():
                cancelled_at = cancelled_at or time.monotonic()
                if time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                    break
        if not done.is_set():
            self._worker = None  # abandoned: whatever it still reports is dropped, never printed at exit
            self._abandoned.add(worker)  # and whatever it still reads is not recorded (_counted)
            self.driver.close()  # a read waiting on the port ends at its next check; the link state is unknown
            done.wait(STEP_GRACE_S)  # then the run goes on: the time-out is kept within STEP_GRACE_S
            if cancelled_at is not None:
                raise StepCancelled(step.id)
            raise StepTimeout(budget)
        worker.join()
        if "error" in box:
            raise box["error"]

    def _terminal_progress(self, p: Progress) -> None:
        if threading.current_thread() is not self._worker:
            return  # a step given up on (time-out, cancel) that still hears from the terminal
        index, total, step = self._current
        self._report(index, total, step, p.text)

    # -- the steps -----------------------------------------------------------------------
    def _counted(self, value):
        self._still_wanted()
        self._exchanges += 1
        return value

    def _still_wanted(self) -> None:
        """Raise :class:`StepAbandoned` in a step the runner gave up on (past its time-out): the answer
        it got late is not recorded."""
        if threading.current_thread() in self._abandoned:
            raise StepAbandoned

    def _hello(self) -> None:
        if self.driver.password_first and self.password is not None:
            try:  # a terminal that wants the password even to be greeted (ZVT): the login step says if it is wrong
                self.driver.login(self.password)
            except AuthenticationError:
                pass
        self.r.hello = self._counted(self.driver.hello())

    def _identity(self) -> None:
        self.r.identity = self._counted(self.driver.identity())

    def _login(self) -> None:
        if self.password is None:
            raise AuthenticationFailed(
                "no maintenance password given",
                attempts_left=None,
                action="logging in",
                msg_id="no-password",
                action_id="login",
            )
        self.driver.login(self.password)
        self.r.logged_in = self._counted(True)

    def _device_status(self) -> None:
        self.r.device_status = self._counted(self.driver.device_status())

    def _hardware(self) -> None:
        self.r.hardware = self._counted(self.driver.hardware())
        self.r.laptop_time = self.clock()

    def _parameters(self) -> None:
        self.r.parameters = self._counted(self.driver.parameters())

    def _keys(self) -> None:
        self.r.keys = self._counted(self.driver.key_status())

    def _counters(self) -> None:
        self.r.counters = self._counted(self.driver.counters())

    def _logs(self) -> None:
        self.r.response_log = self._counted(self.driver.read_log("response-codes"))
        self.r.error_log = self._counted(self.driver.read_log("errors"))

    def _person_gate(self) -> Text | None:
        return NOT_INTERACTIVE if self.ask_person is None else None

    def _keepalive_interval(self) -> float:
        session = self.r.hello.session_timeout_s if self.r.hello and self.r.hello.session_timeout_s else None
        return max(1.0, min(KEEPALIVE_S, session / 3)) if session else KEEPALIVE_S

    def _keep_alive(self) -> None:
        """A HELLO (it changes nothing) so the terminal's login does not lapse; log in again if it did."""
        hello = self._counted(self.driver.hello())
        if not hello.logged_in and self.password is not None and self.driver.can("login"):
            self.driver.login(self.password)

    def _ask(self, test: str) -> bool:
        """Ask the person at the terminal; True to run the test. Their time-out is theirs, not the link's.

        The asker runs in a helper thread while this thread keeps the terminal's maintenance session
        alive. A prompt nobody answers within ``person_timeout_s`` is "not tested: no answer in N s";
        a skip is "skipped by the technician"; a cancel (or Ctrl-C) stops the wait at once.
        """
        prompt = PersonPrompt(test, PROMPTS[test], self.person_timeout_s)
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                box["answer"] = self.ask_person(prompt) if self.ask_person is not None else False
            except Exception as err:  # noqa: BLE001 - an asker's failure is a skipped test, reported
                box["error"] = err
            finally:
                done.set()

        asker = threading.Thread(target=target, name=f"ask-person-{test}", daemon=True)
        started = time.monotonic()
        deadline = started + self.person_timeout_s
        interval = self._keepalive_interval()
        next_alive = started + interval
        asker.start()
        try:
            while True:
                try:
                    if done.wait(0.05):
                        break
                except KeyboardInterrupt:  # Ctrl-C while the person is asked: a cancel
                    self.cancel.set()
                now = time.monotonic()
                if self.cancel.is_set() or now >= deadline:
                    break
                if now >= next_alive:
                    self._keep_alive()
                    next_alive = time.monotonic() + interval
        except KeyboardInterrupt:
            self.cancel.set()
        except TerminalError as err:  # the link itself failed while the person was asked
            prompt.skip.set()
            done.wait(ASK_GRACE_S)
            self.r.errors[test] = StepError(
                type(err).__name__,
                f"keeping the terminal's session alive while the person was asked: {err.message}",
                err.action,
                after_frames=self._exchanges,
                text=explain(err),
            )
            return False
        if not done.is_set():
            prompt.skip.set()  # the asker stops asking
            done.wait(ASK_GRACE_S)
            if self.cancel.is_set():
                self.r.cancelled = True
                self._not_run(test, "cancelled", CANCELLED_BY_USER)
            else:
                self._not_run(test, "no-answer", no_answer(self.person_timeout_s, NO_REPLY))
            return False
        if self.cancel.is_set():
            self.r.cancelled = True
            self._not_run(test, "cancelled", CANCELLED_BY_USER)
            return False
        answer = box.get("answer")
        late = time.monotonic() - started >= self.person_timeout_s - 1.0
        if "error" in box:
            self._not_run(
                test,
                "error",
                T(
                    f"not tested: the question could not be asked ({box['error']})",
                    f"未测试：无法提问（{box['error']}）",
                ),
            )
            return False
        if answer is None or (answer is False and late):
            # None: the asker's own countdown ran out; False in the last second: the same countdown
            self._not_run(test, "no-answer", no_answer(self.person_timeout_s, NO_REPLY))
            return False
        if not answer or prompt.skip.is_set():
            self._not_run(test, "skipped", SKIPPED_BY_TECHNICIAN)
            return False
        self._prompt = prompt
        return True

    def _person_test(self, test: str) -> None:
        """The self-test itself, once the person said they are there (:meth:`_ask`)."""
        prompt = self._prompt or PersonPrompt(test, PROMPTS[test], self.person_timeout_s)
        self._prompt = None
        self._skip = prompt.skip  # the runner sets it on a cancel too, so the terminal stops waiting
        try:
            result = self._counted(
                self.driver.self_test(
                    test, timeout_s=self.person_timeout_s, on_progress=self._terminal_progress, cancel=prompt.skip
                )
            )
        finally:
            self._skip = None
        if result.result == "cancelled" and not self.cancel.is_set():
            self._not_run(test, "skipped", SKIPPED_BY_TECHNICIAN)
            return
        if result.result == "no-input":  # the terminal waited its TEST_TIMEOUT: the person's time-out
            self._not_run(test, "no-answer", no_answer(self.person_timeout_s, NO_INPUT[test]))
            return
        self.r.self_tests[test] = result

    def _comm_test(self) -> None:
        self.r.comm_test = self._counted(self.driver.comm_test(on_progress=self._terminal_progress))

    def _laptop(self) -> None:
        from ..hostcheck import compare, laptop_view

        if self.r.parameters is None and self.r.skip_causes.get("parameters") == "not-available":
            self._not_run("laptop-network", "not-available", not_available(self.driver))  # no host addresses to try
            return
        if self.r.parameters is None:
            self._not_run(
                "laptop-network",
                "no-addresses",
                T("the terminal's host addresses are not known", "不知道终端的主机地址"),
            )
            return
        if self.dialer is None:
            self._not_run("laptop-network", "no-laptop-network", T("no laptop network given", "未提供笔记本网络"))
            return
        hosts, echo = laptop_view(
            self.r.parameters, self.dialer, timeout=self.network_timeout, cafile=self.cafile, cancel=self.cancel
        )
        self._still_wanted()
        self.r.laptop_hosts, self.r.echo = hosts, echo
        if self.r.comm_test is not None:  # nothing to compare without the terminal's side
            self.r.verdict = compare(self.r.comm_test, None, self.r.laptop_hosts)

    def _sign_on_gate(self) -> Text | None:
        if not self.do_sign_on:
            return NO_SIGN_ON
        if self.r.comm_test is None:
            return NO_COMM_TEST
        if not any(h.outcome == "ok" for h in self.r.comm_test.hosts):
            return NO_HOST_REACHED
        return None

    def _sign_on(self) -> None:
        from ..hostcheck import compare

        self.r.sign_on = self._counted(self.driver.sign_on(on_progress=self._terminal_progress))
        if self.r.laptop_hosts is not None:
            self.r.verdict = compare(self.r.comm_test, self.r.sign_on, self.r.laptop_hosts)

    def _keys_after(self) -> None:
        self.r.keys_after_sign_on = self._counted(self.driver.key_status())
        if self.r.sign_on is not None and self.r.sign_on.clock_updated:  # what the sign-on did to the clock
            self.r.hardware_after_sign_on = self._counted(self.driver.hardware())
            self.r.laptop_time_after_sign_on = self.clock()


def is_link_failure(error: StepError | None) -> bool:
    return error is not None and error.error_type in (
        Disconnected.__name__,
        LinkTimeout.__name__,
        "StepTimeout",
    )


def is_login_failure(error: StepError | None) -> bool:
    return error is not None and error.error_type in (AuthenticationFailed.__name__, LockedOut.__name__)
