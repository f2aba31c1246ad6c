"""Issue 9's findings as a technician meets them: ``techapp diagnose`` on a real pty, report, JSON and exit code.

Each scenario is served on a real pty (``pty_sim``); the laptop's view of the
scenario's network reaches techapp as a network map file (``TECHAPP_NETMAP``),
as with ``techapp sim --pty --netmap``. Asserted: the top finding, its state,
what it offers, the outcome in the JSON and the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techapp.cli import main

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)


def diagnose(pty_sim, tmp_path, monkeypatch, capsys, scenario: str, *extra: str) -> tuple[int, dict, str]:
    server = pty_sim(scenario)
    netmap = tmp_path / "netmap.json"
    server.terminal.world.write_laptop_netmap(netmap)
    monkeypatch.setenv("TECHAPP_NETMAP", str(netmap))
    out = tmp_path / "result.json"
    code = main(
        ["diagnose", "--port", server.path, "--work-order", str(WORK_ORDER), "--no-prompts", "--fix", "none"]
        + ["--json", str(out), *extra]
    )
    report = capsys.readouterr().out
    return code, json.loads(out.read_text(encoding="utf-8")), report


def test_a_dead_primary_with_a_working_backup_is_a_fault_reported_to_the_acquirer(
    pty_sim, tmp_path, monkeypatch, capsys
):
    code, doc, report = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "primary-host-down")
    assert (code, doc["outcome"], doc["exit_code"]) == (1, "faults", 1)
    top = doc["findings"][0]
    assert (top["id"], top["severity"], top["state"]) == ("primary-host-down", "medium", "open")
    assert "Both ends see it dead" in top["cause"]["en"]
    (escalation,) = top["actions"]
    assert escalation["kind"] == "escalation"
    text = escalation["text"]["en"]
    assert "The primary host 10.20.30.40:5000 does not answer" in text
    assert "from a laptop on the same site it refused the connection too" in text
    assert "Backup host (works):     10.20.30.41:5000" in text
    assert doc["checks"][-2]["id"] == "network.compare" and doc["checks"][-2]["status"] == "warn"
    assert "1. Primary host 10.20.30.40:5000 does not answer; the terminal works through its backup" in report


def test_a_dead_backup_is_a_lower_fault(pty_sim, tmp_path, monkeypatch, capsys):
    code, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "backup-host-down")
    assert (code, doc["outcome"]) == (1, "faults")
    top = doc["findings"][0]
    assert (top["id"], top["severity"]) == ("backup-host-down", "low")
    assert "no fallback" in top["cause"]["en"]
    assert [a["id"] for a in top["actions"]] == ["escalate-backup-host-down"]


def test_a_primary_only_the_terminal_cannot_reach_sends_the_technician_to_the_site(
    pty_sim, tmp_path, monkeypatch, capsys
):
    code, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "primary-blocked-at-site")
    assert (code, doc["outcome"]) == (1, "faults")
    top = doc["findings"][0]
    assert top["id"] == "primary-host-down"
    assert "The laptop reaches it from this site, only the terminal does not" in top["cause"]["en"]
    (site,) = top["actions"]  # nothing to tell the acquirer: its host is up
    assert (site["id"], site["kind"]) == ("check-terminal-link", "manual")
    steps = [s["en"] for s in site["steps"]]
    assert "terminal's address (192.168.1.50) through to 10.20.30.40:5000" in steps[0]
    assert any(s.startswith("The cable:") for s in steps) and any(s.startswith("DHCP:") for s in steps)


def test_a_clock_the_sign_on_set_right_is_reported_as_fixed(pty_sim, tmp_path, monkeypatch, capsys):
    code, doc, report = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "clock-set-by-sign-on")
    assert (code, doc["outcome"]) == (1, "faults")  # fixed, but it happened: the merchant's receipts were wrong
    top = doc["findings"][0]
    assert (top["id"], top["state"]) == ("clock-drift", "fixed-during-diagnosis")
    assert "20 min behind the laptop" in top["cause"]["en"]
    assert [a["id"] for a in top["actions"]] == ["check-clock-holds"]
    assert "FIXED during this diagnosis]" in report


def test_stale_keys_the_sign_on_renewed_are_reported_as_fixed_with_both_key_sets(
    pty_sim, tmp_path, monkeypatch, capsys
):
    code, doc, report = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "stale-keys-a0")
    assert (code, doc["outcome"]) == (1, "faults")
    top = doc["findings"][0]
    assert (top["id"], top["state"]) == ("keys-out-of-sync", "fixed-during-diagnosis")
    evidence = [e["en"] for e in top["evidence"]]
    before = next(e for e in evidence if e.startswith("working keys before the sign-on: "))
    after = next(e for e in evidence if e.startswith("working keys after the sign-on "))
    assert "PIK " in before and "MAK " in before and "(loaded " in before
    assert before.split(": ", 1)[1].split(" (loaded")[0] != after.split(": ", 1)[1].split(" (loaded")[0]
    assert "A0 at " in top["cause"]["en"]
    assert [a["id"] for a in top["actions"]] == ["test-sale"]
    assert "本次诊断中已修复" not in report  # the English report says it in English
    assert "FIXED during this diagnosis]" in report


def test_without_the_sign_on_stale_keys_stay_an_open_fault(pty_sim, tmp_path, monkeypatch, capsys):
    code, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "stale-keys-a0", "--no-sign-on")
    assert code == 1
    top = next(f for f in doc["findings"] if f["id"] == "keys-out-of-sync")
    assert top["state"] == "open"
    assert [a["id"] for a in top["actions"]] == ["sign-on"]


def test_a_login_during_the_lockout_is_not_called_a_wrong_password(pty_sim, tmp_path, monkeypatch, capsys):
    server = pty_sim("healthy")
    monkeypatch.setenv("TECHAPP_PASSWORD", "not-the-password")
    first = main(["diagnose", "--port", server.path, "--no-prompts", "--fix", "none"])
    report = capsys.readouterr().out
    assert first == 2
    assert "Maintenance login refused: wrong password" in report
    assert "it reports 4 tries left before it locks maintenance" in report
    finding = report.split("Maintenance login refused: wrong password  [", 1)[1]
    evidence = finding.split("Evidence:", 1)[1].split("What to do:", 1)[0]
    assert evidence.count("wrong maintenance password; 4 attempt") == 1  # the terminal quoted once, not twice
    for _ in range(4):
        main(["diagnose", "--port", server.path, "--no-prompts", "--fix", "none"])
    capsys.readouterr()
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")  # the right one, during the lockout
    assert main(["diagnose", "--port", server.path, "--no-prompts", "--fix", "none", "--lang", "zh"]) == 2
    report = capsys.readouterr().out
    assert "密码错误次数过多，维护模式已锁定" in report
    assert "等待 300 秒后再登录" in report
    assert "密码错误" not in report.split("原因：", 1)[1].split("\n", 1)[0].replace("密码错误次数", "")


def test_a_write_the_open_batch_blocks_comes_after_the_settlement_and_says_so(pty_sim, tmp_path, monkeypatch, capsys):
    server = pty_sim("unsettled-batch")
    netmap = tmp_path / "netmap.json"
    server.terminal.world.write_laptop_netmap(netmap)
    monkeypatch.setenv("TECHAPP_NETMAP", str(netmap))
    order = ROOT / "resources" / "work-orders" / "tid-change.toml"
    out = tmp_path / "result.json"
    code = main(["diagnose", "--port", server.path, "--work-order", str(order), "--no-prompts", "--fix", "none"]
                + ["--json", str(out)])  # fmt: skip
    assert code == 1
    top = json.loads(out.read_text(encoding="utf-8"))["findings"][0]
    assert top["id"] == "tid-mismatch"
    assert [a["id"] for a in top["actions"]] == ["settle-batch", "fix-tid"]
    assert top["actions"][1]["blocked"]["en"].startswith("waits for the batch to be settled first: 23 unsettled")


def test_the_sign_on_line_says_what_happened_to_the_keys(pty_sim, tmp_path, monkeypatch, capsys):
    _, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "wrong-tmk-a0")
    signon = next(c for c in doc["checks"] if c["id"] == "signon")
    assert signon["status"] == "fail"
    assert (
        "answered 00 by 10.20.30.40:5000, but the new working keys failed their check values" in signon["summary"]["en"]
    )
    assert "verified" not in signon["summary"]["en"] and "校验通过" not in signon["summary"]["zh"]


def test_the_sign_on_through_the_backup_says_so(pty_sim, tmp_path, monkeypatch, capsys):
    _, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "primary-host-down")
    signon = next(c for c in doc["checks"] if c["id"] == "signon")
    assert signon["summary"]["en"] == (
        "approved (00) by 10.20.30.41:5000 (the backup host); new working keys loaded and verified under the TMK"
    )


def test_a_tampered_terminals_escalation_ends_at_the_vendor(pty_sim, tmp_path, monkeypatch, capsys):
    _, doc, _ = diagnose(pty_sim, tmp_path, monkeypatch, capsys, "tampered")
    top = doc["findings"][0]
    assert [a["id"] for a in top["actions"]] == ["escalate-tamper", "rma"]
    for action in top["actions"]:
        assert "sign" not in (action["verify"]["en"] or "").lower()
    assert "vendor" in top["actions"][-1]["verify"]["en"]
