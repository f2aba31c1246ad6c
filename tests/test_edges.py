"""Issue 17, correct at the edges: IPv6 hosts, repairs in dependency order, odd identities, signal, DUKPT key sets.

The end-to-end tests run as a technician would in two shells: ``techapp sim
NAME --pty --netmap FILE`` in one process and ``techapp diagnose --port
/dev/pts/N`` in another (``TECHAPP_NETMAP`` names the simulator's map), and
assert what the technician reads: the top finding, the outcome and the exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from served import Served, child_env

from drivers.addr import hostport, split_hostport
from drivers.sim.scenario import load_scenario
from drivers.sim.world import SimWorld
from techapp.netcheck import MappedDialer

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def diagnose_pty(tmp_path, hopeless_waits_scaled) -> Iterator[Callable[..., tuple[int, dict[str, Any], str]]]:
    """``diagnose_pty(scenario, *args)`` -> (exit code, JSON, printed report), over a real pty."""
    served: list[Served] = []

    def run(scenario: str, *extra: str, work_order: Path = WORK_ORDER) -> tuple[int, dict[str, Any], str]:
        netmap = tmp_path / f"{Path(scenario).stem}.netmap.json"
        sim = Served(scenario, netmap)
        served.append(sim)
        out = tmp_path / f"{Path(scenario).stem}.json"
        result = subprocess.run(
            [sys.executable, "-m", "techapp", "diagnose", "--port", sim.path, "--work-order", str(work_order)]
            + ["--no-prompts", "--lang", "en", "--json", str(out), *extra],
            cwd=ROOT,
            env=child_env(TECHAPP_PASSWORD=PASSWORD, TECHAPP_NETMAP=str(netmap), TECHAPP_DATA_DIR=str(tmp_path / "d")),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=80,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode, json.loads(out.read_text(encoding="utf-8")), result.stdout

    yield run
    for sim in served:
        sim.stop()


# -- IPv6 host addresses ---------------------------------------------------------------------------


def test_an_ipv6_address_is_written_in_brackets_and_read_back():
    assert hostport("fd00:20::40", 5000) == "[fd00:20::40]:5000"
    assert hostport("10.20.30.40", 5000) == "10.20.30.40:5000"
    assert split_hostport("[fd00:20::40]:5000") == ("fd00:20::40", 5000)
    assert split_hostport("10.20.30.40:5000") == ("10.20.30.40", 5000)
    with pytest.raises(ValueError, match="brackets"):
        split_hostport("fd00:20::40:5000")  # another address, or this one with a port: nobody can tell


def test_the_simulators_network_map_writes_ipv6_routes_in_brackets_to_a_real_socket_on_ipv6_loopback():
    world = SimWorld(load_scenario("ipv6-primary-down"))
    try:
        doc = world.laptop_netmap()
        assert "[fd00:20::40]:5000" in doc["routes"] and "fd00:20::40:5000" not in doc["routes"]
        assert doc["routes"]["[fd00:20::40]:5000"] == {"fail": "refused"}  # the primary is down
        backup = doc["routes"]["10.20.30.41:5000"]["to"]
        assert backup.startswith("127.0.0.1:")
        MappedDialer.from_dict(doc)  # what techapp diagnose loads: accepted
    finally:
        world.close()


def test_ipv6_primary_and_ipv4_backup_sign_on_through_the_ipv6_host_on_loopback(diagnose_pty, tmp_path):
    scenario = tmp_path / "ipv6-both-up.toml"
    scenario.write_text(
        f'extends = "{ROOT / "resources" / "scenarios" / "ipv6-primary-down.toml"}"\n'
        'name = "IPv6 primary up"\ndescription = "both hosts answer"\n'
        '[[acquirer.hosts]]\nrole = "production"\naddress = "fd00:20::40"\nport = 5000\n'
        '[[acquirer.hosts]]\nrole = "production"\naddress = "10.20.30.41"\nport = 5000\n',
        encoding="utf-8",
    )
    world = SimWorld(load_scenario(str(scenario)))
    try:
        doc = world.laptop_netmap()
        assert doc["routes"]["[fd00:20::40]:5000"]["to"].startswith("[::1]:")  # a real socket on ::1
    finally:
        world.close()
    code, doc, report = diagnose_pty(str(scenario), "--fix", "none")
    assert doc["findings"] == [], report
    assert (code, doc["outcome"]) == (3, "incomplete")  # nobody at the terminal for the person tests
    sign_on = next(c for c in doc["checks"] if c["id"] == "signon")
    assert sign_on["status"] == "pass" and "[fd00:20::40]:5000" in sign_on["summary"]["en"]
    hosts = next(c for c in doc["checks"] if c["id"] == "params.hosts")
    assert hosts["status"] == "pass" and "[fd00:20::40]:5000, 10.20.30.41:5000" in hosts["summary"]["en"]
    assert "Terminal reaches its hosts: primary [fd00:20::40]:5000 ok; backup 10.20.30.41:5000 ok" in report


def test_a_dead_ipv6_primary_is_diagnosed_out_of_process_with_the_address_in_brackets(diagnose_pty):
    code, doc, report = diagnose_pty("ipv6-primary-down", "--fix", "none")
    assert (code, doc["outcome"], doc["exit_code"]) == (1, "faults", 1)
    top = doc["findings"][0]
    assert top["id"] == "primary-host-down"
    assert (
        top["title"]["en"] == "Primary host [fd00:20::40]:5000 does not answer; the terminal works through its backup"
    )
    assert "Primary host (dead):     [fd00:20::40]:5000" in top["actions"][0]["text"]["en"]
    assert "fd00:20::40:5000" not in json.dumps(doc) + report  # never the ambiguous form


# -- repairs in dependency order ---------------------------------------------------------------------


def _action(aid: str, operation: str, then_sign_on: bool = False, blocked: bool = False):
    from techapp.diagnosis.model import Action, T

    return Action(
        aid,
        "automatic",
        T(aid, aid),
        operation=operation,
        then_sign_on=then_sign_on,
        blocked=T("open batch", "未结算") if blocked else None,
    )


def _finding(fid: str, checks: list[str], *actions):
    from techapp.diagnosis.model import Finding, T

    return Finding(fid, "critical", "sure", T(fid, fid), T(fid, fid), [], checks, list(actions))


def test_the_plan_puts_what_restores_a_condition_before_what_needs_it():
    from techapp.diagnosis.plan import order

    tid = _finding("tid-mismatch", ["params.tid"], _action("fix-tid", "write-parameters", then_sign_on=True))
    clock = _finding("clock-drift", ["hardware.clock", "network.terminal"], _action("sync-clock", "sync-clock", True))
    pairs = [(f, a) for f in (tid, clock) for a in f.actions]
    assert [a.id for _, a in order(pairs)] == ["sync-clock", "fix-tid"]
    # a clock that is off but does not break the host link: no dependency, the findings' order stands
    mild = _finding("clock-drift", ["hardware.clock"], _action("sync-clock", "sync-clock", True))
    assert [a.id for _, a in order([(tid, tid.actions[0]), (mild, mild.actions[0])])] == ["fix-tid", "sync-clock"]
    # the settlement before the write an open batch blocks; a sign-on (new keys) before the settlement
    blocked = _finding("tid-mismatch", ["params.tid"], _action("fix-tid", "write-parameters", True, blocked=True))
    settle = _finding("open-batch", ["counters.unsettled"], _action("settle-batch", "settle"))
    keys = _finding("keys-out-of-sync", ["keys.working"], _action("sign-on", "sign-on"))
    pairs = [(f, f.actions[0]) for f in (blocked, settle, keys)]
    assert [a.id for _, a in order(pairs)] == ["sign-on", "settle-batch", "fix-tid"]


def test_clock_that_breaks_tls_is_set_before_the_tid_and_one_sign_on_proves_both(diagnose_pty):
    code, doc, report = diagnose_pty("clock-tls-and-tid", "--fix", "none")
    assert (code, doc["outcome"]) == (1, "faults")
    assert [f["id"] for f in doc["findings"]] == ["tid-mismatch", "clock-drift"]  # by rank: the TID first
    clock = doc["findings"][1]["actions"][0]
    assert clock["id"] == "sync-clock" and "host-link" in clock["restores"]
    assert "host-link" in doc["findings"][0]["actions"][0]["needs"]
    plan = report[report.index("Repair order") :].splitlines()
    assert plan[1].startswith("  1. Set the terminal's clock") and "which step 2 needs" in plan[1]
    assert plan[2].startswith("  2. Set the TID")

    code, doc, report = diagnose_pty("clock-tls-and-tid", "--fix", "auto")
    taken = doc["actions_taken"]
    assert [(a["action"], a["result"]) for a in taken] == [("sync-clock", "done"), ("fix-tid", "done")]
    assert report.index("Set the terminal's clock") < report.index(
        "Set the TID from work order", report.index("Repairs")
    )
    # one sign-on after both, answered 00: the same proof on both repairs
    assert taken[0]["sign_on"] == taken[1]["sign_on"]
    assert (taken[1]["sign_on"]["outcome"], taken[1]["sign_on"]["response_code"]) == ("ok", "00")
    assert "tls-failure" not in json.dumps(taken), "no sign-on ran before the clock was right"
    assert doc["findings"] == [] and doc["findings_before_repair"] == ["tid-mismatch", "clock-drift"]
    signon = next(c for c in doc["checks"] if c["id"] == "signon")
    assert signon["status"] == "pass"
    assert (code, doc["outcome"]) == (3, "incomplete")  # fixed; only the person tests did not run


# -- identities exactly as the terminal holds them --------------------------------------------------


def test_a_terminal_sends_what_it_holds_padded_or_cut_as_a_cup_terminal_does():
    from drivers.hostlink import cup

    assert cup.as_sent("1234567", 8) == "1234567 "  # short: spaces on the right (jPOS IF_CHAR)
    assert cup.as_sent("123456789", 8) == "12345678"  # long: cut to the field's length
    assert cup.as_sent("01234567", 8) == "01234567"  # text: the zero stays
    assert cup.as_sent("", 8) == ""  # blank: nothing to send, the terminal does not sign on


def test_a_tid_that_lost_its_leading_zero_is_answered_97_and_written_back_as_text(diagnose_pty, tmp_path):
    work_order = ROOT / "resources" / "work-orders" / "zero-tid.toml"
    code, doc, report = diagnose_pty("tid-zero-stripped", "--fix", "none", work_order=work_order)
    assert (code, doc["outcome"], doc["exit_code"]) == (1, "faults", 1)
    top = doc["findings"][0]
    assert top["id"] == "tid-mismatch"
    said = "\n".join(e["en"] for e in top["evidence"])
    assert "'1234567'" in said and "97" in said, "the host's answer to the short TID is in the evidence"
    signon = next(c for c in doc["checks"] if c["id"] == "signon")
    assert signon["status"] == "fail" and "97" in signon["summary"]["en"]
    fix = top["actions"][0]
    assert fix["changes"] == {"tid": {"before": "1234567", "after": "01234567"}}

    code, doc, report = diagnose_pty("tid-zero-stripped", "--fix", "auto", work_order=work_order)
    (taken,) = doc["actions_taken"]
    assert (taken["written"], taken["read_back"]) == ({"tid": "01234567"}, {"tid": "01234567"})
    assert taken["sign_on"]["response_code"] == "00"
    assert doc["terminal"]["tid"] == "01234567" and "TID 01234567" in report
    backup = json.loads(Path(taken["backup_path"]).read_text(encoding="utf-8"))
    assert backup["parameters"]["tid"] == "1234567"  # the value before, as text
    # the service report and the visit history keep it as text too
    from techapp.history import History
    from techapp.report import build_report

    report_doc = build_report(doc, technician={"name": "T", "id": "1"}, report_no="TA-1")
    assert '"01234567"' in json.dumps(report_doc, ensure_ascii=False)
    with History.open(tmp_path / "d" / "history.sqlite3") as history:
        assert [v.tid for v in history.visits(tid="01234567")][:1] == ["01234567"]
    assert (code, doc["outcome"]) == (3, "incomplete")


def test_identities_keep_their_leading_zeros_in_every_work_order_format(tmp_path):
    from techapp.workorder import WorkOrderError, load_work_order

    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        "id,merchant_name,tid,mid,serial_number\nWO-1,Shop,01234567,012345678901234,00412345\n", encoding="utf-8"
    )
    wo = load_work_order(csv_file)
    assert (wo.tid, wo.mid, wo.serial_number) == ("01234567", "012345678901234", "00412345")
    js = tmp_path / "wo.json"
    js.write_text(json.dumps({"id": "WO-1", "tid": "01234567", "mid": "012345678901234"}), encoding="utf-8")
    assert load_work_order(js).tid == "01234567"
    js.write_text('{"id": "WO-1", "tid": 1234567, "mid": "012345678901234"}', encoding="utf-8")
    with pytest.raises(WorkOrderError, match="leading zeros"):
        load_work_order(js)
    toml_file = tmp_path / "wo.toml"
    toml_file.write_text('id = "WO-1"\ntid = "01234567"\nmid = "012345678901234"\n', encoding="utf-8")
    assert load_work_order(toml_file).to_dict()["tid"] == "01234567"


# -- cellular signal strength -----------------------------------------------------------------------


def test_signal_thresholds_per_radio():
    from drivers.models import Hardware
    from drivers.sim.terminal import csq_from_rssi
    from techapp.diagnosis.checks import signal_strength

    assert (csq_from_rssi(-113), csq_from_rssi(-101), csq_from_rssi(-51), csq_from_rssi(-40)) == (0, 6, 31, 31)
    base = dict.fromkeys(("printer", "printer_paper", "printer_cover", "magstripe", "ic_reader", "contactless"), "ok")
    base |= dict(keypad="ok", display="ok", tamper="ok", printer_head_temp_c=30, battery_present=False)
    base |= dict(battery_level_pct=None, battery_health_pct=None, battery_cycles=None, charging=False)
    base |= dict(storage_total_kb=1, storage_free_kb=1, clock=None)

    def status(**radio) -> str:
        return signal_strength(Hardware(**base, **radio))[0]

    # LTE is judged by RSRP, whatever the RSSI says
    assert status(radio="lte", signal_dbm=-60, rsrp_dbm=-104) == "pass"
    assert status(radio="lte", signal_dbm=-60, rsrp_dbm=-105) == "warn"
    assert status(radio="lte", signal_dbm=-60, rsrp_dbm=-115) == "fail"
    # 2G/3G by RSSI (CSQ 10 = -93 dBm, CSQ 5 = -103 dBm)
    assert status(radio="gsm", signal_dbm=-92, csq=10) == "pass"
    assert status(radio="wcdma", signal_dbm=-93, csq=10) == "warn"
    assert status(radio="gsm", signal_dbm=-103, csq=5) == "fail"


def test_a_weak_signal_is_the_finding_not_a_dead_host(diagnose_pty):
    code, doc, report = diagnose_pty("cellular-weak-signal", "--fix", "none")
    assert (code, doc["outcome"], doc["exit_code"]) == (1, "faults", 1)
    top = doc["findings"][0]
    assert (top["id"], top["severity"]) == ("weak-signal", "high")
    assert "not the host" in top["cause"]["en"] and "the host is fine" in top["cause"]["en"]
    assert not {"primary-host-down", "host-unreachable"} & {f["id"] for f in doc["findings"]}
    assert all(a["kind"] != "escalation" for f in doc["findings"] for a in f["actions"]), "nothing to the acquirer"
    steps = " ".join(s["en"] for s in top["actions"][0]["steps"])
    assert "Move the terminal" in steps and "external antenna" in steps and "Wi-Fi or Ethernet" in steps
    signal = next(c for c in doc["checks"] if c["id"] == "network.signal")
    assert signal["status"] == "fail" and "RSRP -117 dBm" in signal["summary"]["en"]
    assert signal["observed"] == {"radio": "lte", "signal_dbm": -101, "csq": 6, "rsrp_dbm": -117}


def test_techapp_info_shows_the_signal(capsys, monkeypatch):
    from techapp.cli import main

    monkeypatch.setenv("TECHAPP_PASSWORD", PASSWORD)
    assert main(["info", "--port", "sim://cellular-weak-signal"]) == 0
    assert "Cellular signal               LTE (4G), RSRP -117 dBm, RSSI -101 dBm, CSQ 6 (TOO WEAK)" in (
        capsys.readouterr().out
    )
    assert main(["info", "--port", "sim://healthy"]) == 0
    assert "Cellular signal" not in capsys.readouterr().out  # Ethernet: no radio


# -- DUKPT key sets ------------------------------------------------------------------------------------
# Golden values: the ANSI X9.24-1:2009 TDES DUKPT test data (BDK 0123456789ABCDEFFEDCBA9876543210, initial KSN
# FFFF9876543210E00000), as published with moov-io/dukpt (pkg/des/des_test.go, https://github.com/moov-io/dukpt).
X924_BDK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
X924_KSN = "FFFF9876543210E00000"


def test_dukpt_derivation_follows_the_x9_24_test_vectors():
    from drivers import dukpt

    ksn = bytes.fromhex(X924_KSN)
    assert dukpt.initial_key(X924_BDK, ksn).hex().upper() == "6AC292FAA1315B4D858AB3A3D7D5933A"
    keys = {
        n: dukpt.transaction_key(X924_BDK, bytes.fromhex(f"FFFF9876543210E0000{n}")).hex().upper() for n in (1, 2, 3)
    }
    assert keys == {
        1: "042666B49184CFA368DE9628D0397BC9",
        2: "C46551CEF9FD24B0AA9AD834130D3BC7",
        3: "0DF3D9422ACA56E547676D07AD6BADFA",
    }
    one = bytes.fromhex("FFFF9876543210E00001")
    assert dukpt.pin_key(X924_BDK, one).hex().upper() == "042666B49184CF5C68DE9628D0397B36"
    clear = dukpt.iso0_pin_block("1234", "4012345678909")
    assert clear.hex().upper() == "041274EDCBA9876F"
    assert dukpt.encrypt_pin_block(X924_BDK, one, clear).hex().upper() == "1B9C1845EB993A7A"
    assert dukpt.key_set_id(X924_KSN) == "FFFF987654"


def test_the_simulated_host_checks_the_pin_messages_key_set():
    from drivers import dukpt
    from drivers.sim.acquirer import AcquirerServer

    scenario = load_scenario("dukpt-foreign-key-set")
    server = AcquirerServer(scenario.acquirer)  # not started: the PIN check needs no socket
    pin = dukpt.iso0_pin_block("1234", "4012345678909")
    ours = "FFFF9876543210E00001"
    block = dukpt.encrypt_pin_block(X924_BDK, bytes.fromhex(ours), pin)
    assert block.hex().upper() == "1B9C1845EB993A7A"
    assert server.pin_answer(ours, block, "4012345678909") == "00"
    # the same PIN from a terminal injected from another acquirer's base key (another key set): 99
    other_bdk = bytes.fromhex("FEDCBA98765432100123456789ABCDEF")
    foreign = scenario.keys.ksn
    assert dukpt.key_set_id(foreign) == "FFFF123456"
    assert (
        server.pin_answer(foreign, dukpt.encrypt_pin_block(other_bdk, bytes.fromhex(foreign), pin), "4012345678909")
        == "99"
    )
    # the right key set but a key injected from another base key: the PIN block does not open, 99
    wrong = dukpt.encrypt_pin_block(other_bdk, bytes.fromhex(ours), pin)
    assert server.pin_answer(ours, wrong, "4012345678909") == "99"


def test_a_dukpt_key_from_another_acquirers_base_key_is_named_with_manual_re_injection(diagnose_pty):
    code, doc, report = diagnose_pty("dukpt-foreign-key-set", "--fix", "none")
    assert (code, doc["outcome"], doc["exit_code"]) == (1, "faults", 1)
    top = doc["findings"][0]
    assert (top["id"], top["severity"]) == ("dukpt-key-set", "critical")
    assert "key set FFFF123456" in top["cause"]["en"] and "99" in top["cause"]["en"]
    (action,) = top["actions"]
    assert (action["id"], action["kind"]) == ("reinject-dukpt", "manual")
    assert "key injection facility" in " ".join(s["en"] for s in action["steps"])
    check = next(c for c in doc["checks"] if c["id"] == "keys.dukpt_key_set")
    assert check["status"] == "fail"
    assert check["observed"] == {"ksn": "FFFF1234560000E00012", "key_set_id": "FFFF123456"}
    assert check["expected"] == {"key_set_ids": ["FFFF987654"]}
    # never a key: neither the test BDK nor any 32-hex key appears in what techapp wrote
    assert "0123456789ABCDEFFEDCBA9876543210" not in json.dumps(doc) + report


def test_a_fix_applied_alone_whose_proof_failed_is_re_proven_after_the_repair_it_waited_for(pty_sim):
    """The window applies one fix at a time: the TID first (its sign-on fails on TLS), then the clock."""
    from drivers.registry import open_terminal
    from techapp.credentials import DEMO_PASSWORD
    from techapp.diagnosis.engine import Diagnoser
    from techapp.profiles import load_profile
    from techapp.workorder import load_work_order

    server = pty_sim("clock-tls-and-tid")
    driver = open_terminal(server.path)
    try:
        diagnoser = Diagnoser(
            driver,
            DEMO_PASSWORD,
            port=server.path,
            work_order=load_work_order(WORK_ORDER),
            profile=load_profile("demo"),
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
        )
        first = diagnoser.repair(diagnoser.run(), lambda a, f: True, only={"fix-tid"})
        (tid,) = first.actions_taken
        assert (tid.action, tid.result, tid.sign_on["outcome"]) == ("fix-tid", "done", "tls-failure")
        second = diagnoser.repair(first, lambda a, f: True, only={"sync-clock"})
        (clock,) = second.actions_taken
        assert (clock.action, clock.result, clock.sign_on["response_code"]) == ("sync-clock", "done", "00")
        # the TID's outcome (the object the window keeps showing) is proven again by the sign-on after the clock
        assert tid.sign_on["response_code"] == "00"
        assert "re-proven after sync-clock: the sign-on is answered 00" in tid.message.en
        assert second.findings == []
    finally:
        driver.close()
