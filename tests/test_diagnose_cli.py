"""``techapp diagnose`` and ``techapp restore`` as a technician runs them: output, language, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techapp.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)


def test_demo_shows_the_97_root_cause_and_the_fix_it_offers(capsys):
    assert main(["diagnose", "--demo", "--fix", "none"]) == 1
    out, err = capsys.readouterr()
    assert "[FAIL] Terminal ID (TID): 12345687; the work order says 12345678" in out
    assert "1. TID keyed wrong  [critical, sure]" in out
    assert "a) [automatic] Set the TID from work order WO-2026-1125-0042" in out
    assert "TID: 12345687 -> 12345678" in out
    assert "1. Did a host answer? Yes: 97" in out
    # progress goes to stderr, never mixed into the report
    assert "[1/14] Connect to the terminal" in err and "[1/" not in out


#: What a run without a person at the terminal did not test (stdin is not a terminal under pytest).
NO_PERSON = "Card reader test, Keypad test (needs a person at the terminal; this run is not interactive)"


def test_demo_fix_auto_repairs_and_shows_before_and_after(capsys, tmp_path):
    # repaired, but nobody swiped a card or pressed the keys: incomplete, not healthy
    assert main(["diagnose", "--demo", "--fix", "auto"]) == 3
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Incomplete: no fault found in what ran, but not tested: " + NO_PERSON)
    # the repairs by the names a person reads, never the action, finding, field or check ids
    assert "Set the TID from work order WO-2026-1125-0042 (TID keyed wrong): done: written and read back" in out
    assert "TID: written 12345678, read back 12345678" in out
    assert "sign-on afterwards: 00" in out
    assert "Terminal ID (TID): [FAIL] -> [ ok ] *" in out
    assert "Findings before the repair: TID keyed wrong" in out
    assert "fix-tid" not in out and "tid-mismatch" not in out and "params.tid" not in out
    assert "No findings" in out
    assert len(list((tmp_path / "data" / "backups").glob("*.json"))) == 1


def test_chinese_report(capsys):
    assert main(["diagnose", "--demo", "--fix", "none", "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert "终端号输入错误" in out and "[失败] 终端号：12345687；工单为 12345678" in out
    assert "按工单 WO-2026-1125-0042 改正终端号" in out


def test_language_follows_the_locale(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    main(["diagnose", "--port", "sim://healthy", "--work-order", str(DEMO_ORDER), "--fix", "none"])
    assert "未发现问题" in capsys.readouterr().out


def test_healthy_terminal_without_a_person_is_incomplete_and_lists_every_check(capsys):
    """Untested is not healthy: without the person tests the run is incomplete (exit 3), never an all-clear."""
    code = main(["diagnose", "--port", "sim://healthy", "--work-order", str(DEMO_ORDER), "--fix", "none"])
    out = capsys.readouterr().out
    assert code == 3
    first = out.splitlines()[0]
    assert first.startswith("Incomplete: no fault found in what ran, but not tested: " + NO_PERSON)
    assert "To test: run the diagnosis again with the tests with a person on" in first
    assert "On the command line: `techapp diagnose` in a terminal window, without --no-prompts" in first
    assert "No findings: every check that ran passed." in out
    assert "This is not an all-clear: the tests under 'Not tested' did not run." in out
    assert "Not tested (the result does not cover these)\n  - Card reader test: needs a person" in out
    for title in ("Tamper state", "TPDU", "TMK check value vs key sheet", "Sign-on by the terminal", "Battery"):
        assert title in out


def test_without_a_work_order_the_checks_say_so(capsys):
    code = main(["diagnose", "--port", "sim://not-registered-97", "--profile", "demo", "--fix", "none"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Work order: none" in out
    assert "12345678 (valid form; no work order to compare)" in out
    assert "Terminal not registered at the acquirer (97)  [critical, likely]" in out
    assert "Without a work order a wrong TID cannot be ruled out" in out


def test_the_work_order_names_the_profile(capsys):
    main(["diagnose", "--port", "sim://test-host-97", "--work-order", str(DEMO_ORDER), "--fix", "none"])
    out = capsys.readouterr().out
    assert "Acquirer profile: demo" in out and "Pointed at the acquirer's test system" in out


def test_link_failure_exits_2_with_the_cause(capsys):
    assert main(["diagnose", "--port", "sim://cable-pulled", "--work-order", str(DEMO_ORDER)]) == 2
    out = capsys.readouterr().out
    assert "The link dropped while reading" in out and "The diagnosis could not run in full" in out
    assert out.startswith("Could not run: the link failed half-way")


def test_wrong_password_exits_2(capsys, monkeypatch):
    monkeypatch.setenv("TECHAPP_PASSWORD", "not-the-password")
    assert main(["diagnose", "--port", "sim://healthy"]) == 2
    out = capsys.readouterr().out
    assert "Maintenance login refused" in out
    assert "[ ok ] Serial number: 82412345" in out  # identity needs no login and is still shown


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ('id = "W1"\nmid = "123456789012345"\ntid = "1234"\n', ".toml", "field 'tid' must be 8 letters or digits"),
        ("{not json", ".json", "not valid JSON"),
        ("id,mid,tid\n", ".csv", "no work order rows"),
    ],
)
def test_bad_work_order_exits_2_naming_the_problem(tmp_path, capsys, content, suffix, message):
    order = tmp_path / f"order{suffix}"
    order.write_text(content)
    assert main(["diagnose", "--port", "sim://healthy", "--work-order", str(order)]) == 2
    err = capsys.readouterr().err
    assert str(order) in err and message in err


def test_unknown_profile_exits_2(capsys):
    assert main(["diagnose", "--port", "sim://healthy", "--profile", "nowhere"]) == 2
    assert "unknown acquirer profile 'nowhere'" in capsys.readouterr().err


def test_json_written_whole(tmp_path, capsys):
    target = tmp_path / "result.json"
    assert main(["diagnose", "--demo", "--fix", "none", "--json", str(target)]) == 1
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["schema"] == "techapp.diagnosis/1"
    assert doc["findings"][0]["id"] == "tid-mismatch"
    assert doc["findings"][0]["title"]["zh"] == "终端号输入错误"
    # no temporary file left behind ("data" holds the visit history, as TECHAPP_DATA_DIR says)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["result.json"]


def test_json_into_a_missing_folder_fails_before_touching_the_terminal(tmp_path, capsys):
    target = tmp_path / "nowhere" / "result.json"
    assert main(["diagnose", "--demo", "--fix", "auto", "--json", str(target)]) == 2
    assert "folder" in capsys.readouterr().err and not target.exists()
    assert not (tmp_path / "data" / "backups").exists()  # nothing was repaired either


def test_fix_ask_without_a_terminal_to_answer_repairs_nothing(capsys, tmp_path):
    assert main(["diagnose", "--demo", "--fix", "ask"]) == 1
    captured = capsys.readouterr()
    assert "--fix ask needs an interactive terminal" in captured.err
    assert not (tmp_path / "data" / "backups").exists()


def test_no_sign_on_leaves_the_terminal_alone(capsys):
    main(["diagnose", "--demo", "--fix", "none", "--no-sign-on"])
    out = capsys.readouterr().out
    assert "[skip] Sign-on by the terminal: sign-on not requested (--no-sign-on)" in out
    # the terminal's own log of today's 97s still points at the TID
    assert "TID keyed wrong" in out and "the terminal's response-code log" in out


def test_restore_undoes_a_repair(tmp_path, capsys):
    assert main(["diagnose", "--demo", "--fix", "auto"]) == 3  # repaired; the person tests did not run
    [backup] = (tmp_path / "data" / "backups").glob("*.json")
    capsys.readouterr()
    assert main(["restore", "--demo", "--backup", str(backup), "--yes"]) == 0
    assert "tid: '12345678' -> '12345687'" in capsys.readouterr().out
    assert main(["info", "--demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"]["tid"] == "12345687"
    assert main(["restore", "--demo", "--backup", str(backup), "--yes"]) == 0
    assert "nothing written" in capsys.readouterr().out


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, capsys):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"schema": "something/1"}')
    assert main(["restore", "--demo", "--backup", str(bogus), "--yes"]) == 2
    assert "not a techapp backup" in capsys.readouterr().err


def test_on_a_real_port_the_laptop_stays_on_loopback_unless_told(pty_sim, capsys):
    server = pty_sim("healthy")
    assert main(["diagnose", "--port", server.path, "--work-order", str(DEMO_ORDER), "--fix", "none"]) == 3
    out = capsys.readouterr().out
    # the terminal reached every host and signed on: the laptop's view is not needed, only the person tests are missing
    assert out.splitlines()[0].startswith("Incomplete: no fault found in what ran, but not tested: " + NO_PERSON + ".")
    assert (
        "[skip] Laptop reaches the same hosts: the laptop's checks stay on loopback; on site use --real-network" in out
    )
    assert "[ ok ] Sign-on by the terminal: approved (00)" in out


def test_no_sign_on_holds_through_a_repair(capsys):
    assert main(["diagnose", "--demo", "--fix", "auto", "--no-sign-on"]) == 3
    out = capsys.readouterr().out
    # registration was not tested: it says so, and how to test it
    assert "  - Sign-on (is the terminal registered with its host?): sign-on not requested (--no-sign-on)" in out
    assert "to test: run it again with the terminal's sign-on on" in out
    assert "on the command line: run it again without --no-sign-on" in out
    assert "written and read back; not proven by a sign-on (--no-sign-on)" in out
    assert "sign-on afterwards" not in out
    assert "[skip] Sign-on by the terminal: sign-on not requested (--no-sign-on)" in out


def test_fix_auto_leaves_the_test_page_for_after_the_paper(capsys):
    assert main(["diagnose", "--port", "sim://printer-no-paper", "--work-order", str(DEMO_ORDER), "--fix", "auto"]) == 1
    out = capsys.readouterr().out
    assert "Print a test page (Printer out of paper): not confirmed: do the manual steps first, then run it" in out
    assert "Printer out of paper" in out


def test_a_terminal_hanging_at_login_is_a_link_failure_not_a_wrong_password(capsys):
    assert main(["diagnose", "--port", "sim://hung-terminal", "--work-order", str(DEMO_ORDER)]) == 2
    out = capsys.readouterr().out
    assert "The diagnosis could not run in full: the link failed half-way" in out
    assert "The terminal stopped answering" in out and "Maintenance login refused" not in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["parameters"].update(stan="1210"), "parameter 'stan' must be int, got '1210'"),
        (lambda d: d["parameters"].pop("tpdu"), "missing tpdu"),
        (lambda d: d.pop("terminal"), "does not name its terminal"),
    ],
)
def test_restore_refuses_a_damaged_backup(tmp_path, capsys, change, message):
    assert main(["diagnose", "--demo", "--fix", "auto"]) == 3  # repaired; the person tests did not run
    [backup] = (tmp_path / "data" / "backups").glob("*.json")
    doc = json.loads(backup.read_text(encoding="utf-8"))
    change(doc)
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()
    assert main(["restore", "--demo", "--backup", str(damaged), "--yes"]) == 2
    assert message in capsys.readouterr().err


def test_no_sign_on_blocks_the_sign_on_repair_too(capsys):
    code = main(
        [
            "diagnose",
            "--port",
            "sim://not-registered-97",
            "--work-order",
            str(DEMO_ORDER),
            "--fix",
            "auto",
            "--no-sign-on",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "Have the terminal sign on (签到) to load new working keys (Terminal not registered at the acquirer (97)): "
        "blocked: sign-on not allowed in this run (--no-sign-on)"
    ) in out
    assert "then the terminal signs on" not in out and "the sign-on is answered 00" not in out


def test_restore_refuses_another_terminal_before_asking(tmp_path, capsys):
    assert main(["diagnose", "--demo", "--fix", "auto"]) == 3  # repaired; the person tests did not run
    [backup] = (tmp_path / "data" / "backups").glob("*.json")
    capsys.readouterr()
    assert main(["restore", "--port", "sim://swapped-terminal", "--backup", str(backup)]) == 2
    err = capsys.readouterr().err
    assert "SN 82412345" in err and "SN 1170045821" in err and "nothing written" in err and "[y/N]" not in err
