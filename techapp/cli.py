"""The ``techapp`` command line.

Exit codes: 0 success (``diagnose``: healthy); 1 the command ran but found
problems (``diagnose``: faults found; ``info``: read only part of the terminal);
2 it could not run (bad arguments, port not available, link lost; ``diagnose``:
also a diagnosis that ran only in part or was cancelled); 3 ``diagnose`` only:
incomplete, no fault found among what ran but tests that bear on the terminal's
health or the complaint did not run (the report's first line names them).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.addr import hostport
from drivers.errors import TerminalError
from drivers.registry import DEFAULT_DRIVER, DRIVERS, masked_hex, open_terminal
from drivers.safeio import STDOUT, OutputPathError, check_output_path, open_private_append
from drivers.transport import DEFAULT_BAUDRATE

from . import __version__
from .credentials import DEMO_PASSWORD, PasswordUnavailable, read_password
from .history_cli import add_history_parser, add_no_history_arg, cmd_history, record_diagnosis, record_restore

DEMO_SCENARIO = "demo-97"
EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INCOMPLETE = 0, 1, 2, 3


#: Line speeds a terminal's serial port offers; anything else is a typo (1 baud would run for minutes).
STANDARD_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)


def _baud(text: str) -> int:
    try:
        value = int(text) if len(text) <= 10 else -1
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a line speed") from None
    if value not in STANDARD_BAUDS:
        shown = text if len(text) <= 12 else text[:12] + "..."
        raise argparse.ArgumentTypeError(
            f"{shown} is not a standard line speed ({', '.join(map(str, STANDARD_BAUDS))})"
        ) from None
    return value


def _tcp_port(text: str) -> int:
    try:
        value = int(text) if len(text) <= 10 else -1
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port number") from None
    if not 0 <= value <= 65535:
        shown = text if len(text) <= 12 else text[:12] + "..."
        raise argparse.ArgumentTypeError(f"{shown} is outside the TCP port range 0..65535") from None
    return value


def _add_connection_args(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="device path, pyserial URL (socket://, rfc2217://) or sim://SCENARIO")
    where.add_argument(
        "--demo",
        action="store_true",
        help=f"use the built-in simulated terminal (sim://{DEMO_SCENARIO}) and its published demo password",
    )
    p.add_argument(
        "--baud",
        type=_baud,
        default=None,
        metavar="RATE",
        help=f"line speed, one of {', '.join(map(str, STANDARD_BAUDS))} (default: the driver's, "
        f"{DEFAULT_BAUDRATE} for the default driver)",
    )
    p.add_argument("--driver", default=DEFAULT_DRIVER, choices=sorted(DRIVERS), help="terminal protocol")
    p.add_argument(
        "--password-file",
        metavar="FILE",
        help="read the maintenance password from the first line of FILE "
        "(else $TECHAPP_PASSWORD, else a prompt; never an argument)",
    )


def _add_real_network_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--real-network",
        action="store_true",
        help="let the laptop's checks use the real network (on site); without it they stay on loopback",
    )


def _add_host_trace_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host-trace",
        metavar="FILE.pcap",
        help="write the host traffic as a pcap: the terminal's sign-on 0800/0810 and the laptop's echo tests "
        "0820/0830 (open with Wireshark, see docs/evidence.md)",
    )


def _person_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 1 <= value <= 600:
        raise argparse.ArgumentTypeError(f"{value} is outside 1..600 seconds (the terminal's own limit)")
    return value


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False everywhere: argparse would otherwise take "--password SECRET" as an
    # abbreviation of --password-file and echo the secret back as a file name.
    parser = argparse.ArgumentParser(
        prog="techapp",
        description="Diagnose and repair card-payment (POS) terminals over USB serial.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"techapp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", allow_abbrev=False, help="read identity, parameters, keys, hardware and counters")
    _add_connection_args(info)
    info.add_argument("--json", action="store_true", help="print JSON (schema techapp.info/1) instead of text")
    info.add_argument(
        "--trace", metavar="FILE", help="append every byte on the link to FILE (time, direction, kind, hex)"
    )

    network = sub.add_parser(
        "network",
        allow_abbrev=False,
        help="the terminal's comm test and the laptop's checks of the same hosts, compared",
    )
    _add_connection_args(network)
    network.add_argument(
        "--sign-on",
        action="store_true",
        help="also have the TERMINAL sign on to its host (it takes new working keys); the laptop never signs on",
    )
    network.add_argument("--json", action="store_true", help="print JSON (schema techapp.network/1)")
    _add_host_trace_arg(network)
    _add_real_network_arg(network)
    network.add_argument(
        "--profile",
        metavar="NAME",
        help="acquirer profile that explains response codes (resources/acquirers/; --demo uses 'demo')",
    )

    diag = sub.add_parser(
        "diagnose",
        allow_abbrev=False,
        help="check the terminal, its network and its host; find root causes and repair what can be repaired",
    )
    _add_connection_args(diag)
    diag.add_argument(
        "--work-order", metavar="FILE", help="the job's work order (.toml, .json or .csv; see docs/work-orders.md)"
    )
    diag.add_argument("--order-id", metavar="ID", help="with a CSV work order listing several jobs: which one")
    diag.add_argument(
        "--profile",
        metavar="NAME",
        help="acquirer profile (resources/acquirers/; default: the work order's, --demo uses 'demo')",
    )
    diag.add_argument(
        "--fix",
        choices=("none", "ask", "auto"),
        help="automatic repairs: none; ask before each (the default when run interactively, else none); auto",
    )
    diag.add_argument(
        "--json",
        metavar="FILE",
        help="also write the full result as JSON (schema techapp.diagnosis/1); '-' writes it to standard output "
        "instead of the text report",
    )
    diag.add_argument("--lang", choices=("zh", "en"), help="language of the report (default: from the locale)")
    diag.add_argument(
        "--no-sign-on",
        action="store_true",
        help="do not have the terminal sign on (it takes new working keys); the host's answer is then not tested",
    )
    diag.add_argument(
        "--no-prompts",
        action="store_true",
        help="never ask for a person at the terminal (card swipe, keypad); those tests are then not tested "
        "and a run without a fault ends 'incomplete' (exit 3)",
    )
    diag.add_argument(
        "--person-timeout",
        type=_person_seconds,
        metavar="SECONDS",
        help="time a person gets to answer a prompt, and then to swipe or press the keys (1-600, default 30)",
    )
    _add_real_network_arg(diag)
    add_no_history_arg(diag)
    diag.add_argument(
        "--report",
        metavar="FILE.pdf",
        help="also write the service report as PDF (in --lang) and its canonical JSON beside it (FILE.json)",
    )
    _add_host_trace_arg(diag)
    diag.add_argument(
        "--bundle",
        metavar="FILE.zip",
        help="also write the evidence bundle for escalation (report, diagnosis, maintenance log, host traffic pcap; "
        "a folder: SN_YYYYMMDD-HHMM.zip in it; docs/evidence.md)",
    )

    from .bench_cli import add_bench_parser

    add_bench_parser(sub, _person_seconds)  # techapp bench (techapp/bench_cli.py)

    restore = sub.add_parser(
        "restore", allow_abbrev=False, help="write a parameter backup (made before every repair) back to the terminal"
    )
    _add_connection_args(restore)
    restore.add_argument("--backup", metavar="FILE", required=True, help="backup file (techapp.backup/1)")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_no_history_arg(restore)
    add_history_parser(sub)

    ports = sub.add_parser(
        "ports", allow_abbrev=False, help="list serial ports, recognised terminals and USB-serial bridges first"
    )
    ports.add_argument("--json", action="store_true", help="print JSON")

    sim = sub.add_parser(
        "sim", allow_abbrev=False, help="run a simulated terminal on a pty or TCP port (training, tests, demos)"
    )
    sim.add_argument("scenario", nargs="?", help="shipped scenario name or path to a .toml file")
    mode = sim.add_mutually_exclusive_group()
    mode.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal and print its path")
    mode.add_argument("--tcp", type=_tcp_port, metavar="PORT", help="serve on 127.0.0.1:PORT (0 picks a free port)")
    mode.add_argument("--list", action="store_true", help="list the shipped scenarios")
    mode.add_argument("--check", action="store_true", help="validate the scenario file and exit")
    sim.add_argument("--link", metavar="PATH", help="with --pty: keep a symlink at PATH to the current pty")
    sim.add_argument(
        "--netmap",
        metavar="FILE",
        help="write the laptop's view of the simulated network to FILE; run techapp with TECHAPP_NETMAP=FILE",
    )

    acq = sub.add_parser(
        "acquirer",
        allow_abbrev=False,
        help="run a scenario's simulated acquirer hosts (CUP-style ISO 8583) on loopback ports",
    )
    acq.add_argument("scenario", help="shipped scenario name or path to a .toml file")
    acq.add_argument("--trace", metavar="FILE", help="append every message to FILE (time, rx/tx, host, hex)")
    acq.add_argument("--ca", metavar="FILE", help="write the demo CA certificate (PEM) to FILE when a host uses TLS")
    from .report.commands import add_parsers as add_report_parsers

    add_report_parsers(sub)  # report, verify, settings (techapp/report/commands.py)
    return parser


def _err(message: str) -> None:
    print(f"techapp: {message}", file=sys.stderr)


def _err_terminal(err: BaseException) -> None:
    """A driver error in plain words with the command line's advice, then the driver's own detail."""
    from .errors import explain

    _err(f"{explain(err, where='cli').en} ({err})")


def _tracer(stream):
    """Trace lines: ``2026-11-25 09:12:03.120  tx  frame  01 10 02 00``. Frame DATA, ACK/NAK, bad input."""
    if stream is None:
        return None

    def trace(direction: str, kind: str, raw: bytes) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        # login proofs masked as in the window's traffic log: a trace must not allow offline password guessing
        shown = raw.decode("ascii", "replace") if kind == "bad" else masked_hex(raw)
        stream.write(f"{stamp}  {direction}  {kind:<7} {shown}\n")

    return trace


def _password(args: argparse.Namespace) -> str | None:
    """The demo's published password, or one from a file, the environment or a prompt; None after an error."""
    if args.demo:
        return DEMO_PASSWORD
    try:
        return read_password(args.password_file)
    except PasswordUnavailable as err:
        _err(str(err))
        return None


def _open_trace(path: str | None):
    """The trace file opened for appending (mode 0600, never through a link or onto a device), or None.

    An ``OSError`` (with the reason as its strerror) is the caller's to report.
    """
    if not path:
        return None
    try:
        return open_private_append(path)
    except OutputPathError as err:
        raise OSError(0, str(err).split(": ", 1)[-1]) from err


def cmd_info(args: argparse.Namespace) -> int:
    from .info import collect_info, render_text

    port = f"sim://{DEMO_SCENARIO}" if args.demo else args.port
    password = _password(args)
    if password is None:
        return EXIT_CANNOT_RUN
    try:
        trace_file = _open_trace(args.trace)
    except OSError as err:
        _err(f"cannot write trace file {args.trace}: {err.strerror or err}")
        return EXIT_CANNOT_RUN
    try:
        try:
            driver = open_terminal(port, args.driver, baudrate=args.baud, trace=_tracer(trace_file))
        except TerminalError as err:
            _err_terminal(err)
            return EXIT_CANNOT_RUN
        with driver:
            info = collect_info(driver, password, port=port)
    finally:
        if trace_file is not None:
            trace_file.close()
    if args.json:
        json.dump(info.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(info))
    if info.identity is None and info.errors:
        if not args.json:
            _err(f"could not read the terminal on {port}: {info.errors[0].message}")
            if info.errors[0].error_type == "LinkTimeout":
                _err(
                    f"nothing answered at {args.baud} baud: check the cable, that the terminal shows its "
                    "maintenance/ECR screen, and the line speed (--baud 9600 is common on older terminals)"
                )
        return EXIT_CANNOT_RUN
    return EXIT_OK if info.complete else EXIT_FINDINGS


def cmd_network(args: argparse.Namespace) -> int:
    from .hostcheck import gather, render_report
    from .laptopnet import laptop_dialer, trusted_ca  # the laptop's checks (cryptography, psutil): only here
    from .profiles import ProfileError, load_profile

    port = f"sim://{DEMO_SCENARIO}" if args.demo else args.port
    profile_name = args.profile or ("demo" if args.demo else None)
    try:
        profile = load_profile(profile_name) if profile_name else None
    except ProfileError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    password = _password(args)
    if password is None:
        return EXIT_CANNOT_RUN
    try:  # a bad $TECHAPP_NETMAP is named before the terminal is touched (as diagnose does)
        dialer = laptop_dialer(port, real_network=args.real_network)
    except (ValueError, OSError) as err:
        _err(f"laptop network: {err}")
        return EXIT_CANNOT_RUN
    try:
        driver = open_terminal(port, args.driver, baudrate=args.baud)
    except TerminalError as err:
        _err_terminal(err)
        return EXIT_CANNOT_RUN
    with driver:
        try:
            driver.login(password)
        except TerminalError as err:
            _err_terminal(err)
            return EXIT_CANNOT_RUN
        progress = (lambda p: print(f"  {p.text}", file=sys.stderr)) if sys.stderr.isatty() else None
        with trusted_ca(getattr(dialer, "ca_pem", None)) as cafile:
            report = gather(driver, dialer, sign_on=args.sign_on, on_progress=progress, cafile=cafile)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_report(report, profile))
    if args.host_trace:
        from .evidence import cli_host_trace, from_network_report

        if cli_host_trace(from_network_report(report), args.host_trace) != 0:
            return EXIT_CANNOT_RUN
    fine = report.verdict.code in ("healthy", "reachable")
    return EXIT_OK if fine and not report.errors else EXIT_FINDINGS


DEMO_WORK_ORDER = "demo-97.toml"


def _lang(args: argparse.Namespace) -> str:
    if args.lang:
        return args.lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


# POSIX waits on standard input with select(); Windows' select() takes only sockets, and its console key
# buffer (msvcrt.kbhit) does not see a pipe: there one daemon thread reads the descriptor into a queue.
_SELECT_STDIN = os.name != "nt"
_stdin_chunks: queue.Queue[bytes] | None = None
_stdin_pending = bytearray()
_stdin_ended = False


def _stdin_thread_ready(timeout: float) -> bool:
    global _stdin_chunks, _stdin_ended
    if _stdin_chunks is None:
        _stdin_chunks = queue.Queue()
        fd = sys.stdin.fileno()
        chunks = _stdin_chunks

        def pump() -> None:
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                chunks.put(chunk)
                if not chunk:
                    return

        threading.Thread(target=pump, name="stdin-reader", daemon=True).start()
    if _stdin_pending or _stdin_ended:
        return True
    try:
        chunk = _stdin_chunks.get(timeout=max(timeout, 0.0)) if timeout > 0 else _stdin_chunks.get_nowait()
    except queue.Empty:
        return False
    if chunk:
        _stdin_pending.extend(chunk)
    else:
        _stdin_ended = True
    return True


def _stdin_ready(timeout: float) -> bool:
    """True when standard input has something to read (a line, or its end) within ``timeout`` seconds."""
    if not _SELECT_STDIN:
        return _stdin_thread_ready(timeout)
    return bool(select.select([sys.stdin.fileno()], [], [], timeout)[0])


def _stdin_read(fd: int) -> bytes:
    """What standard input has (after :func:`_stdin_ready`); b"" at its end."""
    if _SELECT_STDIN:
        return os.read(fd, 4096)
    chunk = bytes(_stdin_pending)
    _stdin_pending.clear()
    return chunk


def _drain_stdin() -> None:
    """Throw away what was typed before a question (a late Enter must not answer the next one)."""
    try:
        fd = sys.stdin.fileno()
        if _SELECT_STDIN and os.isatty(fd):
            import termios

            termios.tcflush(fd, termios.TCIFLUSH)
            return
        while _stdin_ready(0) and _stdin_read(fd):
            pass
    except (OSError, ValueError):
        pass


def _read_answer(stop: threading.Event | None = None) -> str | None:
    """One line from standard input; None at its end, or as soon as ``stop`` is set.

    Reads the file descriptor itself, a little at a time, checking ``stop`` in between: nothing
    is ever left blocked in ``input()`` holding the stdin buffer's lock, which makes the
    interpreter abort at exit ("Fatal Python error: could not acquire lock") when a question is
    withdrawn. Ctrl-C still interrupts it (in the main thread).
    """
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return None
    got = b""
    while stop is None or not stop.is_set():
        if not _stdin_ready(0.1):
            continue
        chunk = _stdin_read(fd)
        if not chunk:
            return got.decode("utf-8", "replace") if got else None
        got += chunk
        if b"\n" in got or b"\r" in got:
            return got.splitlines()[0].decode("utf-8", "replace") if got.strip() else ""
    return None


def _ask_person(lang: str):
    """Asks on stderr, reads the answer from stdin; the runner's time-out or a cancel withdraws the question."""

    def ask(prompt) -> bool | None:
        text = prompt.text(lang)
        hint = "Enter = ready, s = skip" if lang == "en" else "回车 = 开始，s = 跳过"
        _drain_stdin()
        print(f"\n>>> {text} ({prompt.timeout_s} s; {hint})", file=sys.stderr, flush=True)
        answer = _read_answer(prompt.skip)
        if answer is None:
            if prompt.skip.is_set():  # withdrawn: the runner records "no answer in N s" (or the cancel)
                return None
            return False  # end of input: nobody will answer
        return answer.strip().lower() not in ("s", "skip", "n")

    return ask


def _confirm(lang: str):
    from .diagnosis.render import render_action

    def confirm(action, finding) -> bool:
        print("", file=sys.stderr)
        for line in render_action(action, lang, "*", indent=""):
            print(line, file=sys.stderr)
        prompt = "Do it now? [y/N] " if lang == "en" else "现在执行？[y/N] "
        _drain_stdin()
        print(prompt, end="", file=sys.stderr, flush=True)
        answer = _read_answer()
        return answer is not None and answer.strip().lower() in ("y", "yes", "是")

    return confirm


def cmd_diagnose(args: argparse.Namespace) -> int:
    from drivers.resources import resource_root

    from .backups import write_json_whole
    from .diagnosis.engine import Diagnoser, run_with_baud_probe
    from .diagnosis.render import render_text
    from .diagnosis.runner import PERSON_TIMEOUT_S
    from .laptopnet import laptop_dialer, trusted_ca  # the laptop's checks (cryptography, psutil): only here
    from .profiles import ProfileError, read_profile
    from .workorder import WorkOrderError, load_work_order

    lang = _lang(args)
    port = f"sim://{DEMO_SCENARIO}" if args.demo else args.port
    order_path = args.work_order or (str(resource_root() / "work-orders" / DEMO_WORK_ORDER) if args.demo else None)
    try:
        work_order = load_work_order(order_path, args.order_id) if order_path else None
    except WorkOrderError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    profile_name = args.profile or (work_order.acquirer_profile if work_order else "") or ("demo" if args.demo else "")
    try:  # found, read and parsed before the terminal is touched; validated (pydantic) during the first reads
        profile = _validate_in_background(read_profile(profile_name)) if profile_name else None
    except ProfileError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    for path, what in ((args.json, "JSON file"), (args.report, "report")):
        if path and path != STDOUT:
            try:  # refused before anything is done on the terminal: a device, FIFO, folder or link is never replaced
                check_output_path(path, what=what)
            except OutputPathError as err:
                _err(str(err))
                return EXIT_CANNOT_RUN
    password = _password(args)
    if password is None:
        return EXIT_CANNOT_RUN
    fix = args.fix or ("ask" if _interactive() else "none")
    if fix == "ask" and not _interactive():
        fix = "none"
        _err("--fix ask needs an interactive terminal to answer; no repair will be done (use --fix auto)")
    ask_person = _ask_person(lang) if _interactive() and not args.no_prompts else None

    shown: list[str] = [""]
    finished = threading.Event()  # after it, no progress line: nothing writes to stderr while Python exits

    def progress(p) -> None:
        if finished.is_set():
            return
        detail = f": {p.detail}" if p.detail else ""
        line = f"[{p.index}/{p.total}] {p.title(lang)}{detail}"
        if line != shown[0]:  # the terminal repeats "waiting for the network" every half second
            shown[0] = line
            print(line, file=sys.stderr, flush=True)

    try:
        dialer = laptop_dialer(port, real_network=args.real_network)
    except (ValueError, OSError) as err:
        _err(f"laptop network: {err}")
        return EXIT_CANNOT_RUN

    opened: list = []  # every driver opened: closed (and so logged out) whatever happens

    maintenance_log = None  # the bundle's maintenance traffic log
    if args.bundle:
        from .evidence import MaintenanceLog

        maintenance_log = MaintenanceLog()

    def open_driver(baud: int):
        driver = open_terminal(port, args.driver, baudrate=baud, trace=maintenance_log)
        opened.append(driver)
        return driver

    def close_all() -> None:
        for driver in opened:
            driver.close()

    with trusted_ca(getattr(dialer, "ca_pem", None)) as cafile:

        def make(driver):
            return Diagnoser(
                driver,
                password,
                port=port,
                work_order=work_order,
                profile=profile,
                dialer=dialer,
                cafile=cafile,
                sign_on=not args.no_sign_on,
                ask_person=ask_person,
                on_progress=progress,
                person_timeout_s=args.person_timeout or PERSON_TIMEOUT_S,
            )

        try:
            diagnoser, result = run_with_baud_probe(open_driver, args.baud, make)
            before = None  # the diagnosis before a repair, for the visit history
        except TerminalError as err:
            close_all()
            _err_terminal(err)
            return EXIT_CANNOT_RUN
        except ProfileError as err:  # found invalid during the reads: nothing was tested or written; log out
            close_all()
            finished.set()
            _err(f"{err} (the diagnosis stopped after reading the terminal; nothing was written)")
            return EXIT_CANNOT_RUN
        except BaseException:  # Ctrl-C during the run: log out before leaving
            close_all()
            raise
        try:
            if fix != "none" and result.could_not_run is None:
                # a test page only makes sense after the manual steps (paper, cover): auto does not print it
                confirm = (lambda action, finding: not action.after_manual) if fix == "auto" else _confirm(lang)
                before, result = result, diagnoser.repair(result, confirm)
        finally:
            finished.set()
            diagnoser.driver.close()
            close_all()
    if args.json == STDOUT:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(result, lang))
    visit_id = record_diagnosis(result, before=before, disabled=args.no_history)
    if args.json and args.json != STDOUT:
        try:
            write_json_whole(check_output_path(args.json, what="JSON file"), result.to_dict())
        except OutputPathError as err:
            _err(str(err))
            return EXIT_CANNOT_RUN
        except OSError as err:
            _err(f"cannot write {args.json}: {err.strerror or err}")
            return EXIT_CANNOT_RUN
    if args.report:
        from .report.commands import diagnose_report

        if diagnose_report(result, args.report, lang, visit_id=visit_id) != 0:
            return EXIT_CANNOT_RUN
    if args.host_trace or args.bundle:
        from .evidence import cli_evidence

        if cli_evidence(result, args, lang, maintenance_log, before=before) != 0:
            return EXIT_CANNOT_RUN
    return result.exit_code


def _validate_in_background(read: Any) -> Callable[[], Any]:
    """Validate a read profile (:func:`techapp.profiles.read_profile`) in a thread; returns the waiter.

    Validating means importing pydantic and building the profile model (about 0.1 s of CPU): done while the
    terminal answers its first reads, which leave the main thread waiting on the line, instead of before
    the first byte. The same thread then loads the modules the diagnosis needs after the reads (the rules,
    the host checks, the text report, the visit history). The waiter returns the profile or raises its
    :class:`~techapp.profiles.ProfileError`. See docs/performance.md.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        interval = sys.getswitchinterval()
        # the main thread wakes for each frame from the terminal: let it in within 0.5 ms, not the default 5
        sys.setswitchinterval(min(interval, 0.0005))
        try:
            box["profile"] = read.validate()
        except BaseException as err:  # noqa: BLE001 - handed to the waiter, which raises it in the main thread
            box["error"] = err
        try:
            import importlib

            for name in ("techapp.diagnosis.rules", "techapp.diagnosis.render", "techapp.history"):
                importlib.import_module(name)
        except Exception:  # noqa: BLE001, S110 - only a head start: the main thread imports (and fails) on use
            pass
        finally:
            sys.setswitchinterval(interval)

    thread = threading.Thread(target=work, name="techapp-profile", daemon=True)
    thread.start()

    def wait() -> Any:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["profile"]

    return wait


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench_cli import PromptDesk
    from .bench_cli import cmd_bench as run_bench

    lang = _lang(args)
    desk = PromptDesk(lang, _read_answer, _drain_stdin)
    return run_bench(args, lang=lang, password=lambda: _password(args), interactive=_interactive(), ask=desk)


def cmd_restore(args: argparse.Namespace) -> int:
    from .backups import BackupError, load_backup, restore_backup

    port = f"sim://{DEMO_SCENARIO}" if args.demo else args.port
    try:
        doc, _ = load_backup(args.backup)
    except BackupError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    password = _password(args)
    if password is None:
        return EXIT_CANNOT_RUN
    try:
        with open_terminal(port, args.driver, baudrate=args.baud) as driver:
            identity = driver.identity()
            if doc["terminal"]["serial_number"] != identity.serial_number:
                _err(
                    f"{args.backup}: this backup is of terminal SN {doc['terminal']['serial_number']}, "
                    f"the connected terminal is SN {identity.serial_number}; nothing written"
                )
                return EXIT_CANNOT_RUN
            driver.login(password)
            if not args.yes:
                print(
                    f"Restore the parameters of SN {doc['terminal']['serial_number']} saved {doc['saved_at']} "
                    f"({doc.get('reason', '')})? [y/N] ",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
                try:
                    answer = input() if _interactive() else ""
                except EOFError:
                    answer = ""
                if answer.strip().lower() not in ("y", "yes"):
                    _err("not restored")
                    return EXIT_FINDINGS
            changes, saved = restore_backup(driver, args.backup, identity=identity)
    except (TerminalError, BackupError) as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    if not changes:
        print("The terminal already holds the backed-up parameters; nothing written.")
    for name, (now, then) in changes.items():
        print(f"{name}: {now!r} -> {then!r}")
    if saved is not None:
        print(f"The parameters before the restore are saved in {saved}; STAN and batch were left as they are.")
    record_restore(
        disabled=args.no_history,
        port=port,
        terminal={"serial_number": identity.serial_number, "vendor": identity.vendor, "model": identity.model},
        backup=str(Path(args.backup).absolute()),
        saved_before=str(saved) if saved is not None else None,
        changes=changes,
    )
    return EXIT_OK


def cmd_ports(args: argparse.Namespace) -> int:
    from drivers.ports import list_ports

    found = list_ports()
    if args.json:
        json.dump([{**asdict(p), "usb_id": p.usb_id} for p in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not found:
        print("No serial ports found. A pty path or a URL (socket://, sim://) can still be given with --port.")
        return EXIT_OK
    for p in found:
        usb = p.usb_id or "-"
        vendor = p.vendor or ""
        print(f"{p.device:<20} {usb:<10} {p.kind:<18} {vendor:<12} {p.description}")
    return EXIT_OK


def _serve_until_stopped(stop: threading.Event) -> None:
    """Block until SIGTERM sets ``stop`` or the user presses Ctrl-C."""
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _link_problem(link: str) -> str:
    """Why ``sim --link PATH`` cannot keep its symlink there ("" when it can): only a link of its own is replaced."""
    import stat as stat_

    try:
        info = os.lstat(link)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as err:
        return getattr(err, "strerror", None) or str(err)
    if info is not None and not stat_.S_ISLNK(info.st_mode):
        return "it exists and is not a symbolic link (only a link is replaced)"
    folder = os.path.dirname(os.path.abspath(link))
    if not os.path.isdir(folder):
        return f"folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"folder {folder} is not writable"
    return ""


def cmd_sim(args: argparse.Namespace) -> int:
    from drivers.sim.scenario import ScenarioError, list_scenarios, load_scenario
    from drivers.sim.server import PtyServer, PtyUnavailable, TcpServer
    from drivers.sim.terminal import SimulatedTerminal

    if args.list:
        for name, path in list_scenarios():
            try:
                s = load_scenario(path)
                print(f"{name:<24} {s.name} - {s.description}")
            except ScenarioError as err:
                print(f"{name:<24} INVALID: {err}")
        return EXIT_OK
    if not args.scenario:
        _err("sim: give a scenario name or file (see `techapp sim --list`)")
        return EXIT_CANNOT_RUN
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    if args.check:
        print(f"{args.scenario}: valid ({scenario.name})")
        return EXIT_OK
    if not (args.pty or args.tcp is not None):
        _err("sim: choose --pty or --tcp PORT")
        return EXIT_CANNOT_RUN
    if args.link:
        problem = _link_problem(args.link)
        if problem:
            _err(f"sim: cannot keep the link {args.link}: {problem}")
            return EXIT_CANNOT_RUN
    terminal = SimulatedTerminal(scenario)
    if args.netmap:
        try:
            check_output_path(args.netmap)
            terminal.world.write_laptop_netmap(args.netmap)
        except OutputPathError as err:
            terminal.close()
            _err(f"sim: {err}")
            return EXIT_CANNOT_RUN
        except OSError as err:
            terminal.close()
            _err(f"sim: cannot write {args.netmap}: {err.strerror or err}")
            return EXIT_CANNOT_RUN
        print(f"netmap {args.netmap}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.pty:
        try:
            server = PtyServer(terminal, args.link, on_new_path=lambda p: print(f"pty {p}", flush=True)).start()
        except PtyUnavailable as err:  # Windows: TCP and sim:// instead (the message says how)
            terminal.close()
            _err(f"sim: {err}")
            return EXIT_CANNOT_RUN
        except OSError as err:
            terminal.close()
            _err(f"sim: cannot make a pseudo-terminal or its link {args.link or ''}: {err.strerror or err}")
            return EXIT_CANNOT_RUN
        where = f"on {server.path}" + (f" (link {args.link})" if args.link else "")
    else:
        try:
            server = TcpServer(terminal, args.tcp).start()
        except OSError as err:
            _err(f"sim: cannot listen on 127.0.0.1:{args.tcp}: {err.strerror or err}")
            return EXIT_CANNOT_RUN
        print(f"url {server.url}", flush=True)
        where = f"at {server.url}"
    print(f"Simulated terminal '{scenario.name}' serving {where}. Ctrl-C stops it.", file=sys.stderr, flush=True)
    try:
        _serve_until_stopped(stop)
    finally:
        server.stop()
    return EXIT_OK


def cmd_acquirer(args: argparse.Namespace) -> int:
    """Serve the scenario's acquirer hosts until Ctrl-C or SIGTERM; one line per host on stdout."""
    from drivers.sim.acquirer import AcquirerServer
    from drivers.sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    if not scenario.acquirer.hosts:
        _err(f"acquirer: scenario {args.scenario!r} has no [[acquirer.hosts]]")
        return EXIT_CANNOT_RUN
    try:
        trace_file = _open_trace(args.trace)
    except OSError as err:
        _err(f"cannot write trace file {args.trace}: {err.strerror or err}")
        return EXIT_CANNOT_RUN
    trace_lock = threading.Lock()

    def trace(direction: str, host: str, wire: bytes) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        with trace_lock:
            trace_file.write(f"{stamp}  {direction}  {host}  {wire.hex().upper()}\n")
            trace_file.flush()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = AcquirerServer(scenario.acquirer, trace=trace if trace_file is not None else None)
    try:
        try:
            server.start()
        except OSError as err:
            _err(f"acquirer: cannot listen on loopback: {err.strerror or err}")
            return EXIT_CANNOT_RUN
        if args.ca and server.ca_pem is not None:
            try:
                with open(check_output_path(args.ca), "wb") as out:
                    out.write(server.ca_pem)
            except OSError as err:
                _err(f"cannot write CA file {args.ca}: {err.strerror or err}")
                return EXIT_CANNOT_RUN
        for host in scenario.acquirer.hosts:
            name = f"host {host.role} {hostport(host.address, host.port)}"
            endpoint = server.endpoints.get((host.address, host.port))
            if endpoint is None:
                print(f"{name} -> down: nothing listens (connections are refused)", flush=True)
                continue
            extra = "" if host.behaviour == "normal" else f", {host.behaviour}"
            tls = "on" if host.tls else "off"
            print(f"{name} -> {endpoint[0]}:{endpoint[1]} (tls {tls}{extra})", flush=True)
        print(f"Acquirer '{scenario.acquirer.name}' serving. Ctrl-C stops it.", file=sys.stderr, flush=True)
        _serve_until_stopped(stop)
    finally:
        server.stop()
        if trace_file is not None:
            trace_file.close()
    return EXIT_OK


def _report_command(name: str):
    def run(args: argparse.Namespace) -> int:
        from .report import commands

        return getattr(commands, name)(args)

    return run


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C while starting (imports, argument parsing) or at the very end
        _err("interrupted")
        return EXIT_CANNOT_RUN


def _main(argv: Sequence[str] | None) -> int:
    if sys.stdout is None:  # started with standard output closed (`techapp info >&-`)
        _err("standard output is closed: nothing could be shown (redirect it to a file instead)")
        return EXIT_CANNOT_RUN
    args = build_parser().parse_args(argv)
    if getattr(args, "baud", 0) is None:  # not given: the chosen driver's own line speed
        from drivers.registry import default_baudrate

        args.baud = default_baudrate(getattr(args, "driver", None) or DEFAULT_DRIVER)
    handlers = {
        "info": cmd_info,
        "ports": cmd_ports,
        "sim": cmd_sim,
        "acquirer": cmd_acquirer,
        "network": cmd_network,
        "diagnose": cmd_diagnose,
        "bench": cmd_bench,
        "restore": cmd_restore,
        "history": lambda a: cmd_history(a, _lang(a)),
        "report": _report_command("cmd_report"),
        "verify": _report_command("cmd_verify"),
        "settings": _report_command("cmd_settings"),
    }
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # a full disk shows here, not as an "Exception ignored" at exit
        return code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_CANNOT_RUN
    except BrokenPipeError:
        # the reader of our output left early (`techapp info --json | head`): not an error to report;
        # point stdout at devnull so the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except OSError as err:
        if not _is_output_error(err):
            raise
        # standard output cannot be written (disk full, closed, a device refusing): say so, exit 2
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        _err(f"cannot write the output: {err.strerror or err}")
        return EXIT_CANNOT_RUN


def _is_output_error(err: OSError) -> bool:
    """True for a write error without a file name (disk full, closed or broken descriptor): standard output's."""
    import errno as errno_

    return err.errno in (errno_.ENOSPC, errno_.EBADF, errno_.EIO, errno_.EFBIG, errno_.EDQUOT) and (
        err.filename is None
    )
