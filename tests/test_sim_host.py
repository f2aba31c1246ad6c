"""The acquirer side of the simulated world, and what the diagnosis makes of it (issue 9 §4).

* **Several institutions**: another acquirer's host answers with its own institution code
  (field 32), and the diagnosis names both codes from the 0810 alone.
* **The host honours the header status**: a production host answers a test-status message
  as the acquirer does (route it to the test system: 97; refuse it with a code).
* **Settlement exists**: SETTLE (0500/0510, totals checked by the host) closes the batch;
  ``settle-batch`` runs before the TID change the open batch blocks, end to end.
* **The host remembers the working keys it issued**: a settlement MACed with stale keys is
  refused A0 until a sign-on.

Every diagnosis here runs through a real pty (the simulator served by ``pty_sim``, or
``techapp sim --pty`` in its own process), with the real driver and engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import iso8583
import jsonschema
import pytest

from drivers.hostlink import cup
from drivers.maint.protocol import Tag
from drivers.registry import open_terminal
from drivers.sim.acquirer import AcquirerServer
from drivers.sim.scenario import load_scenario, load_scenario_text
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.model import Diagnosis
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile, load_profile_text
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml")
TID_CHANGE = load_work_order(ROOT / "resources" / "work-orders" / "tid-change.toml")
PROFILE = load_profile("demo")
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def diagnose(pty_sim) -> Iterator[Callable[..., tuple[Diagnoser, Diagnosis, object]]]:
    """``diagnose(scenario, overrides="", work_order=..., profile=..., sign_on=True)`` over a real pty."""
    opened = []

    def run(scenario, overrides: str = "", *, work_order=DEMO_ORDER, profile=PROFILE, sign_on=True):
        server = pty_sim(scenario, overrides)
        driver = open_terminal(server.path)
        opened.append(driver)
        diagnoser = Diagnoser(
            driver,
            PASSWORD,
            port=server.path,
            work_order=work_order,
            profile=profile,
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
            sign_on=sign_on,
        )
        return diagnoser, diagnoser.run(), server

    yield run
    for driver in opened:
        driver.close()


def _said(finding) -> str:
    return " ".join([finding.title.en, finding.cause.en, *(e.en for e in finding.evidence)])


# -- the wire: what the hosts answer --------------------------------------------------------------


def test_cup_mac_matches_the_reference_vector():
    # docs/payment-facts.md §3: MAK 0123456789ABCDEF, MAB 02 00 + "1234567890" -> "A4CECD2F"
    assert cup.cup_mac(bytes.fromhex("0123456789ABCDEF"), bytes.fromhex("0200") + b"1234567890") == b"A4CECD2F"


def test_settlement_request_decodes_with_pyiso8583_as_the_reference_lays_it_out():
    mak = bytes.fromhex("1C4A7F2B3D5E6A7B0000000000000000")
    request = cup.settlement_request(
        tid="12345678",
        mid="123456789012345",
        stan=1209,
        batch=37,
        totals=cup.SettlementTotals(debit_amount=12800, debit_count=3),
        tpdu=cup.Tpdu(),
        header=cup.Header(),
        mak=mak,
    )
    wire = cup.encode(request)
    doc, parts = iso8583.decode(wire[2:], cup.SPEC)
    assert doc["t"] == "0500"
    assert parts["p"]["data"].hex().upper() == "0020000000C18013"  # fields 11, 41, 42, 48, 49, 60, 63, 64
    assert parts["48"]["len"] == bytes.fromhex("0062")  # LLLVAR, 2-byte BCD length: 62 digits
    assert doc["48"][:15] == "000000012800003" and doc["48"][30] == "0"
    assert doc["60"] == "00000037201" and doc["49"] == "156"
    # field 64 is the CUP MAC of everything from the MTI to the end of field 63, under the MAK
    assert bytes.fromhex(doc["64"]) == cup.cup_mac(mak, wire[2 + 11 : -8])
    assert cup.mac_matches(cup.decode(wire[2:]), mak)
    assert not cup.mac_matches(cup.decode(wire[2:]), bytes(16))


def _settle_at(server: AcquirerServer, request: cup.HostMessage) -> cup.HostMessage:
    with server.connect("10.20.30.40", 5000) as sock:
        cup.send(sock, request)
        return cup.receive(sock, 5)[1]


def _settlement(stan: int, mak: bytes | None, count: int = 23, amount: int = 186450) -> cup.HostMessage:
    return cup.settlement_request(
        tid="12345678",
        mid="123456789012345",
        stan=stan,
        batch=37,
        totals=cup.SettlementTotals(debit_amount=amount, debit_count=count),
        tpdu=cup.Tpdu(),
        header=cup.Header(),
        mak=mak,
    )


def test_host_checks_mac_and_totals_and_answers_a_repeated_0500_alike():
    acquirer = load_scenario("unsettled-batch").acquirer
    mak = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    with AcquirerServer(acquirer, issued_keys={"12345678": {"mak": mak}}, batches={"12345678": (23, 186450)}) as host:
        assert _settle_at(host, _settlement(5, bytes(16))).get(39) == "A0"  # not the MAK the host issued
        assert _settle_at(host, _settlement(6, None)).get(39) == "A0"  # no MAC at all
        unbalanced = _settle_at(host, _settlement(7, mak, count=22))
        assert unbalanced.get(39) == "00" and cup.SettlementTotals.parse(unbalanced.get(48)).result == cup.UNBALANCED
        assert host.open_batch("12345678") == (23, 186450), "an unbalanced settlement leaves the host's record"
        balanced = _settle_at(host, _settlement(8, mak))
        assert balanced.mti == "0510" and balanced.get(32) == "48020000"
        assert cup.SettlementTotals.parse(balanced.get(48)).result == cup.BALANCED
        assert host.open_batch("12345678") == (0, 0)
        again = _settle_at(host, _settlement(8, mak))  # the terminal lost the 0510 and sends the same 0500
        assert (again.get(39), again.get(48)) == (balanced.get(39), balanced.get(48))


def test_another_acquirers_host_answers_with_its_own_institution(pty_sim, connect):
    server = pty_sim("other-acquirer-97")
    d = connect(server.path)
    d.login(PASSWORD)
    s = d.sign_on()
    assert (s.host_address, s.response_code, s.acquirer_id) == ("10.88.16.20", "97", "48790000")
    d.set_parameters({"primary_host": "10.20.30.40", "primary_port": 5000, "backup_host": "", "backup_port": 0})
    s = d.sign_on()
    assert (s.response_code, s.acquirer_id) == ("00", "48020000")


@pytest.mark.parametrize(
    ("policy", "code"),
    [("accept", "00"), ("route-to-test", "97"), ('refuse"\ntest_status_code = "12', "12")],
    ids=["accept", "route-to-test", "refuse"],
)
def test_production_host_answers_a_test_status_message_as_the_acquirer_says(pty_sim, connect, policy, code):
    server = pty_sim("healthy", f'[parameters]\nheader_status = "test"\n[acquirer]\ntest_status = "{policy}"\n')
    d = connect(server.path)
    d.login(PASSWORD)
    s = d.sign_on()
    assert (s.host_role, s.response_code, s.acquirer_id) == ("primary", code, "48020000")
    d.set_parameters({"header_status": "normal"})
    assert d.sign_on().response_code == "00"


def test_stale_keys_fail_the_settlement_with_a0_until_a_sign_on(pty_sim, connect):
    server = pty_sim("stale-keys-a0")
    d = connect(server.path)
    d.login(PASSWORD)
    refused = d.settle()
    assert (refused.outcome, refused.response_code) == ("declined", "A0")
    assert (refused.unsettled_after, d.counters().unsettled_transactions) == (5, 5)
    assert d.read_log("response-codes")[-1].code == "A0"
    assert d.sign_on().outcome == "ok"
    settled = d.settle()
    assert (settled.outcome, settled.reconciliation, settled.count, settled.amount) == ("ok", "balanced", 5, 31800)
    assert (settled.batch, settled.batch_after, d.counters().unsettled_transactions) == (37, 38, 0)
    assert d.settle().stan is None, "an empty batch goes nowhere"


# -- point 1: another institution answers ---------------------------------------------------------


def test_other_acquirer_is_named_from_the_0810_with_both_institution_codes(diagnose):
    diagnoser, result, server = diagnose("other-acquirer-97")
    top = result.top
    assert top.id == "foreign-host" and result.outcome == "faults" and result.exit_code == 1
    assert "institution 48790000 (field 32 of the 0810), not Demo Acquirer's 48020000" in top.cause.en
    assert "48790000" in top.cause.zh and "48020000" in top.cause.zh
    assert result.check("signon").observed["answered_by"] == "48790000"
    after = diagnoser.repair(result, lambda a, f: True)
    assert [(o.action, o.result) for o in after.actions_taken] == [("use-production-hosts", "done")]
    assert after.actions_taken[0].sign_on["response_code"] == "00"
    assert "foreign-host" not in {f.id for f in after.findings}


def test_an_approval_from_another_institution_is_a_finding_too(diagnose):
    # the profile lists the host, but the system behind it is another acquirer's, which knows the TID
    other = """
[[other_acquirers]]
name = "示例二收单行 Other Acquirer"
institution_id = "48790000"

[[other_acquirers.terminals]]
tid = "12345678"
mid = "123456789012345"
tmk = "0123456789ABCDEFFEDCBA9876543210"

[[other_acquirers.hosts]]
address = "10.20.30.40"
port = 5000

[[acquirer.hosts]]
address = "10.20.30.41"
port = 5000
"""
    _, result, _ = diagnose("healthy", other)
    assert result.check("signon").status == "pass"
    top = result.top
    assert top.id == "foreign-host" and result.exit_code == 1
    assert "answered 00; the answer came from institution 48790000" in top.cause.en
    assert "Demo Acquirer's 48020000" in top.cause.en


# -- point 2: the header status ---------------------------------------------------------------------


def test_header_test_routed_to_the_test_system_is_the_header_not_the_registration(diagnose):
    diagnoser, result, server = diagnose("header-test-routed-97")
    top = result.top
    assert top.id == "test-header" and top.severity == "critical"
    assert result.outcome == "faults" and result.exit_code == 1
    assert "production host 10.20.30.40:5000" in top.cause.en and "answers 97" in top.cause.en
    assert [(a.id, a.changes) for a in top.actions] == [("header-normal", {"header_status": ("test", "normal")})]
    assert not {"not-registered", "test-host"} & {f.id for f in result.findings}
    after = diagnoser.repair(result, lambda a, f: True)
    assert after.actions_taken[0].sign_on["response_code"] == "00"


def test_header_test_refused_with_the_profiles_code(diagnose):
    refusing = load_profile_text(
        (ROOT / "resources" / "acquirers" / "demo.toml")
        .read_text(encoding="utf-8")
        .replace('test_status = "route-to-test"', 'test_status = "refuse"\ntest_status_code = "12"'),
        profile_id="demo",
    )
    _, result, _ = diagnose(
        "header-test-routed-97", '[acquirer]\ntest_status = "refuse"\ntest_status_code = "12"\n', profile=refusing
    )
    top = result.top
    assert top.id == "test-header" and result.exit_code == 1
    assert "refuses messages marked test at its production hosts with 12" in top.cause.en
    assert "host-refusal" not in {f.id for f in result.findings}, "the 12 is explained, not escalated"


# -- point 3: settle the batch, then fix the TID ------------------------------------------------------


def test_settle_then_fix_the_tid_end_to_end(diagnose):
    diagnoser, result, server = diagnose("unsettled-batch", work_order=TID_CHANGE)
    top = result.top
    assert top.id == "tid-mismatch" and result.outcome == "faults" and result.exit_code == 1
    assert [(a.id, a.kind) for a in top.actions] == [("settle-batch", "automatic"), ("fix-tid", "automatic")]
    settle, fix = top.actions
    assert settle.operation == "settle" and settle.blocked is None
    assert fix.blocked is not None and "settled first" in fix.blocked.en
    asked = []
    after = diagnoser.repair(result, lambda a, f: asked.append(a.id) or True)
    assert asked == ["settle-batch", "fix-tid"], "the settlement is confirmed and run before the TID change"
    taken = {o.action: o for o in after.actions_taken}
    assert taken["settle-batch"].result == "done"
    assert taken["settle-batch"].read_back == {"unsettled_transactions": 0, "batch": 38}
    assert "23 transactions, 1864.50 yuan" in taken["settle-batch"].message.en
    assert taken["fix-tid"].result == "done" and taken["fix-tid"].read_back == {"tid": "12345679"}
    assert taken["fix-tid"].sign_on["response_code"] == "00"
    assert after.findings == [] and after.outcome == "incomplete" and after.exit_code == 3  # self-tests not run
    host = server.terminal.world.acquirer()
    assert host.open_batch("12345678") == (0, 0), "the host closed the batch under the old TID"
    assert host.last_sign_on("12345679") is not None


def test_without_automatic_settlement_the_tid_change_waits_for_the_manual_settlement(diagnose):
    manual = PROFILE.model_copy(update={"automatic_settlement": False})
    diagnoser, result, server = diagnose("unsettled-batch", work_order=TID_CHANGE, profile=manual)
    assert [(a.id, a.kind) for a in result.top.actions] == [("settle-batch", "manual"), ("fix-tid", "automatic")]
    after = diagnoser.repair(result, lambda a, f: True)
    assert [(o.action, o.result) for o in after.actions_taken] == [("fix-tid", "blocked")]
    assert "settled first" in after.actions_taken[0].message.en
    assert server.terminal.unsettled == 23 and server.terminal.params[Tag.TID] == "12345678"


def test_an_unbalanced_settlement_leaves_the_batch_and_the_tid_alone(diagnose):
    records = load_scenario("unsettled-batch").acquirer.terminals
    table = "".join(
        f'\n[[acquirer.terminals]]\ntid = "{t.tid}"\nmid = "{t.mid}"\ntmk = "{t.tmk}"\nroles = {json.dumps(t.roles)}\n'
        + ("batch_count = 22\n" if t.tid == "12345678" else "")
        for t in records
    )
    diagnoser, result, server = diagnose(
        load_scenario_text('extends = "unsettled-batch"\n' + table), work_order=TID_CHANGE
    )
    after = diagnoser.repair(result, lambda a, f: True)
    assert [(o.action, o.result) for o in after.actions_taken] == [("settle-batch", "failed"), ("fix-tid", "blocked")]
    assert "totals differ" in after.actions_taken[0].message.en
    assert after.actions_taken[0].read_back == {"unsettled_transactions": 23, "batch": 37}
    assert after.top.id == "tid-mismatch" and after.exit_code == 1


def test_techapp_diagnose_fix_auto_settles_then_fixes_the_tid_over_a_pty(tmp_path):
    """Two processes, as a technician runs them: ``techapp sim --pty`` and ``techapp diagnose --fix auto``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TECHAPP_PASSWORD", "TECHAPP_SCENARIO_PATH")}
    env.update(PYTHONIOENCODING="utf-8", TECHAPP_DATA_DIR=str(tmp_path / "data"))
    netmap = tmp_path / "netmap.json"
    sim = subprocess.Popen(
        [sys.executable, "-m", "techapp", "sim", "unsettled-batch", "--pty", "--netmap", str(netmap)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout.readline().startswith("netmap ")
        pty = sim.stdout.readline().removeprefix("pty ").strip()
        assert pty.startswith("/dev/pts/")
        out = tmp_path / "result.json"
        run = subprocess.run(
            [sys.executable, "-m", "techapp", "diagnose", "--port", pty, "--fix", "auto", "--no-prompts"]
            + ["--work-order", str(ROOT / "resources" / "work-orders" / "tid-change.toml"), "--json", str(out)],
            cwd=ROOT,
            env={**env, "TECHAPP_PASSWORD": PASSWORD, "TECHAPP_NETMAP": str(netmap)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
    finally:
        sim.terminate()
        sim.communicate(timeout=10)
    assert "Traceback" not in run.stderr, run.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["findings_before_repair"][0] == "tid-mismatch"
    assert [(a["action"], a["result"]) for a in doc["actions_taken"]] == [("settle-batch", "done"), ("fix-tid", "done")]
    assert doc["actions_taken"][1]["sign_on"]["response_code"] == "00"
    assert doc["terminal"]["tid"] == "12345679" and doc["findings"] == []
    assert run.returncode == doc["exit_code"] == 3 and doc["outcome"] == "incomplete"
    settle = doc["actions_taken"][0]
    assert settle["written"] == settle["read_back"] == {"unsettled_transactions": 0, "batch": 38}
    schema = json.loads((ROOT / "docs" / "schemas" / "diagnosis-v1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)


# -- point 4: the host remembers the keys it issued -----------------------------------------------------


def test_stale_keys_are_fixed_by_the_diagnosis_sign_on_and_then_the_batch_settles(diagnose):
    diagnoser, result, server = diagnose("stale-keys-a0")
    top = result.top
    assert (top.id, top.state) == ("keys-out-of-sync", "fixed-during-diagnosis")
    assert result.outcome == "faults" and result.exit_code == 1
    after = diagnoser.repair(result, lambda a, f: True)
    assert [(o.action, o.result) for o in after.actions_taken] == [("settle-batch", "done")]
    assert server.terminal.unsettled == 0


def test_stale_keys_without_a_sign_on_refuse_the_settlement_with_a0(diagnose):
    diagnoser, result, server = diagnose("stale-keys-a0", sign_on=False)
    top = result.top
    assert (top.id, top.state) == ("keys-out-of-sync", "open") and result.exit_code == 1
    after = diagnoser.repair(result, lambda a, f: True)
    settle = next(o for o in after.actions_taken if o.action == "settle-batch")
    assert settle.result == "failed" and "A0" in settle.message.en and "sign on" in settle.message.en
    assert settle.read_back == {"unsettled_transactions": 5, "batch": 37}
    assert after.top.id == "keys-out-of-sync" and after.exit_code == 1
    assert server.terminal.response_log[-1].code == "A0"
