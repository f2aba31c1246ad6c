"""Windows-ready by construction (issue 16): we cannot run Windows here, so each test runs techapp in a
fresh interpreter where the POSIX-only modules are missing, as they are on Windows:

* ``pty``, ``termios``, ``fcntl``, ``tty`` and ``os.openpty`` do not exist;
* ``select.select`` takes only sockets: called from techapp's own code (drivers/, techapp/, ui/) on
  anything else (a file, a pipe, a pty, standard input) it fails as Windows' does (WinError 10038).

Every module of drivers/, techapp/ and ui/ imports; the command line reads and diagnoses ``sim://``,
the window opens; only the simulator's pty serving mode fails, with its message naming TCP and sim://.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from techapp.credentials import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]

WINDOWS_LIKE = textwrap.dedent(
    """
    import importlib.abc, os, socket, sys, types
    # pyserial chooses its backend by platform (serialwin32 and list_ports_windows on Windows): its POSIX
    # backend is loaded first, with the real modules; from then on techapp's own imports are the ones tested
    import serial, serial.tools.list_ports
    BLOCKED = {"pty", "termios", "fcntl", "tty"}
    for name in BLOCKED:
        sys.modules.pop(name, None)

    class NoPosix(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (Windows)", name=name)
            return None

    sys.meta_path.insert(0, NoPosix())
    # nor what Windows' os module lacks: user ids, fchmod, the POSIX open flags (os.chmod stays: it sets the
    # read-only flag there)
    for name in ("openpty", "ttyname", "getuid", "geteuid", "fchmod", "O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY"):
        if hasattr(os, name):
            delattr(os, name)
    import select as _real_select
    _windows_select = types.ModuleType("select")
    _windows_select.__dict__.update({k: v for k, v in vars(_real_select).items() if not k.startswith("__")})
    OURS = ("drivers", "techapp", "ui")
    SELECTED = []

    def _select(r, w, x, timeout=None):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.split(".")[0] in OURS:
            SELECTED.append(caller)
            for item in [*r, *w, *x]:
                if not isinstance(item, socket.socket):
                    raise OSError(10038, f"select() on {item!r} from {caller}: Windows selects only sockets")
        return _real_select.select(r, w, x, timeout)

    _windows_select.select = _select
    sys.modules["select"] = _windows_select
    sys.path.insert(0, {root!r})
    """
)


def run_windows_like(body: str, *, timeout: float = 120, env: dict[str, str] | None = None, **kwargs):
    code = WINDOWS_LIKE.replace("{root!r}", repr(str(ROOT))) + textwrap.dedent(body)
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=environ, **kwargs
    )


def test_every_module_imports_without_posix_only_modules():
    proc = run_windows_like(
        """
        import importlib, json, pkgutil, traceback
        failed = {}
        names = []
        for package in ("drivers", "techapp", "ui"):
            pkg = importlib.import_module(package)
            names.append(package)
            for info in pkgutil.walk_packages(pkg.__path__, package + "."):
                if not info.name.endswith(".__main__"):  # entry scripts run the program when imported
                    names.append(info.name)
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException as err:
                failed[name] = f"{type(err).__name__}: {err}"
        leaked = sorted(n for n in BLOCKED if n in sys.modules)
        print(json.dumps({"modules": names, "failed": failed, "leaked": leaked}))
        """
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "drivers.sim.server" in result["modules"] and "techapp.cli" in result["modules"]
    assert "ui.main_window" in result["modules"] and "ui.report_render" in result["modules"]
    assert len(result["modules"]) > 80
    assert result["failed"] == {}
    assert result["leaked"] == []


def test_only_the_pty_mode_fails_and_says_what_to_use():
    proc = run_windows_like(
        """
        from drivers.sim.server import PTY_UNAVAILABLE, PtyServer, PtyUnavailable, terminal_for
        try:
            PtyServer(terminal_for("healthy"))
        except PtyUnavailable as err:
            print("server:", err)
        from techapp.cli import main
        code = main(["sim", "healthy", "--pty"])
        print("exit", code)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "server: a pseudo-terminal (--pty) needs Linux or macOS" in proc.stdout
    assert "exit 2" in proc.stdout
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("techapp: sim: a pseudo-terminal (--pty) needs Linux or macOS")
    assert "--tcp 7000" in message and "socket://127.0.0.1:7000" in message and "sim://SCENARIO" in message
    assert "Traceback" not in proc.stderr


def test_the_command_line_reads_and_diagnoses_without_posix_modules():
    proc = run_windows_like(
        """
        from techapp.cli import main
        print("info", main(["info", "--demo"]))
        print("diagnose", main(["diagnose", "--demo", "--fix", "none", "--no-history"]))
        print("network", main(["network", "--demo"]))
        print("selected from", sorted(set(SELECTED)))
        """
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "info 0" in lines
    assert "diagnose 1" in lines  # the demo terminal's TID fault
    assert any(line.startswith("Faults found: TID keyed wrong") for line in lines)
    assert any(line.startswith("network ") for line in lines)


def test_a_repair_writes_its_backup_trace_and_history_without_posix_file_calls(tmp_path):
    """Backups (0700 folder), the --trace file and the visit history are written where Windows has no uid,
    no fchmod and no O_NOFOLLOW (the user's profile folder keeps them private there)."""
    proc = run_windows_like(
        f"""
        from techapp.cli import main
        print("info", main(["info", "--demo", "--trace", {str(tmp_path / "trace.log")!r}]))
        print("diagnose", main(["diagnose", "--demo", "--fix", "auto", "--json", {str(tmp_path / "d.json")!r}]))
        """,
        env={"TECHAPP_DATA_DIR": str(tmp_path / "data")},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert "info 0" in lines and {"diagnose 0", "diagnose 1", "diagnose 3"} & set(lines), proc.stdout + proc.stderr
    assert any(line.strip().startswith("Set the TID") and ": done:" in line for line in lines), proc.stdout
    assert (tmp_path / "trace.log").stat().st_size > 0
    assert list((tmp_path / "data").rglob("*.json")), "no backup written"
    assert list((tmp_path / "data").rglob("history.sqlite3")), "no visit recorded"


def test_the_sim_serves_tcp_without_posix_modules():
    proc = run_windows_like(
        """
        import socket, threading
        from drivers.sim.server import TcpServer, terminal_for
        server = TcpServer(terminal_for("healthy")).start()
        from techapp.cli import main
        print("info", main(["info", "--port", server.url]))
        server.stop()
        """,
        env={"TECHAPP_PASSWORD": DEMO_PASSWORD},  # the published password of the simulator's scenarios
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "info 0" in proc.stdout.splitlines(), proc.stdout + proc.stderr


def test_the_prompt_reader_does_not_select_on_standard_input():
    """The person prompts of ``techapp diagnose`` read standard input: Windows' select() cannot wait on it,
    so there a reader thread does (here forced with ``_SELECT_STDIN = False``), for a pipe as for a console."""
    proc = run_windows_like(
        """
        import threading
        import techapp.cli as cli
        cli._SELECT_STDIN = False  # the Windows branch
        stop = threading.Event()
        cli._drain_stdin()
        print("answers", [cli._read_answer(stop), cli._read_answer(stop)])
        print("selected from", sorted(set(SELECTED)))
        """,
        input="yes\n",
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0
    assert "selected from []" in proc.stdout
    # the drain ran before anything was typed (the pipe may already hold the line: then it is thrown away)
    assert "answers ['yes', None]" in proc.stdout or "answers [None, None]" in proc.stdout, proc.stdout


def test_a_withdrawn_question_returns_at_once_on_the_windows_branch():
    read_end, write_end = os.pipe()
    proc = run_windows_like(
        """
        import threading, time
        import techapp.cli as cli
        cli._SELECT_STDIN = False
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        start = time.monotonic()
        answer = cli._read_answer(stop)
        print("answer", answer, round(time.monotonic() - start, 1) < 1.5)
        """,
        stdin=read_end,  # nothing typed, and the pipe stays open: only the withdrawal ends the wait
    )
    os.close(write_end)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "answer None True" in proc.stdout


@pytest.mark.gui
def test_the_window_opens_without_posix_modules():
    proc = run_windows_like(
        """
        from ui.launcher import main
        raise SystemExit(main(["--demo"]))
        """,
        env={"TECHAPP_EXIT_WHEN_READY": "1"},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "ready: connected" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 0


def test_windows_port_texts_name_the_usb_driver_not_linux(monkeypatch):
    """Ports on Windows are COM3: no /dev path, no dialout group; a missing port names the USB driver."""
    from drivers.errors import PortNotAvailable
    from techapp.errors import DIALOUT_COMMAND, explain

    monkeypatch.setattr("sys.platform", "win32")
    missing = explain(PortNotAvailable("x", msg_id="port-not-found", action_id="open-port", params={"port": "COM3"}))
    denied = explain(PortNotAvailable("x", msg_id="port-permission", action_id="open-port", params={"port": "COM3"}))
    for text in (missing, denied):
        for words in (text.en, text.zh):
            assert "COM3" in words and "/dev" not in words and "dialout" not in words
            assert DIALOUT_COMMAND not in words and "Linux" not in words
    assert "install the terminal's USB driver" in missing.en and "USB 驱动程序" in missing.zh
    assert "another program has it open" in denied.en and "另一个程序正在使用" in denied.zh
    monkeypatch.setattr("sys.platform", "linux")  # the driver hint is Windows-only
    linux = explain(PortNotAvailable("x", msg_id="port-not-found", action_id="open-port", params={"port": "COM3"}))
    assert "USB driver" not in linux.en


def test_ports_are_listed_with_windows_names(monkeypatch, capsys):
    """`techapp ports` shows what pyserial lists: on Windows COM names with the USB VID:PID (from the
    registry), sorted terminals first and COM3 before COM10; nothing assumes /dev."""
    from serial.tools.list_ports_common import ListPortInfo

    import drivers.ports as ports
    from techapp.cli import main

    def com(name, vid, pid, description):
        info = ListPortInfo(name, skip_link_detection=True)
        info.vid, info.pid, info.description = vid, pid, description
        info.hwid = f"USB VID:PID={vid:04X}:{pid:04X} SER=1 LOCATION=1-2:x.0"
        return info

    listed = [
        com("COM10", 0x1A86, 0x7523, "USB-SERIAL CH340 (COM10)"),
        com("COM4", 0x0403, 0x6001, "USB Serial Port (COM4)"),
        com("COM3", 0x2FB8, 0x2001, "PAX USB Serial Device (COM3)"),
    ]
    monkeypatch.setattr(ports._list_ports, "comports", lambda: listed)
    assert main(["ports"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["COM3", "COM4", "COM10"]
    assert "2FB8:2001" in lines[0] and "terminal" in lines[0] and "PAX" in lines[0]
    assert "usb-serial bridge" in lines[1] and "usb-serial bridge" in lines[2]
    assert not any("/dev" in line for line in lines)


def _spec_filters(tmp_path):
    """build.spec up to the Analysis (no PyInstaller needed): its font lookup and Qt filters."""
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    head = source[: source.index("# The entry is the launcher")]
    scope = {"SPECPATH": str(ROOT), "workpath": str(tmp_path), "__name__": "build_spec"}
    exec(compile(head, "build.spec", "exec"), scope)  # noqa: S102 - our own build file
    return scope


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        ("PySide6\\plugins\\platforms\\qoffscreen.dll", True),
        ("PySide6\\plugins\\platforms\\qdirect2d.dll", False),
        ("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", True),
        ("PySide6\\plugins\\imageformats\\qsvg.dll", True),
        ("PySide6\\plugins\\imageformats\\qjpeg.dll", True),
        ("PySide6\\plugins\\imageformats\\qtiff.dll", False),
        ("PySide6\\plugins\\printsupport\\windowsprintersupport.dll", True),
        ("PySide6\\plugins\\tls\\qschannelbackend.dll", False),
        ("PySide6\\Qt6Core.dll", True),
        ("PySide6\\Qt6PrintSupport.dll", True),
        ("PySide6\\Qt6Svg.dll", True),
        ("PySide6\\Qt6Quick.dll", False),
        ("PySide6\\Qt6Network.dll", False),
        ("PySide6\\Qt6Pdf.dll", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", False),
        ("PySide6/Qt/lib/libQt6Qml.so.6", False),
        ("PySide6/Qt/translations/qtbase_zh_CN.qm", True),
        ("PySide6/Qt/translations/qtdeclarative_zh_CN.qm", False),
    ],
)
def test_build_spec_keeps_what_the_app_needs_on_windows_and_linux(tmp_path, dest, kept):
    """The spec's Qt filter reads Windows paths (backslashes, Qt6*.dll, q*.dll plugins) as Linux ones."""
    keep = _spec_filters(tmp_path)["_keep"]
    assert keep((dest, "src", "BINARY")) is kept


def test_build_spec_has_no_linux_only_path_it_cannot_do_without(tmp_path, monkeypatch):
    """Where /usr/share/fonts does not exist (Windows), TECHAPP_CJK_FONT names the report's font."""
    font = tmp_path / "fonts" / "NotoSansCJK-Regular.ttc"
    font.parent.mkdir()
    font.write_bytes(b"font")
    monkeypatch.setenv("TECHAPP_CJK_FONT", str(font))
    scope = _spec_filters(tmp_path)
    assert scope["fonts"][0] == (str(font), "resources/fonts")
    assert (tmp_path / "BUILD").read_text(encoding="utf-8").startswith(techapp_version())
    monkeypatch.setenv("TECHAPP_CJK_FONT", str(tmp_path / "missing" / "NotoSansCJK-Regular.ttc"))
    with pytest.raises(SystemExit, match="TECHAPP_CJK_FONT"):
        _spec_filters(tmp_path)


def techapp_version() -> str:
    import techapp

    return techapp.VERSION
