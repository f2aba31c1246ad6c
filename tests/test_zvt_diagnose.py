"""`techapp diagnose --driver zvt` end to end (issue 13 "done when"): a real pty at 9600 8N2 and real
TCP on loopback to the simulated ZVT terminal; checks ZVT cannot give are skipped, never passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.registry import open_terminal
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.outcome import _step_of

pytestmark = pytest.mark.timeout(120)
ZVT_SCENARIOS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "resources/scenarios/zvt").glob("*.toml"))
NOT_AVAILABLE = "not available over ZVT"
#: what each scenario must show: (finding ids, the status check's state)
EXPECTED = {
    "zvt-ready": ((), "pass"),
    "zvt-init-required": (("initialisation-required",), "fail"),
    "zvt-date-time-wrong": (("clock-drift",), "fail"),
    "zvt-printer-not-ready": (("printer-fault",), "fail"),
    "zvt-host-unreachable": (("no-link",), "pass"),
    "zvt-host-not-ready": (("host-unreachable",), "pass"),
    "zvt-not-registered": (("register-with-terminal",), "pass"),
    "zvt-journal-full": (("journal-full",), "fail"),
}


def _techapp(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {**os.environ, "TECHAPP_PASSWORD": "000000", "TECHAPP_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "techapp", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.parametrize("kind", ["pty", "tcp"])
def test_diagnose_finds_initialisation_required_and_fix_auto_initialises(sim_port, kind, tmp_path):
    server, port = sim_port(kind, "zvt-init-required")
    out = tmp_path / "d.json"
    first = _techapp("diagnose", "--port", port, "--driver", "zvt", "--json", str(out))
    assert first.returncode == 1, first.stderr
    assert "The terminal needs an initialisation" in first.stdout
    assert "Terminal's own status: initialisation required (status 51)" in first.stdout
    assert f"Parameters\n    [skip] Terminal ID (TID): {NOT_AVAILABLE}" in first.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [f["id"] for f in doc["findings"]] == ["initialisation-required"]
    assert [a["operation"] for a in doc["findings"][0]["actions"]] == ["initialise"]
    skipped = {c["id"] for c in doc["checks"] if c["summary"]["en"] == NOT_AVAILABLE}
    assert {"params.tid", "keys.tmk", "hardware.printer", "signon"} <= skipped
    assert all(c["status"] == "skipped" for c in doc["checks"] if c["id"] in skipped)
    assert doc["untested"] == []  # not available is not applicable, not untested

    fixed = _techapp("diagnose", "--port", port, "--driver", "zvt", "--fix", "auto", "--json", str(out))
    assert fixed.returncode == 0, fixed.stderr  # repaired and re-checked: healthy now
    doc = json.loads(out.read_text(encoding="utf-8"))
    taken = doc["actions_taken"]
    assert [(a["action"], a["result"]) for a in taken] == [("initialise", "done")]
    assert doc["findings_before_repair"] == ["initialisation-required"]
    status = next(c for c in doc["checks"] if c["id"] == "terminal.status")
    assert status["status"] == "pass" and status["observed"]["code"] == "00"  # re-checked after the repair
    assert "06 93" in server.terminal.zvt.commands
    if kind == "pty":
        assert server.terminal.scenario.link.line_baud == 9600


@pytest.mark.parametrize("scenario", ZVT_SCENARIOS)
def test_no_zvt_run_reports_a_check_it_cannot_give_as_passed(scenario):
    assert set(EXPECTED) == set(ZVT_SCENARIOS)
    port = f"sim://{scenario}?fresh"
    driver = open_terminal(port, "zvt")
    try:
        result = Diagnoser(driver, "000000", port=port).run()
    finally:
        driver.close()
    assert result.could_not_run is None
    can = driver.capabilities
    from techapp.diagnosis.runner import STEP_NEEDS

    for c in result.checks:
        need = STEP_NEEDS.get(_step_of(c))
        if need is not None and need not in can:
            assert c.status == "skipped" and c.summary.en == NOT_AVAILABLE, (c.id, c.status, c.summary.en)
    findings, status = EXPECTED[scenario]
    if findings is not None:
        assert tuple(f.id for f in result.findings) == findings, [f.id for f in result.findings]
    else:
        assert result.findings
    assert next(c for c in result.checks if c.id == "terminal.status").status == status


def test_info_over_tcp_reads_the_identity_and_says_what_zvt_cannot_give(sim_port, tmp_path):
    _, port = sim_port("tcp", "zvt-ready")
    run = _techapp("info", "--port", port, "--driver", "zvt")
    assert run.returncode == 0, run.stderr
    assert "cVEND plug  SN 17fd1e3c" in run.stdout
    assert "Not available over ZVT: parameters, keys, hardware, counters, response_codes, error_log" in run.stdout
    assert "Not read" not in run.stdout
    doc = json.loads(_techapp("info", "--port", port, "--driver", "zvt", "--json").stdout)
    assert doc["identity"]["serial_number"] == "17fd1e3c" and doc["parameters"] is None and doc["errors"] == []


def test_a_terminal_with_its_own_password_is_diagnosed_and_a_wrong_one_is_named(sim_port, tmp_path):
    # ZVT sends the password even with the greeting (a Status-Enquiry): one other than 000000 must work
    _, port = sim_port("pty", "zvt-ready", '[zvt]\npassword = "103456"\n')
    env = {**os.environ, "TECHAPP_LANG": "en", "TECHAPP_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "techapp", "diagnose", "--port", port, "--driver", "zvt", "--fix", "none"]
    right = subprocess.run(run, capture_output=True, text=True, timeout=90, env={**env, "TECHAPP_PASSWORD": "103456"})
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stdout.startswith("Healthy") and "cVEND plug SN 17fd1e3c" in right.stdout
    wrong = subprocess.run(run, capture_output=True, text=True, timeout=90, env={**env, "TECHAPP_PASSWORD": "000000"})
    assert wrong.returncode == 2
    assert "Maintenance login refused: wrong password" in wrong.stdout
    assert "did not answer" not in wrong.stdout  # it answered: the password is what is wrong
