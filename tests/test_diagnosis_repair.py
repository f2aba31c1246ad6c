"""Repairs through the real link: backup, all-or-nothing write, read-back, the sign-on that proves it.

Every test drives the simulated terminal over a real pty with the real driver;
what the terminal holds afterwards is read back over a second connection, as a
technician would check it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from drivers.registry import open_terminal
from techapp.backups import BackupError, load_backup, restore_backup
from techapp.credentials import DEMO_PASSWORD
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.model import T
from techapp.diagnosis.runner import STEP_GRACE_S, Gatherer, Step
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml")
PROFILE = load_profile("demo")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _backups(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "data" / "backups"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@pytest.fixture
def diagnose(pty_sim):
    """``diagnose("demo-97", overrides="")`` -> (diagnoser, result, server); the driver is closed afterwards."""
    opened = []

    def run(scenario: str, overrides: str = "", **kw):
        server = pty_sim(scenario, overrides)
        driver = open_terminal(server.path)
        opened.append(driver)
        dialer = MappedDialer.from_dict(server.terminal.world.laptop_netmap())
        diagnoser = Diagnoser(
            driver,
            DEMO_PASSWORD,
            port=server.path,
            work_order=kw.pop("work_order", WORK_ORDER),
            profile=kw.pop("profile", PROFILE),
            dialer=dialer,
            **kw,
        )
        return diagnoser, diagnoser.run(), server

    yield run
    for driver in opened:
        driver.close()


def _terminal_parameters(server, diagnoser=None):
    """What the terminal holds now, read over a new connection (not from the simulator's memory).

    The port is exclusive, so the diagnoser's own connection is closed first.
    """
    if diagnoser is not None:
        diagnoser.driver.close()
    with open_terminal(server.path) as driver:
        driver.login(DEMO_PASSWORD)
        return driver.parameters()


def test_97_by_wrong_tid_is_fixed_end_to_end(diagnose, tmp_path):
    diagnoser, before, server = diagnose("demo-97")
    assert before.top.id == "tid-mismatch"
    assert before.check("signon").observed["response_code"] == "97"
    asked = []

    def confirm(action, finding):
        asked.append((action.id, dict(action.changes)))
        return True

    after = diagnoser.repair(before, confirm)
    assert asked == [("fix-tid", {"tid": ("12345687", "12345678")})]
    [outcome] = after.actions_taken
    assert outcome.result == "done"
    assert outcome.read_back == {"tid": "12345678"}
    assert outcome.sign_on["response_code"] == "00"
    # before and after, for the checks the finding rests on
    assert outcome.before["params.tid"] == "fail" and outcome.after["params.tid"] == "pass"
    assert outcome.before["signon"] == "fail" and outcome.after["signon"] == "pass"
    # fixed; nobody was at the terminal for the person tests, so the run is incomplete, not healthy
    assert after.findings == [] and after.outcome == "incomplete" and after.exit_code == 3
    assert [u.step for u in after.untested] == ["card-reader", "keypad"]
    assert after.findings_before == ["tid-mismatch"]
    # the backup holds the full parameter set as it was before the write
    [backup] = _backups(tmp_path)
    assert outcome.backup_path == str(backup)
    doc, saved = load_backup(backup)
    assert saved.tid == "12345687" and saved.mid == "123456789012345"
    assert doc["terminal"]["serial_number"] == "82412345"
    # and the terminal really holds the new TID
    assert _terminal_parameters(server, diagnoser).tid == "12345678"


def test_backup_can_be_restored_and_only_on_the_same_terminal(diagnose, tmp_path, pty_sim):
    diagnoser, before, server = diagnose("demo-97")
    diagnoser.repair(before, lambda a, f: True)
    [backup] = _backups(tmp_path)
    diagnoser.driver.close()
    with open_terminal(server.path) as driver:
        identity = driver.identity()
        driver.login(DEMO_PASSWORD)
        changes, saved = restore_backup(driver, backup, identity=identity)
    assert changes["tid"] == ("12345678", "12345687")
    assert "stan" not in changes, "a restore never winds the STAN back"
    assert load_backup(saved)[1].tid == "12345678", "the values before the restore are backed up too"
    assert _terminal_parameters(server).tid == "12345687"
    other = pty_sim("swapped-terminal")
    with open_terminal(other.path) as driver:
        identity = driver.identity()
        driver.login(DEMO_PASSWORD)
        with pytest.raises(BackupError, match="SN 82412345.*SN 1170045821"):
            restore_backup(driver, backup, identity=identity)
    assert _terminal_parameters(other).tid == "12345678"


def test_not_registered_ends_in_escalation_and_writes_nothing(diagnose, tmp_path):
    diagnoser, before, server = diagnose("not-registered-97")
    top = before.top
    assert top.id == "not-registered" and top.confidence == "high"
    [escalation] = [a for a in top.actions if a.kind == "escalation"]
    text = escalation.text.en
    sign_on = before.check("signon").observed
    for fact in ("12345678", "123456789012345", "82412345", "PAX S90", "PayDroid FW 2.6.41", "10.20.30.40:5000"):
        assert fact in text
    assert f"{sign_on['stan']:06d}" in text and "97" in text
    assert escalation.recipient == "terminal-support@acquirer.example"
    assert "终端号" in escalation.text.zh
    assert not [a for f in before.findings for a in f.actions if a.kind == "automatic"]
    confirmed = []
    after = diagnoser.repair(before, lambda a, f: confirmed.append(a) or True)
    assert confirmed == [] and after.actions_taken == []
    assert _backups(tmp_path) == []
    assert _terminal_parameters(server, diagnoser).tid == "12345678"


def test_open_batch_blocks_the_fix_and_says_settle_first(diagnose, tmp_path):
    manual_settlement = PROFILE.model_copy(update={"automatic_settlement": False})
    diagnoser, before, server = diagnose(
        "demo-97", "[counters]\nunsettled_transactions = 5\ntransaction_log_used = 5\n", profile=manual_settlement
    )
    top = before.top
    fix = next(a for a in top.actions if a.id == "fix-tid")
    assert fix.blocked is not None and "5 unsettled" in fix.blocked.en
    assert [(a.id, a.kind) for a in top.actions][0] == ("settle-batch", "manual"), "the settlement comes first"
    after = diagnoser.repair(before, lambda a, f: pytest.fail("a blocked action must not be offered"))
    assert [(o.action, o.result) for o in after.actions_taken] == [("fix-tid", "blocked")]
    assert _backups(tmp_path) == []
    assert _terminal_parameters(server, diagnoser).tid == "12345687"


def test_declined_action_writes_nothing(diagnose, tmp_path):
    diagnoser, before, server = diagnose("demo-97")
    after = diagnoser.repair(before, lambda a, f: False)
    assert [(o.action, o.result) for o in after.actions_taken] == [("fix-tid", "declined")]
    assert after.top.id == "tid-mismatch"
    assert _backups(tmp_path) == []
    assert _terminal_parameters(server, diagnoser).tid == "12345687"


def test_no_backup_no_write(diagnose, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(blocker))
    diagnoser, before, server = diagnose("demo-97")
    after = diagnoser.repair(before, lambda a, f: True)
    [outcome] = after.actions_taken
    assert outcome.result == "failed"
    assert "cannot write the parameter backup" in outcome.message.en and "not-a-folder" in outcome.message.en
    assert _terminal_parameters(server, diagnoser).tid == "12345687"


def test_values_changed_since_the_diagnosis_are_not_overwritten(diagnose, tmp_path):
    diagnoser, before, server = diagnose("demo-97")
    diagnoser.driver.close()
    with open_terminal(server.path) as other:  # someone else edits the terminal meanwhile
        other.login(DEMO_PASSWORD)
        other.set_parameters({"tid": "12340000"})
    diagnoser.driver = open_terminal(server.path)
    diagnoser.driver.login(DEMO_PASSWORD)
    after = diagnoser.repair(before, lambda a, f: True)
    [outcome] = after.actions_taken
    assert outcome.result == "failed" and "tid changed on the terminal" in outcome.message.en
    assert _terminal_parameters(server, diagnoser).tid == "12340000"


def test_test_host_is_pointed_at_production_and_signs_on(diagnose):
    diagnoser, before, server = diagnose("test-host-97")
    assert before.top.id == "test-host"
    fix = before.top.actions[0]
    assert fix.changes["primary_host"] == ("10.20.99.40", "10.20.30.40")
    assert fix.changes["header_status"] == ("test", "normal")
    after = diagnoser.repair(before, lambda a, f: True)
    assert after.actions_taken[0].sign_on["response_code"] == "00"
    assert after.findings == []
    params = _terminal_parameters(server, diagnoser)
    assert (params.primary_host, params.backup_host, params.header_status) == ("10.20.30.40", "10.20.30.41", "normal")


def test_clock_drift_is_fixed_by_setting_the_clock(diagnose):
    diagnoser, before, server = diagnose("clock-drift")
    assert before.top.id == "clock-drift"
    assert before.check("hardware.clock").observed["drift_s"] < -172000
    after = diagnoser.repair(before, lambda a, f: True)
    [outcome] = after.actions_taken
    assert outcome.action == "sync-clock" and outcome.result == "done"
    assert outcome.sign_on["response_code"] == "00"
    assert after.check("hardware.clock").status == "pass"
    assert after.check("network.terminal").status == "pass"
    assert after.findings == []


def test_cancel_stops_between_steps(diagnose):
    cancel = threading.Event()

    def progress(p):
        if p.step == "parameters":
            cancel.set()

    _, result, _ = diagnose("demo-97", on_progress=progress, cancel=cancel)
    assert result.cancelled and result.exit_code == 2
    assert result.check("keys.tmk").status == "skipped"
    assert "cancelled" in result.check("keys.tmk").summary.en
    assert result.check("params.tid").status == "fail"  # the step under way finished


def test_person_tests_ask_and_can_be_skipped(diagnose):
    prompts = []

    def ask(prompt):
        prompts.append(prompt)
        return False

    _, result, _ = diagnose("healthy", ask_person=ask)
    assert [p.id for p in prompts] == ["card-reader", "keypad"]
    assert "Swipe a card" in prompts[0].text.en and "刷" in prompts[0].text.zh
    for check_id in ("selftest.card_reader", "selftest.keypad"):
        assert result.check(check_id).status == "skipped"
        assert result.check(check_id).summary.en == "skipped by the technician"
    _, quiet, _ = diagnose("healthy")
    assert "not interactive" in quiet.check("selftest.keypad").summary.en


def test_a_step_past_its_timeout_is_an_error_and_closes_the_link(pty_sim):
    server = pty_sim("healthy")
    driver = open_terminal(server.path)

    class Stuck(Gatherer):
        def steps(self, phases=None):
            return [
                Step("connect", T("Connect", "连接"), self._hello, 5, needs_login=False),
                Step("identity", T("Hang", "挂起"), lambda: time.sleep(3), 0.3, needs_login=False),
                Step("login", T("Login", "登录"), self._login, 5, needs_login=False),
            ]

    started = time.monotonic()
    readings = Stuck(driver, DEMO_PASSWORD).run()
    # the time-out is a promise: kept within runner.STEP_GRACE_S (0.5 s), not the 3 s the step would take
    assert time.monotonic() - started < 0.3 + STEP_GRACE_S + 1.0
    assert readings.errors["identity"].error_type == "StepTimeout"
    assert "0.3 s" in readings.errors["identity"].message
    assert not driver.is_open
    assert "link to the terminal is closed" in readings.skipped["login"].en


def test_a_step_given_up_on_records_nothing_it_reads_afterwards(pty_sim):
    server = pty_sim("healthy")
    driver = open_terminal(server.path)
    finished = threading.Event()

    class Late(Gatherer):
        def steps(self, phases=None):
            return [
                Step("connect", T("Connect", "连接"), self._hello, 5, needs_login=False),
                Step("identity", T("Slow", "慢"), self._late_identity, 0.2, needs_login=False),
            ]

        def _late_identity(self):
            time.sleep(0.2 + STEP_GRACE_S + 0.3)  # answers after the runner gave up on it
            try:
                self.r.identity = self._counted("read too late")
            finally:
                finished.set()

    readings = Late(driver, DEMO_PASSWORD).run()
    assert readings.errors["identity"].error_type == "StepTimeout"
    assert finished.wait(5)
    assert readings.identity is None  # the late answer was dropped, not recorded after the error


def test_json_of_a_repair_records_backup_and_before_after(diagnose):
    diagnoser, before, _ = diagnose("demo-97")
    doc = json.loads(json.dumps(diagnoser.repair(before, lambda a, f: True).to_dict()))
    [taken] = doc["actions_taken"]
    assert taken["written"] == {"tid": "12345678"} and taken["before"]["params.tid"] == "fail"
    assert doc["findings_before_repair"] == ["tid-mismatch"] and doc["outcome"] == "incomplete"
    assert doc["exit_code"] == 3 and [u["step"] for u in doc["untested"]] == ["card-reader", "keypad"]


def test_cancel_during_a_long_terminal_operation_returns_within_seconds(diagnose):
    cancel = threading.Event()
    started = {}

    def progress(p):
        if p.step == "comm-test" and "t" not in started:
            started["t"] = time.monotonic()
            cancel.set()

    # the terminal waits its 30 s connect timeout for each host: cancel must not wait for that
    _, result, _ = diagnose("host-unreachable", on_progress=progress, cancel=cancel)
    assert time.monotonic() - started["t"] < 10
    assert result.cancelled and result.exit_code == 2
    assert result.check("network.terminal").status == "error"
    assert "cancelled" in result.check("network.terminal").summary.en
    assert result.check("signon").status == "skipped"


def test_lost_parameters_are_not_also_blamed_on_a_wrong_host(diagnose):
    _, result, _ = diagnose(
        "params-lost",
        '[[logs.response_codes]]\ntime = 2026-11-25T08:30:02\ncode = "97"\ntext = "terminal not registered"\n',
    )
    ids = [f.id for f in result.findings]
    assert ids[0] == "params-lost"
    assert not {"foreign-host", "test-host", "not-registered", "tid-mismatch"} & set(ids), ids


def test_full_storage_with_a_small_log_is_not_called_a_full_log(diagnose):
    _, result, _ = diagnose("healthy", "[hardware]\nstorage_free_kb = 900\n")
    top = result.top
    assert (top.id, top.title.en) == ("storage-full", "Storage nearly full")
    assert [a.id for a in top.actions] == ["free-storage"]


def test_a_pending_reversal_is_not_promised_to_a_sign_on(diagnose):
    _, result, _ = diagnose("pending-reversal")
    assert result.top.id == "pending-reversal"
    assert [(a.id, a.kind) for a in result.top.actions] == [("send-reversal", "manual")]


def test_header_status_test_is_found_even_when_the_host_approves(diagnose):
    diagnoser, before, server = diagnose("healthy", '[parameters]\nheader_status = "test"\n')
    assert before.check("signon").status == "pass"
    assert (before.top.id, before.top.severity) == ("test-header", "high")
    assert before.top.actions[0].changes == {"header_status": ("test", "normal")}
    after = diagnoser.repair(before, lambda a, f: True)
    assert after.findings == [] and after.actions_taken[0].sign_on["response_code"] == "00"
    assert _terminal_parameters(server, diagnoser).header_status == "normal"


def test_skip_while_the_terminal_waits_for_the_person(diagnose):
    timers = []

    def ask(prompt):
        if prompt.id == "card-reader":  # nobody comes: the technician presses Skip after a moment
            timer = threading.Timer(0.5, prompt.skip.set)
            timers.append(timer)
            timer.start()
            return True
        return False

    started = time.monotonic()
    _, result, _ = diagnose("healthy", "[self_tests.card_reader]\npresent_after_s = 60\n", ask_person=ask)
    for timer in timers:
        timer.join()
    assert time.monotonic() - started < 20, "the 30 s wait for a card was cut short"
    check = result.check("selftest.card_reader")
    assert (check.status, check.summary.en) == ("skipped", "skipped by the technician")
    assert not result.cancelled and result.check("signon").status == "pass"


def test_repair_only_the_chosen_action(diagnose):
    diagnoser, before, server = diagnose("test-host-97", '[parameters]\ntid = "12345687"\n')
    offered = {a.id for f in before.findings for a in f.actions if a.kind == "automatic"}
    assert {"use-production-hosts", "fix-tid"} <= offered
    asked = []
    after = diagnoser.repair(before, lambda a, f: asked.append(a.id) or True, only={"fix-tid"})
    assert asked == ["fix-tid"]
    assert [o.action for o in after.actions_taken] == ["fix-tid"]
    params = _terminal_parameters(server, diagnoser)
    assert (params.tid, params.primary_host) == ("12345678", "10.20.99.40")


def test_checks_name_the_parameters_they_judge(diagnose):
    _, result, _ = diagnose("demo-97")
    assert result.check("params.tid").fields == ["tid"]
    assert "primary_host" in result.check("params.hosts").fields
    assert result.check("hardware.printer").fields == []


def test_a_97_in_the_log_does_not_hide_a_dead_link(diagnose):
    _, result, _ = diagnose(
        "cellular-no-apn",
        '[[logs.response_codes]]\ntime = 2026-11-25T08:30:02\ncode = "97"\ntext = "terminal not registered"\n',
    )
    assert result.top.id == "no-apn"
    assert "not-registered" not in [f.id for f in result.findings]


def test_after_a_repair_old_log_entries_are_history(diagnose):
    diagnoser, before, _ = diagnose("demo-97")
    after = diagnoser.repair(before, lambda a, f: True)
    codes = after.check("counters.response_codes")
    assert codes.status == "pass" and codes.observed["codes"] == ["00"], codes.summary.en


def test_cancel_at_a_confirmation_keeps_what_was_done(diagnose):
    diagnoser, before, _ = diagnose("test-host-97", '[parameters]\ntid = "12345687"\n')

    def confirm(action, finding):
        if action.id == "fix-tid":
            diagnoser.cancel.set()
            return False
        return True

    after = diagnoser.repair(before, confirm)
    assert [(o.action, o.result) for o in after.actions_taken][0] == ("use-production-hosts", "done")
    assert after.cancelled and after.exit_code == 2
    assert after.checks == before.checks, "no re-run after a cancel: the checklist is the one that was read"


def test_tampered_terminal_is_read_but_not_compared(diagnose):
    _, result, _ = diagnose("tampered")
    assert result.top.id == "tamper"
    assert result.check("params.tid").status == "pass"
    assert result.check("network.compare").status == "skipped"
    assert result.check("network.terminal").status == "skipped"


def test_missing_primary_host_is_named(diagnose):
    _, result, _ = diagnose("healthy", '[parameters]\nprimary_host = ""\nprimary_port = 0\n')
    assert "host-missing" in [f.id for f in result.findings]
    fix = next(a for f in result.findings for a in f.actions if a.id == "use-production-hosts")
    assert fix.changes["primary_host"] == ("", "10.20.30.40")


def test_without_a_profile_a_test_header_and_a_missing_host_are_still_findings(diagnose):
    _, result, _ = diagnose(
        "healthy", '[parameters]\nheader_status = "test"\nprimary_host = ""\nprimary_port = 0\n', profile=None
    )
    ids = [f.id for f in result.findings]
    assert "test-header" in ids and "host-missing" in ids, ids
    enter = next(f for f in result.findings if f.id == "host-missing").actions[0]
    assert (enter.id, enter.kind) == ("enter-hosts", "manual")


CTRL_C_SCRIPT = r"""
import os, signal, sys, threading, time
sys.path.insert(0, "tests")
from conftest import make_terminal
from drivers.sim.server import PtyServer
from drivers.registry import open_terminal
from techapp.diagnosis.model import T
from techapp.diagnosis.runner import Gatherer, Step

server = PtyServer(make_terminal("healthy")).start()
driver = open_terminal(server.path)

def busy_on_the_link():  # like a comm test: it ends when the link is closed
    while driver.is_open:
        time.sleep(0.05)

class Slow(Gatherer):
    def steps(self, phases=None):
        return [
            Step("connect", T("c", "c"), self._hello, 5, needs_login=False),
            Step("identity", T("slow", "slow"), busy_on_the_link, 30, needs_login=False),
            Step("login", T("l", "l"), self._login, 5, needs_login=False),
        ]

threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
started = time.monotonic()
r = Slow(driver, "demo-2026").run()
print("cancelled", r.cancelled)
print("identity", r.errors["identity"].error_type)
print("login", r.skipped["login"].en)
print("fast", time.monotonic() - started < 7)
server.stop()
"""


def test_ctrl_c_during_a_step_is_a_cancel_and_the_readings_survive(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == [
        "cancelled True",
        "identity Cancelled",
        "login cancelled by the user",
        "fast True",
    ], done.stdout + done.stderr
