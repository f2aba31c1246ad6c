"""Issue 14 "Security": the login is never left open, traces are safe, the KDF has a floor, output
paths are never a device or a link, private files are private.

Every command runs as a real ``techapp`` process against the simulator on a real pty; what the
terminal received is counted where it arrives (the simulated terminal's dispatch), so a LOGOUT that
was never put on the wire is not counted.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drivers.errors import ProtocolError
from drivers.maint import auth
from drivers.maint.protocol import Command, Tag, decode_message
from drivers.sim import terminal as sim_terminal

ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"
PASSWORD = "demo-2026"


class Wire:
    """What the simulated terminal received (requests) and sent (answers), decoded, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, dict]] = []
        self.answers: list[tuple[int, int, dict]] = []
        self.lock = threading.Lock()

    def commands(self) -> list[str]:
        with self.lock:
            return [Command(c).name for c, _ in self.requests if c in Command._value2member_map_]

    def count(self, name: str) -> int:
        return self.commands().count(name)


@pytest.fixture
def wire(monkeypatch) -> Wire:
    seen = Wire()
    dispatch, send = sim_terminal.Session.dispatch, sim_terminal.Session._send

    def recording_dispatch(self, data: bytes) -> None:
        try:
            msg = decode_message(data)
            with seen.lock:
                seen.requests.append((msg.command, dict(msg.fields)))
        except Exception:  # noqa: BLE001 - malformed requests are the terminal's to answer
            pass
        return dispatch(self, data)

    def recording_send(self, command, seq, items, status=sim_terminal.Status.OK):
        raw = send(self, command, seq, items, status)
        with seen.lock:
            seen.answers.append((command, int(status), dict(items)))
        return raw

    monkeypatch.setattr(sim_terminal.Session, "dispatch", recording_dispatch)
    monkeypatch.setattr(sim_terminal.Session, "_send", recording_send)
    return seen


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("TECHAPP_", "LC_", "LANG"))}
    e.update(TECHAPP_DATA_DIR=str(tmp_path / "data"), TECHAPP_PASSWORD=PASSWORD, PYTHONPATH=str(ROOT))
    return e


def techapp(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "techapp", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _backup_of(server, tmp_path: Path) -> Path:
    from techapp.backups import save_backup

    term = server.terminal
    from drivers.registry import open_terminal

    with open_terminal(server.path) as d:
        identity = d.identity()
        d.login(PASSWORD)
        params = d.parameters()
    assert term is not None
    return save_backup(params, identity, reason="test", directory=tmp_path / "backups")


@pytest.mark.parametrize(
    "command",
    [
        ["info"],
        ["info", "--json"],
        ["network"],
        ["diagnose", "--work-order", str(DEMO_ORDER), "--fix", "none", "--no-history"],
        ["diagnose", "--work-order", str(DEMO_ORDER), "--fix", "auto", "--no-history"],
        ["restore", "--yes", "--no-history"],
    ],
    ids=["info", "info-json", "network", "diagnose", "diagnose-fix-auto", "restore"],
)
def test_every_command_logs_out_on_the_wire(pty_sim, wire, env, tmp_path, command):
    server = pty_sim("demo-97")
    extra = ["--backup", str(_backup_of(server, tmp_path))] if command[0] == "restore" else []
    before = len(wire.requests)
    done = techapp(*command, *extra, "--port", server.path, env=env)
    assert done.returncode in (0, 1, 3), done.stderr
    assert "Traceback" not in done.stderr
    time.sleep(0.3)  # the last frame reaches the terminal's thread
    cmds = [Command(c).name for c, _ in wire.requests[before:] if c in Command._value2member_map_]
    assert cmds.count("LOGIN") >= 1  # a repair's re-check logs in again on the same line: still one login open
    assert cmds.count("LOGOUT") == 1, " ".join(cmds)
    assert cmds[-1] == "LOGOUT", f"the last request of `{' '.join(command)}` was {cmds[-1]}: {' '.join(cmds)}"


def test_an_invalid_profile_stops_the_diagnosis_after_the_reads_and_logs_out(pty_sim, wire, env, tmp_path):
    # valid TOML, a wrong TPDU: found while the terminal answers its first reads (the profile is validated in
    # parallel with them, docs/performance.md); nothing is tested, dialled or written, and the login is closed
    profile = tmp_path / "bank.toml"
    demo = (ROOT / "resources" / "acquirers" / "demo.toml").read_text(encoding="utf-8")
    profile.write_text(demo.replace('tpdu = "6000030000"', 'tpdu = "7000030000"'), encoding="utf-8")
    server = pty_sim("demo-97")
    done = techapp("diagnose", "--port", server.path, "--profile", str(profile), "--fix", "auto", env=env)
    assert done.returncode == 2, done.stderr
    assert f"{profile}: key 'tpdu': the TPDU ID (first two digits) must be 60" in done.stderr
    assert "nothing was written" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # no report of a diagnosis that did not finish
    time.sleep(0.3)  # the last frame reaches the terminal's thread
    cmds = wire.commands()
    assert cmds[-1] == "LOGOUT" and cmds.count("LOGOUT") == 1, cmds
    acts = {"COMM_TEST", "SIGN_ON", "SETTLE", "SELF_TEST", "SET_CLOCK", "PRINT_TEXT", "REBOOT", "PARAM_BEGIN"}
    assert not acts & set(cmds), cmds
    history = techapp("history", "--json", env=env)
    assert history.returncode == 0 and json.loads(history.stdout) == []  # no visit recorded for it


def test_ctrl_c_during_a_diagnosis_logs_out(pty_sim, wire, env):
    # every answer takes 0.4 s: the run is still going when Ctrl-C arrives
    server = pty_sim("healthy", overrides="[link]\nprocessing_latency_ms = 400\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "techapp", "diagnose", "--port", server.path, "--fix", "none", "--no-history"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while wire.count("LOGIN") == 0 or len(wire.commands()) < wire.commands().index("LOGIN") + 3:
            assert time.monotonic() < deadline, wire.commands()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.8)
    cmds = wire.commands()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert cmds.count("LOGOUT") == 1 and cmds[-1] == "LOGOUT", cmds


def test_a_failure_after_the_login_still_logs_out(pty_sim, wire):
    from drivers.registry import open_terminal

    server = pty_sim("healthy")
    with pytest.raises(RuntimeError), open_terminal(server.path) as driver:
        driver.login(PASSWORD)
        assert driver.logged_in
        raise RuntimeError("the program failed half-way")
    time.sleep(0.3)
    assert wire.commands()[-1] == "LOGOUT"
    # not logged in: closing sends nothing
    with open_terminal(server.path) as driver:
        driver.identity()
    time.sleep(0.3)
    assert wire.commands().count("LOGOUT") == 1


def test_a_trace_holds_no_login_proof_and_is_private(pty_sim, wire, env, tmp_path):
    server = pty_sim("healthy")
    trace = tmp_path / "link.trace"
    done = techapp("info", "--port", server.path, "--trace", str(trace), env=env)
    assert done.returncode == 0, done.stderr
    text = trace.read_text()
    proofs = [f[Tag.CLIENT_PROOF] for c, f in wire.requests if c == Command.LOGIN]
    proofs += [f[Tag.TERMINAL_PROOF] for c, s, f in wire.answers if c == Command.LOGIN and Tag.TERMINAL_PROOF in f]
    assert len(proofs) == 2 and all(len(p) == 32 for p in proofs)
    flat = text.replace(" ", "").upper()
    for proof in proofs:
        assert proof.hex().upper() not in flat
        for i in range(0, 32, 8):  # not even a part of it
            assert proof[i : i + 8].hex().upper() not in flat
    assert text.count(" ".join(["**"] * 32)) == 2  # both proofs are there, masked
    assert PASSWORD.encode().hex().upper() not in flat
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600
    # appending to an existing world-readable trace of ours makes it private
    trace.chmod(0o644)
    assert techapp("info", "--port", server.path, "--trace", str(trace), env=env).returncode == 0
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600


def test_the_window_traffic_log_uses_the_same_masking():
    from drivers.maint.protocol import encode_message
    from drivers.registry import masked_hex

    raw = encode_message(Command.LOGIN, 7, [(Tag.NONCE_CLIENT, b"\x01" * 16), (Tag.CLIENT_PROOF, b"\xab" * 32)])
    hexed = masked_hex(raw)
    assert "AB" not in hexed and hexed.count("**") == 32
    assert "01 01 01" in hexed  # the nonce is public: kept for troubleshooting
    import ui.traffic_log as tl

    assert tl.decode(tl.TraceLine(None, "tx", "frame", raw), None)[0] == hexed


def test_backups_crash_logs_and_history_are_private(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_PASSWORD", PASSWORD)
    from techapp.cli import main

    assert main(["diagnose", "--demo", "--fix", "auto"]) == 3
    [backup] = (tmp_path / "data" / "backups").glob("*.json")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    history = tmp_path / "data" / "history.sqlite3"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700
    from ui.crash import write_crash_log

    log = write_crash_log("boom")
    assert log is not None and log.read_text() == "boom"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def _weak(server, iterations: int) -> None:
    # a hostile "terminal": the simulator told to ask for a cheap key derivation (below the scenario's own minimum)
    object.__setattr__(server.terminal.scenario.maintenance, "kdf_iterations", iterations)


def test_a_terminal_asking_for_1_iteration_gets_no_proof(pty_sim, wire, connect):
    server = pty_sim("healthy")
    _weak(server, 1)
    driver = connect(server.path)
    with pytest.raises(ProtocolError) as caught:
        driver.login(PASSWORD)
    assert "only 1 PBKDF2 iterations" in str(caught.value)
    assert "no fewer than 1000" in str(caught.value)
    assert caught.value.msg_id == "kdf-too-weak"
    time.sleep(0.2)
    assert "LOGIN_CHALLENGE" in wire.commands() and "LOGIN" not in wire.commands()  # no proof left the laptop


def test_the_cli_names_the_terminals_request(pty_sim, wire, env):
    server = pty_sim("healthy")
    _weak(server, 1)
    done = techapp("diagnose", "--port", server.path, "--fix", "none", "--no-history", env=env)
    assert done.returncode == 2
    assert "only 1 PBKDF2 iterations" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert "LOGIN" not in wire.commands()


def test_the_floor_can_be_raised_not_lowered(pty_sim, wire, monkeypatch):
    from drivers.registry import open_terminal

    def login() -> None:
        with open_terminal(server.path) as driver:
            driver.login(PASSWORD)

    server = pty_sim("healthy")  # asks for 20000
    monkeypatch.setenv(auth.KDF_FLOOR_ENV, "50000")
    with pytest.raises(ProtocolError, match="only 20000 PBKDF2 iterations.*no fewer than 50000"):
        login()
    monkeypatch.setenv(auth.KDF_FLOOR_ENV, "5")  # cannot go below the protocol minimum
    assert auth.kdf_floor() == auth.MIN_KDF_ITERATIONS
    _weak(server, 999)
    with pytest.raises(ProtocolError, match="only 999 PBKDF2"):
        login()
    _weak(server, 1000)
    login()  # the documented minimum is answered


@pytest.mark.parametrize("kind", ["device", "symlink", "fifo", "folder", "symlink-to-file"])
def test_an_output_path_that_is_not_a_regular_file_is_refused(tmp_path, kind, capsys, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    from techapp.cli import main

    target = tmp_path / "out.json"
    if kind == "device":
        target = Path("/dev/null")
    elif kind == "symlink":
        target.symlink_to(tmp_path / "elsewhere.json")
    elif kind == "symlink-to-file":
        (tmp_path / "real.json").write_text("keep\n")
        target.symlink_to(tmp_path / "real.json")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    mode = os.lstat(target).st_mode
    assert main(["diagnose", "--demo", "--fix", "none", "--json", str(target), "--no-history"]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {target}: " in err
    assert os.lstat(target).st_mode == mode  # still what it was
    assert not (tmp_path / "elsewhere.json").exists()
    if kind == "symlink-to-file":
        assert (tmp_path / "real.json").read_text() == "keep\n"


def test_trace_onto_a_device_or_link_is_refused(tmp_path, capsys):
    from techapp.cli import main

    link = tmp_path / "t.trace"
    link.symlink_to(tmp_path / "x")
    for path in ("/dev/null", str(link)):
        assert main(["info", "--demo", "--trace", path]) == 2
        assert f"cannot write trace file {path}" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_json_dash_writes_the_result_to_stdout(capsys, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    from techapp.cli import main

    assert main(["diagnose", "--demo", "--fix", "none", "--json", "-", "--no-history"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "techapp.diagnosis/1" and doc["exit_code"] == 1
    assert not Path("-").exists()
