"""The real command line, run as a technician runs it: ``python -m techapp ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(60)


def env(password: str | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("TECHAPP_PASSWORD", "TECHAPP_SCENARIO_PATH")}
    e["PYTHONIOENCODING"] = "utf-8"
    if password is not None:
        e["TECHAPP_PASSWORD"] = password
    return e


def techapp(*args: str, password: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "techapp", *args],
        cwd=ROOT,
        env=env(password),
        stdin=subprocess.DEVNULL,  # not a tty: no password prompt
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


class SimProcess:
    """``python -m techapp sim ...`` in the background, as in a second shell."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "techapp", "sim", *args],
            cwd=ROOT,
            env=env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def first_line(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}; stderr: {self.stop()[1]}"
        return line[len(prefix) :].strip()

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


@pytest.fixture
def sim_process() -> Iterator[Callable[..., SimProcess]]:
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        sim = SimProcess(*args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def assert_healthy_info_text(out: str, port: str) -> None:
    assert f"Terminal: PAX S90  SN 82412345   (port {port}" in out
    assert "Payment parameters" in out
    assert "TID (终端号)   12345678" in out
    assert "MID (商户号)   123456789012345" in out
    assert "check value 08D7B4FB" in out
    assert "Working key PIK      check value CB9DEA67" in out
    assert "Not read" not in out


# -- two shells: a simulator in one, techapp info in the other --------------------------------------


def test_two_shells_over_a_pty(sim_process):
    sim = sim_process("healthy", "--pty")
    path = sim.first_line("pty ")
    assert path.startswith("/dev/pts/")
    result = techapp("info", "--port", path, password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert_healthy_info_text(result.stdout, path)
    no_traceback(result)
    # the simulator serves the next technician too
    again = techapp("info", "--port", path, "--json", password=PASSWORD)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["identity"]["serial_number"] == "82412345"
    code, err = sim.stop()
    assert code == 0
    assert "Traceback" not in err
    assert "Simulated terminal 'Healthy terminal' serving on " + path in err


def test_two_shells_over_tcp(sim_process):
    sim = sim_process("healthy", "--tcp", "0")
    url = sim.first_line("url ")
    assert url.startswith("socket://127.0.0.1:")
    result = techapp("info", "--port", url, password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert_healthy_info_text(result.stdout, url)
    code, err = sim.stop()
    assert code == 0
    assert "Traceback" not in err


def test_two_shells_with_a_symlink(sim_process, tmp_path):
    link = tmp_path / "ttyPOS"
    sim = sim_process("demo-97", "--pty", "--link", str(link))
    path = sim.first_line("pty ")
    assert os.path.realpath(link) == path
    result = techapp("info", "--port", str(link), "--json", password=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["parameters"]["tid"] == "12345687"
    code, _ = sim.stop()
    assert code == 0
    assert not link.exists()


# -- info ----------------------------------------------------------------------------------------


def test_info_json():
    result = techapp("info", "--port", "sim://healthy", "--json", password=PASSWORD)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "techapp.info/1"
    assert data["port"] == "sim://healthy"
    assert data["driver"] == "cup-maint"
    assert data["parameters"]["tid"] == "12345678"
    assert data["keys"]["tmk_slots"][0]["check_value"] == "08D7B4FB"
    assert data["errors"] == []


def test_info_demo_needs_no_password():
    result = techapp("info", "--demo")
    assert result.returncode == 0, result.stderr
    assert "TID (终端号)   12345687" in result.stdout
    assert "97" in result.stdout
    no_traceback(result)


def test_info_without_a_password_cannot_run():
    result = techapp("info", "--port", "sim://healthy")
    assert result.returncode == 2
    assert "TECHAPP_PASSWORD" in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_info_with_a_password_file(tmp_path):
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    result = techapp("info", "--port", "sim://healthy", "--password-file", str(secret))
    assert result.returncode == 0, result.stderr
    assert "TID (终端号)   12345678" in result.stdout


def test_info_with_a_wrong_password_still_shows_the_identity():
    result = techapp("info", "--port", "sim://healthy", password="not-the-password")
    assert result.returncode == 1
    out = result.stdout
    assert "Serial number           82412345" in out
    assert "Payment parameters" not in out
    not_read = out.split("Not read", 1)[1]
    assert "login:" in not_read
    assert "wrong maintenance password" in not_read
    assert "4 attempt(s) left" in not_read
    no_traceback(result)


def test_info_wrong_password_json_records_the_login_error():
    result = techapp("info", "--port", "sim://healthy", "--json", password="not-the-password")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["identity"]["serial_number"] == "82412345"
    assert data["parameters"] is None
    assert [(e["section"], e["error_type"]) for e in data["errors"]] == [("login", "AuthenticationFailed")]


def test_info_on_a_nonexistent_port(tmp_path):
    missing = str(tmp_path / "ttyUSB9")
    result = techapp("info", "--port", missing, password=PASSWORD)
    assert result.returncode == 2
    assert missing in result.stderr
    no_traceback(result)


def test_info_on_an_unknown_sim_scenario():
    result = techapp("info", "--port", "sim://no-such-scenario", password=PASSWORD)
    assert result.returncode == 2
    assert "no-such-scenario" in result.stderr
    no_traceback(result)


def test_info_on_a_port_where_nobody_listens():
    # a TCP port that accepts nothing: connection refused
    result = techapp("info", "--port", "socket://127.0.0.1:9", password=PASSWORD)
    assert result.returncode == 2
    assert "socket://127.0.0.1:9" in result.stderr
    no_traceback(result)


def test_there_is_no_password_option():
    for option in ("--password", "--pass", "--passw"):
        result = techapp("info", "--port", "sim://healthy", option, PASSWORD)
        assert result.returncode == 2
        assert "unrecognized arguments" in result.stderr
        no_traceback(result)


def test_info_output_piped_into_a_closed_reader():
    """``techapp info --json | head -1``: the reader leaves early; no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "techapp", "info", "--demo", "--json"],
        cwd=ROOT,
        env=env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    proc.wait(timeout=30)
    assert "Traceback" not in err


# -- sim and ports -------------------------------------------------------------------------------


def test_sim_list():
    result = techapp("sim", "--list")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "healthy" in names
    assert "demo-97" in names


def test_sim_check_valid_file():
    result = techapp("sim", str(ROOT / "resources" / "scenarios" / "healthy.toml"), "--check")
    assert result.returncode == 0
    assert "valid" in result.stdout


def test_sim_check_invalid_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "healthy"\nname = "bad"\n[hardware]\npaper = "maybe"\nprinter_colour = "red"\n')
    result = techapp("sim", str(bad), "--check")
    assert result.returncode == 2
    assert "hardware.paper" in result.stderr
    assert "hardware.printer_colour" in result.stderr
    assert str(bad) in result.stderr
    no_traceback(result)


def test_sim_without_a_mode():
    result = techapp("sim", "healthy")
    assert result.returncode == 2
    assert "--pty" in result.stderr


def test_ports():
    result = techapp("ports")
    assert result.returncode == 0
    no_traceback(result)
    result = techapp("ports", "--json")
    assert result.returncode == 0
    assert isinstance(json.loads(result.stdout), list)


def test_a_silent_line_tells_the_technician_what_to_check():
    result = subprocess.run(
        [sys.executable, "-m", "techapp", "info", "--port", "sim://wrong-baud"],
        capture_output=True,
        text=True,
        env={**os.environ, "TECHAPP_PASSWORD": "demo-2026"},
        timeout=30,
    )
    assert result.returncode == 2
    assert "nothing answered at 115200 baud" in result.stderr
    assert "--baud 9600" in result.stderr
    assert "Traceback" not in result.stderr
