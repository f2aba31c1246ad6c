"""``techapp bench``: diagnose many terminals at once from the command line (techapp/bench.py; docs/bench.md)."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # techapp.bench (diagnosis, work orders) loads only when `techapp bench` runs
    from .bench import BenchRow

EXIT_CANNOT_RUN = 2


def add_bench_parser(sub: Any, person_seconds: Any) -> None:
    bench = sub.add_parser(
        "bench",
        allow_abbrev=False,
        help="the repair bench: diagnose many terminals at once (one thread each), a summary table at the end",
    )
    where = bench.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--port", action="append", metavar="PORT", help="a terminal's port (device, URL or sim://SCENARIO); repeat it"
    )
    where.add_argument(
        "--all-terminals", action="store_true", help="every port recognised as a terminal by its USB VID:PID"
    )
    from drivers.registry import DEFAULT_DRIVER, DRIVERS
    from drivers.transport import DEFAULT_BAUDRATE

    bench.add_argument(
        "--baud", type=int, default=DEFAULT_BAUDRATE, metavar="RATE", help="line speed (default %(default)s)"
    )
    bench.add_argument("--driver", default=DEFAULT_DRIVER, choices=sorted(DRIVERS), help="terminal protocol")
    bench.add_argument(
        "--password-file",
        metavar="FILE",
        help="the bench's maintenance password: first line of FILE (else $TECHAPP_PASSWORD, else a prompt)",
    )
    bench.add_argument(
        "--work-orders",
        metavar="LIST",
        help="work orders (.csv list, or one .toml/.json): each terminal gets the row naming its serial number",
    )
    bench.add_argument(
        "--profile", metavar="NAME", help="acquirer profile for every terminal (default: its work order's)"
    )
    bench.add_argument("--json", metavar="DIR", help="write each terminal's diagnosis (SN.json) and bench.json to DIR")
    bench.add_argument("--fix", choices=("none", "auto"), default="none", help="automatic repairs (default none)")
    bench.add_argument(
        "--reports",
        metavar="DIR",
        help="also write each terminal's service report to DIR (SN_PORT.pdf and its JSON; docs/reports.md)",
    )
    bench.add_argument(
        "--no-prompts", action="store_true", help="never ask for a person (card swipe, keypad): those are not tested"
    )
    bench.add_argument("--no-sign-on", action="store_true", help="the terminals do not sign on to their hosts")
    bench.add_argument("--person-timeout", type=person_seconds, metavar="SECONDS", help="time per person prompt")
    bench.add_argument("--lang", choices=("zh", "en"), help="language of the output (default: from the locale)")
    bench.add_argument("--no-history", action="store_true", help="do not record the visits in the visit history")
    bench.set_defaults(demo=False)


def _ports(args: argparse.Namespace) -> list[str]:
    if args.port:
        return list(dict.fromkeys(args.port))  # a port named twice is diagnosed once
    from drivers.ports import TERMINAL, list_ports

    return [p.device for p in list_ports(include_unknown=False) if p.kind == TERMINAL]


class PromptDesk:
    """Person prompts from several terminals, one at a time on stderr, each naming the terminal's SN and port."""

    def __init__(self, lang: str, read_answer: Any, drain: Any) -> None:
        self.lang = lang
        self.read_answer = read_answer
        self.drain = drain
        self.lock = threading.Lock()

    def __call__(self, row: BenchRow, prompt: Any) -> bool | None:
        while not self.lock.acquire(timeout=0.2):  # queued behind another terminal's prompt
            if prompt.skip.is_set():
                return None
        try:
            who = (
                f"SN {row.serial_number or '?'} on {row.port}"
                if self.lang == "en"
                else (f"序列号 {row.serial_number or '?'}，端口 {row.port}")
            )
            hint = "Enter = ready, s = skip" if self.lang == "en" else "回车 = 开始，s = 跳过"
            self.drain()
            print(f"\n>>> [{who}] {prompt.text(self.lang)} ({prompt.timeout_s} s; {hint})", file=sys.stderr, flush=True)
            answer = self.read_answer(prompt.skip)
            if answer is None:
                return None if prompt.skip.is_set() else False
            return answer.strip().lower() not in ("s", "skip", "n")
        finally:
            self.lock.release()


def _record(row: BenchRow) -> int | None:
    from .history_cli import record_diagnosis

    return record_diagnosis(row.diagnosis, before=row.before)


def cmd_bench(args: argparse.Namespace, *, lang: str, password: Any, interactive: bool, ask: Any) -> int:
    from .bench import Bench, BenchJob, load_work_orders, summary_lines, worst_exit
    from .workorder import WorkOrderError

    ports = _ports(args)
    if not ports:
        print(
            "techapp: no terminal found (no port recognised by its USB VID:PID); name them with --port", file=sys.stderr
        )
        return EXIT_CANNOT_RUN
    try:
        orders = load_work_orders(args.work_orders) if args.work_orders else []
    except WorkOrderError as err:
        print(f"techapp: {err}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if args.profile:
        from .profiles import ProfileError, load_profile

        try:
            load_profile(args.profile)
        except ProfileError as err:
            print(f"techapp: {err}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    if args.json:
        try:
            os.makedirs(args.json, exist_ok=True)
        except OSError as err:
            print(f"techapp: cannot make the folder {args.json}: {err.strerror or err}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        if not os.path.isdir(args.json):
            print(f"techapp: --json {args.json} is not a folder", file=sys.stderr)
            return EXIT_CANNOT_RUN
    secret = password()
    if secret is None:
        return EXIT_CANNOT_RUN
    live = sys.stderr.isatty()
    show = _LiveTable(lang) if live else _PlainLines(lang)
    bench = Bench(
        [BenchJob(p, profile=args.profile or "") for p in ports],
        secret,
        work_orders=orders,
        sign_on=not args.no_sign_on,
        fix=args.fix,
        ask_person=ask if interactive and not args.no_prompts else None,
        person_timeout_s=args.person_timeout,
        baud=args.baud,
        driver=args.driver,
        on_update=show.changed,
        record=None if args.no_history else _record,
        json_dir=args.json,
    )
    try:
        bench.start()
        while not bench.wait(0.25):
            show.draw(bench.rows)
    except KeyboardInterrupt:  # Ctrl-C: every terminal's diagnosis is cancelled, each logs out and closes
        bench.cancel.set()
        print("\ntechapp: cancelling every terminal...", file=sys.stderr, flush=True)
        while not bench.wait(0.25):
            pass
    show.draw(bench.rows, final=True)
    from .history import technician

    for line in summary_lines(bench.rows, lang, technician()):
        print(line)
    failed = _reports(bench.rows, args.reports, lang) if args.reports else False
    for row in bench.rows:
        if row.json_error:
            print(f"techapp: {row.json_error}", file=sys.stderr)
            failed = True
    if args.json:
        from .backups import write_json_whole

        path = os.path.join(args.json, "bench.json")
        try:
            write_json_whole(
                path,
                {
                    "format": "techapp.bench/1",
                    "exit_code": worst_exit(bench.rows),
                    "terminals": [r.to_dict() for r in bench.rows],
                },
            )
        except OSError as err:  # OutputPathError too: a link or device where bench.json goes is never replaced
            print(f"techapp: cannot write {path}: {err.strerror or err}", file=sys.stderr)
            failed = True
    return EXIT_CANNOT_RUN if bench.cancel.is_set() or failed else bench.exit_code


def _reports(rows: list[BenchRow], folder: str, lang: str) -> bool:
    """One service report per diagnosed terminal, written one after the other; True when one failed."""
    from .bench import json_name
    from .report.commands import diagnose_report

    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        print(f"techapp: cannot make the folder {folder}: {err.strerror or err}", file=sys.stderr)
        return True
    failed = False
    for row in rows:
        if row.diagnosis is None:
            continue
        pdf = os.path.join(folder, json_name(row).removesuffix(".json") + ".pdf")
        failed = diagnose_report(row.diagnosis, pdf, lang, visit_id=row.visit_id) != 0 or failed
    return failed


class _PlainLines:
    """One line on stderr per change of a terminal's state (stderr is not a terminal: a log, a pipe)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.lock = threading.Lock()
        self.last: dict[str, str] = {}

    def changed(self, row: BenchRow) -> None:
        text = row.outcome_text(self.lang) if row.outcome else row.state_text(self.lang)
        sn = f" SN {row.serial_number}" if row.serial_number else ""
        line = f"[{row.port}{sn}] {text}"
        with self.lock:
            if self.last.get(row.port) != line:
                self.last[row.port] = line
                print(line, file=sys.stderr, flush=True)

    def draw(self, rows: list[BenchRow], final: bool = False) -> None:
        pass


class _LiveTable:
    """A table redrawn in place on stderr (ANSI cursor-up), one line per terminal."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.drawn = 0
        self.last = 0.0

    def changed(self, row: BenchRow) -> None:
        pass

    def draw(self, rows: list[BenchRow], final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.2:
            return
        self.last = now
        try:  # the table's own terminal (stderr): a wrapped line would break the redraw
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        width = columns - 1 if columns > 40 else 119
        lines = []
        for r in rows:
            text = r.outcome_text(self.lang) if r.outcome else r.state_text(self.lang)
            lines.append(f"{r.port[-24:]:<24} {r.serial_number or '-':<12} {r.elapsed:5.0f} s  {text}"[:width])
        out = ("\x1b[F" * self.drawn) + "".join(f"\x1b[2K{line}\n" for line in lines)
        sys.stderr.write(out)
        sys.stderr.flush()
        self.drawn = len(lines)
