"""The repair bench: many terminals diagnosed at once (issue 12; docs/bench.md).

One worker thread per terminal, each with its own driver, ``Diagnoser`` and ``BenchRow``: nothing mutable is
shared between two terminals' diagnoses, so a hung or pulled terminal only ends its own row. The window's
Bench view (ui/bench_view.py) and ``techapp bench`` both run a ``Bench``.

The bench preset: no site network (the laptop's network checks are off: the bench is not the shop),
the sign-on optional, the runner's order (identity, login, hardware, parameters, keys first).
"""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.errors import TerminalError
from drivers.registry import DEFAULT_DRIVER, open_terminal
from drivers.safeio import InputFileError, read_text
from drivers.transport import DEFAULT_BAUDRATE

from .diagnosis.model import T, Text
from .workorder import WorkOrder, WorkOrderError, from_mapping

#: the states a row goes through, in order (the window shows them with an icon and these words)
STATES: dict[str, Text] = {
    "waiting": T("waiting", "等待"),
    "connecting": T("connecting", "正在连接"),
    "logged-in": T("logged in", "已登录"),
    "diagnosing": T("diagnosing", "正在诊断"),
    "repairing": T("repairing", "正在修复"),
    "done": T("done", "完成"),
    "gone": T("port gone", "端口已移除"),
}
#: outcomes of a row: the diagnosis's three, and "could-not-run" (exit 2: no link, wrong password, cancelled)
OUTCOME_TEXTS: dict[str, Text] = {
    "healthy": T("healthy", "正常"),
    "faults": T("faults", "有故障"),
    "incomplete": T("incomplete", "未完成"),
    "could-not-run": T("could not run", "无法运行"),
}
#: worst first: the bench's exit code is the worst row's
WORST_FIRST = ("could-not-run", "faults", "incomplete", "healthy")
EXIT_BY_OUTCOME = {"healthy": 0, "faults": 1, "could-not-run": 2, "incomplete": 3}


@dataclass
class BenchJob:
    """One terminal to diagnose: its port and, optionally, its own work order, profile and password."""

    port: str
    work_order: WorkOrder | None = None
    profile: str = ""  # acquirer profile name; "" = the work order's, else none
    password: str | None = None  # None = the bench's password


@dataclass
class BenchRow:
    """What the bench shows for one terminal; written only by its own worker thread."""

    port: str
    state: str = "waiting"
    step: int = 0
    total: int = 0
    step_title: Text | None = None
    model: str = ""
    serial_number: str = ""
    tid: str = ""
    work_order_id: str = ""
    outcome: str = ""  # "" until done; see OUTCOME_TEXTS
    top: Text | None = None  # the top finding's title, or the reason it could not run
    started: float | None = None
    finished: float | None = None
    diagnosis: Any = None  # techapp.diagnosis.model.Diagnosis when done
    before: Any = None  # the diagnosis before a repair
    visit_id: int | None = None
    json_path: str = ""
    json_error: str = ""

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def exit_code(self) -> int:
        return EXIT_BY_OUTCOME.get(self.outcome, 2)

    def state_text(self, lang: str) -> str:
        words = STATES.get(self.state, T(self.state, self.state))(lang)
        if self.state == "diagnosing" and self.total:
            title = self.step_title(lang) if self.step_title else ""
            if lang == "zh":
                return f"正在诊断 第{self.step}/{self.total}步 {title}".strip()
            return f"diagnosing step {self.step} of {self.total}: {title}".rstrip(": ")
        return words

    def outcome_text(self, lang: str) -> str:
        if not self.outcome:
            return ""
        words = OUTCOME_TEXTS[self.outcome](lang)
        return f"{words}: {self.top(lang)}" if self.top is not None else words

    def to_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "model": self.model,
            "serial_number": self.serial_number,
            "tid": self.tid,
            "work_order": self.work_order_id or None,
            "outcome": self.outcome,
            "top": self.top.to_dict() if self.top is not None else None,
            "findings": [f.id for f in self.diagnosis.findings] if self.diagnosis is not None else [],
            "actions": [
                {"action": o.action, "result": o.result}
                for o in (self.diagnosis.actions_taken if self.diagnosis else [])
            ],
            "exit_code": self.exit_code,
            "elapsed_s": round(self.elapsed, 1),
            "visit_id": self.visit_id,
            "json": self.json_path or None,
        }


def load_work_orders(path: str | Path) -> list[WorkOrder]:
    """Every row of a CSV work-order list (``.toml``/``.json``: the one order), for matching by serial number."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        from .workorder import load_work_order

        return [load_work_order(path)]
    try:
        text = read_text(path, what="work order list")
    except InputFileError as err:
        raise WorkOrderError(str(err)) from err
    reader = csv.DictReader(text.splitlines(), restval="")
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        if len(set(header)) != len(header):
            raise WorkOrderError(f"{path}: the header names a column twice; which one is meant is not clear")
        rows = list(reader)
    except csv.Error as err:
        raise WorkOrderError(f"{path}: not a usable CSV file (line {reader.line_num}: {err})") from err
    orders = []
    for number, row in enumerate(rows, start=2):
        if None in row:
            raise WorkOrderError(f"{path}: row {number} has more cells than the header has columns")
        orders.append(from_mapping({k.strip(): v for k, v in row.items()}, where=f"{path}: row {number}"))
    if not orders:
        raise WorkOrderError(f"{path}: no work order rows under the header")
    return orders


def match_work_order(orders: Iterable[WorkOrder], serial_number: str) -> WorkOrder | None:
    """The order naming this serial number, else None (an order without a serial number matches nothing)."""
    sn = serial_number.strip()
    if not sn:
        return None
    for order in orders:
        if order.serial_number.strip() == sn:
            return order
    return None


def json_name(row: BenchRow) -> str:
    """``SN_port.json``: unique on one bench even when two terminals report the same serial number."""
    return f"{safe_name(row.serial_number or 'unknown')}_{safe_name(row.port)}.json"


def safe_name(text: str) -> str:
    """A file-name part from a serial number or port ("/dev/ttyUSB0" -> "dev_ttyUSB0")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "terminal"


AskOnBench = Callable[[BenchRow, Any], "bool | None"]


class Bench:
    """Diagnoses ``jobs`` at once, one thread each; ``on_update(row)`` is called from the workers."""

    def __init__(
        self,
        jobs: list[BenchJob],
        password: str | None,
        *,
        work_orders: list[WorkOrder] | None = None,
        sign_on: bool = True,
        fix: str = "none",
        ask_person: AskOnBench | None = None,
        person_timeout_s: int | None = None,
        baud: int = DEFAULT_BAUDRATE,
        driver: str = DEFAULT_DRIVER,
        on_update: Callable[[BenchRow], None] | None = None,
        record: Callable[[BenchRow], int | None] | None = None,
        json_dir: str | Path | None = None,
        driver_options: dict[str, Any] | None = None,
    ) -> None:
        self.jobs = jobs
        self.password = password
        self.work_orders = list(work_orders or [])
        self.sign_on = sign_on
        self.fix = fix
        self.ask_person = ask_person
        self.person_timeout_s = person_timeout_s
        self.baud = baud
        self.driver = driver
        self.on_update = on_update or (lambda row: None)
        self.record = record
        self.json_dir = Path(json_dir) if json_dir else None
        self.driver_options = dict(driver_options or {})  # e.g. response_timeout (tests of a hung terminal)
        self.rows = [BenchRow(job.port) for job in jobs]
        self.cancel = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ended = [threading.Event() for _ in jobs]  # set by each worker as its very last step

    # -- running
    def start(self) -> None:
        for job, row, ended in zip(self.jobs, self.rows, self._ended, strict=True):
            t = threading.Thread(target=self._run_one, args=(job, row, ended), name=f"bench {job.port}", daemon=True)
            self._threads.append(t)
            t.start()

    def wait(self, timeout: float | None = None) -> bool:
        """True when every worker ended (within ``timeout`` seconds).

        Waits on each row's own event, not Thread.join: a join cut short by Ctrl-C can leave a running
        thread looking ended (is_alive() False), and the command would then leave before its logouts.
        """
        end = None if timeout is None else time.monotonic() + timeout
        return all(done.wait(None if end is None else max(0.0, end - time.monotonic())) for done in self._ended)

    def run(self) -> list[BenchRow]:
        self.start()
        self.wait()
        return self.rows

    @property
    def running(self) -> bool:
        return not all(done.is_set() for done in self._ended)

    @property
    def exit_code(self) -> int:
        return worst_exit(self.rows)

    # -- one terminal
    def _update(self, row: BenchRow) -> None:
        try:
            self.on_update(row)
        except Exception:  # noqa: BLE001 - a display problem never stops a diagnosis
            pass

    def _run_one(self, job: BenchJob, row: BenchRow, ended: threading.Event) -> None:
        try:
            self._work(job, row)
        finally:
            ended.set()

    def _work(self, job: BenchJob, row: BenchRow) -> None:
        from .diagnosis.checks import Context
        from .diagnosis.engine import Diagnoser, run_with_baud_probe
        from .diagnosis.runner import PERSON_TIMEOUT_S
        from .profiles import ProfileError, load_profile

        row.started = time.monotonic()
        row.state = "connecting"
        self._update(row)
        opened: list = []
        profiles: dict[str, Any] = {}

        def profile_for(order: WorkOrder | None) -> Any:
            name = job.profile or (order.acquirer_profile if order else "")
            if not name:
                return None
            if name not in profiles:
                profiles[name] = load_profile(name)
            return profiles[name]

        def progress(p) -> None:
            row.state = "connecting" if p.step in ("connect", "identity", "login") else "diagnosing"
            row.step, row.total, row.step_title = p.index, p.total, p.title
            self._update(row)

        diagnosers: list = []

        def tap(driver) -> Any:
            """Show the serial number and TID as soon as they are read; pick the work order by serial number."""
            identity, parameters, login = driver.identity, driver.parameters, driver.login

            def read_identity():
                ident = identity()
                row.model, row.serial_number = ident.model, ident.serial_number
                if job.work_order is None and self.work_orders and diagnosers:
                    order = match_work_order(self.work_orders, ident.serial_number)
                    if order is not None:
                        d = diagnosers[-1]
                        d.ctx = Context(order, profile_for(order))
                        row.work_order_id = order.id
                self._update(row)
                return ident

            def read_parameters():
                params = parameters()
                row.tid = params.tid
                self._update(row)
                return params

            def do_login(password: str) -> None:
                login(password)
                row.state = "logged-in"
                self._update(row)

            driver.identity, driver.parameters, driver.login = read_identity, read_parameters, do_login
            return driver

        def open_driver(baud: int):
            driver = tap(open_terminal(job.port, self.driver, baudrate=baud, **self.driver_options))
            opened.append(driver)
            return driver

        def ask(prompt) -> bool | None:
            return self.ask_person(row, prompt) if self.ask_person else None

        try:
            order = job.work_order
            if order is not None:
                row.work_order_id = order.id

            def make(driver):
                d = Diagnoser(
                    driver,
                    job.password if job.password is not None else self.password,
                    port=job.port,
                    work_order=order,
                    profile=profile_for(order),
                    dialer=None,  # the bench preset: no site network, the laptop's checks are off
                    sign_on=self.sign_on,
                    ask_person=ask if self.ask_person else None,
                    on_progress=progress,
                    cancel=self.cancel,
                    person_timeout_s=self.person_timeout_s or PERSON_TIMEOUT_S,
                )
                diagnosers.append(d)
                return d

            diagnoser, result = run_with_baud_probe(open_driver, self.baud, make)
            if self.fix == "auto" and result.could_not_run is None and not self.cancel.is_set():
                row.state = "repairing"
                self._update(row)
                row.before, result = result, diagnoser.repair(result, lambda action, finding: not action.after_manual)
            row.diagnosis = result
            self._finish(row, result)
        except (TerminalError, ProfileError, OSError) as err:
            row.outcome = "could-not-run"
            row.top = _explained(err)
        except Exception as err:  # noqa: BLE001 - one terminal's bug must not end the bench
            row.outcome = "could-not-run"
            row.top = T(f"internal error: {err!r}", f"内部错误：{err!r}")
        finally:
            for driver in opened:
                try:
                    driver.close()
                except Exception:  # noqa: BLE001 - closing a pulled cable's port may fail
                    pass
            row.finished = time.monotonic()
            if row.state != "gone":
                row.state = "done"
            self._save(row)
            self._update(row)

    def _finish(self, row: BenchRow, result: Any) -> None:
        terminal = result.terminal or {}
        row.model = terminal.get("model") or row.model
        row.serial_number = terminal.get("serial_number") or row.serial_number
        row.tid = terminal.get("tid") or row.tid
        if result.exit_code == 2:
            row.outcome = "could-not-run"
            row.top = result.could_not_run or T("cancelled", "已取消")
        else:
            row.outcome = result.outcome
            top = result.top
            if top is not None:
                row.top = top.title
            elif result.untested:
                row.top = T("not tested: ", "未测试：") + result.untested[0].title
            else:
                row.top = None

    def _save(self, row: BenchRow) -> None:
        if row.diagnosis is None:
            return
        if self.json_dir is not None:
            from .backups import write_json_whole

            path = self.json_dir / json_name(row)
            try:
                self.json_dir.mkdir(parents=True, exist_ok=True)
                write_json_whole(path, row.diagnosis.to_dict())
                row.json_path = str(path)
            except OSError as err:  # said in the summary; the other terminals' files are still written
                row.json_error = f"cannot write {path}: {err.strerror or err}"
        if self.record is not None:
            try:
                row.visit_id = self.record(row)
            except Exception:  # noqa: BLE001 - the history is a record, never a reason to fail the row
                row.visit_id = None


def _explained(err: BaseException) -> Text:
    try:
        from .errors import explain

        return explain(err, where="report")
    except Exception:  # noqa: BLE001
        return T(str(err), str(err))


def worst_exit(rows: Iterable[BenchRow]) -> int:
    outcomes = {r.outcome or "could-not-run" for r in rows}
    for outcome in WORST_FIRST:
        if outcome in outcomes:
            return EXIT_BY_OUTCOME[outcome]
    return 0


def summary_lines(rows: list[BenchRow], lang: str, technician: dict[str, str] | None = None) -> list[str]:
    """The bench summary sheet as text: one line per terminal, its findings and actions, the technician."""
    head = (
        ("PORT", "SN", "MODEL", "TID", "OUTCOME", "TIME")
        if lang == "en"
        else ("端口", "序列号", "型号", "终端号", "结果", "用时")
    )
    table = [head] + [
        (
            r.port,
            r.serial_number or "-",
            r.model or "-",
            r.tid or "-",
            OUTCOME_TEXTS.get(r.outcome, T("-", "-"))(lang),
            f"{r.elapsed:.1f} s",
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(head))]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table]
    for r in rows:
        if r.top is None and not (r.diagnosis and r.diagnosis.actions_taken):
            continue
        out.append(f"  {r.serial_number or '-'} ({r.port}): {r.top(lang) if r.top is not None else ''}".rstrip())
        if r.diagnosis is not None:
            for f in r.diagnosis.findings[1:]:
                out.append(f"      + {f.title(lang)}")
            for o in r.diagnosis.actions_taken:  # with the finding it was for (a repaired one is no longer listed)
                what = o.title(lang) if o.title is not None else o.action
                why = f" ({o.finding_title(lang)})" if o.finding_title is not None else ""
                out.append(f"      * {what}{why}: {o.message(lang) if o.message else o.result}")
    who = technician or {}
    if who.get("name"):
        label = "Technician" if lang == "en" else "技术员"
        out.append(f"{label}: {who['name']}" + (f" ({who['id']})" if who.get("id") else ""))
    return out
