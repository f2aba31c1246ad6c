"""Untested is not healthy: the three outcomes, the person's time-out, and a clean exit.

``techapp diagnose`` runs as a technician runs it: a subprocess whose standard input is a real
terminal (a pty, so it asks), against a simulated terminal served on another real pty. The tests
answer its prompts in time, late, or never, and assert what the technician sees: the outcome on
the report's first line, the exit code, the untested list in the JSON, and that the process ends
cleanly (no "Fatal Python error", no traceback) however the prompts went.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from drivers.models import CommTestResult, HostReach
from drivers.registry import open_terminal
from drivers.sim.scenario import load_scenario
from techapp import cli
from techapp.diagnosis.checks import Context, judge
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.outcome import complaint_steps, untested
from techapp.diagnosis.runner import NO_SIGN_ON, NO_SIGN_ON_RAN, Readings
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.schemas import SCHEMA_DIR
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-2026"
PROFILE = load_profile("demo")
CARD_NOT_READ = ROOT / "resources" / "work-orders" / "card-not-read.toml"
SCHEMA = json.loads((SCHEMA_DIR / "diagnosis-v1.schema.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.timeout(120)


def _validate(doc: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


# -- techapp diagnose as a subprocess with a person answering (or not) on its terminal -----------------


@dataclass
class Done:
    code: int
    out: str
    err: str
    doc: dict
    prompts: int

    @property
    def first_line(self) -> str:
        return self.out.splitlines()[0]

    def untested(self) -> dict[str, dict]:
        return {u["step"]: u for u in self.doc["untested"]}

    def check(self, check_id: str) -> dict:
        return next(c for c in self.doc["checks"] if c["id"] == check_id)


def diagnose_cli(port: str, tmp_path: Path, answers: list[float | str | None], *args: str, early: bytes = b"") -> Done:
    """Run ``techapp diagnose`` with a pty as its stdin; ``answers[n]``: seconds after the n-th prompt
    appears before Enter is pressed (None: never; "ctrl-c": Ctrl-C half a second after it appears)."""
    target = tmp_path / "result.json"
    env = {
        **os.environ,
        "TECHAPP_PASSWORD": PASSWORD,
        "TECHAPP_DATA_DIR": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        "PYTHONFAULTHANDLER": "",
    }
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "techapp", "diagnose", "--port", port, "--fix", "none", "--json", str(target), *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    os.write(master, early)  # typed before any question was asked
    err = b""
    out = b""
    due: list[float] = []  # when to press Enter
    seen = 0
    try:
        deadline = time.monotonic() + 100
        streams = {proc.stdout.fileno(): "out", proc.stderr.fileno(): "err"}
        while streams and time.monotonic() < deadline:
            ready, _, _ = select.select(list(streams), [], [], 0.05)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    del streams[fd]
                elif streams[fd] == "err":
                    err += chunk
                else:
                    out += chunk
            while err.count(b">>> ") > seen:
                delay = answers[seen] if seen < len(answers) else None
                seen += 1
                if delay == "ctrl-c":
                    time.sleep(0.5)
                    proc.send_signal(signal.SIGINT)
                elif delay is not None:
                    due.append(time.monotonic() + delay)
            now = time.monotonic()
            for when in [w for w in due if w <= now]:
                due.remove(when)
                os.write(master, b"\n")
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        os.close(master)
    doc = json.loads(target.read_text(encoding="utf-8"))
    return Done(code, out.decode("utf-8"), err.decode("utf-8"), doc, seen)


def assert_clean_exit(done: Done) -> None:
    assert "Fatal Python error" not in done.err, done.err
    assert "Traceback" not in done.err, done.err
    assert done.doc["exit_code"] == done.code


def test_a_prompt_answered_after_its_time_out_is_not_tested_never_a_dead_terminal(pty_sim, tmp_path):
    """Nobody answers the card prompt; the keypad prompt is answered 3 s late. Both are "not tested: no
    answer in 2 s"; the terminal is not blamed; the run is incomplete (exit 3) and ends cleanly."""
    server = pty_sim("healthy")
    done = diagnose_cli(server.path, tmp_path, [None, 3.0], "--person-timeout", "2")
    assert_clean_exit(done)
    assert done.prompts == 2
    assert done.code == 3
    _validate(done.doc)
    assert done.doc["outcome"] == "incomplete" and done.doc["findings"] == []
    assert done.doc["could_not_run"] is None
    untested = done.untested()
    assert list(untested) == ["card-reader", "keypad"]
    for step, check_id in (("card-reader", "selftest.card_reader"), ("keypad", "selftest.keypad")):
        assert untested[step]["reason"]["en"] == "not tested: no answer in 2 s, the prompt was not answered"
        assert untested[step]["reason"]["zh"] == "未测试：2 秒内无人应答，未回应提示"
        assert done.check(check_id)["status"] == "skipped"
        assert "no answer in 2 s" in done.check(check_id)["summary"]["en"]
    assert done.first_line.startswith(
        "Incomplete: no fault found in what ran, but not tested: Card reader test, Keypad test "
        "(not tested: no answer in 2 s, the prompt was not answered). To test: run it again with someone"
    )
    assert "stopped answering" not in done.out and "terminal-hung" not in done.out
    # the link was never closed on the terminal: everything after the prompts ran
    assert done.check("signon")["status"] == "pass" and done.check("network.terminal")["status"] == "pass"


def test_every_person_test_answered_is_healthy_and_exits_0(pty_sim, tmp_path):
    server = pty_sim("healthy")
    done = diagnose_cli(server.path, tmp_path, [0.2, 0.2], "--person-timeout", "6")
    assert_clean_exit(done)
    assert done.code == 0, done.out
    _validate(done.doc)
    assert done.doc["outcome"] == "healthy" and done.doc["untested"] == []
    assert done.first_line == "Healthy: every check that bears on the terminal's health ran and passed"
    assert done.check("selftest.card_reader")["status"] == "pass"
    assert done.check("selftest.keypad")["status"] == "pass"


def test_nobody_swipes_after_saying_ready_is_the_persons_time_out_too(pty_sim, tmp_path):
    """Enter was pressed, but no card came within the terminal's wait: not tested, not a fault."""
    server = pty_sim("healthy", "[self_tests.card_reader]\npresent_after_s = 60\n")
    done = diagnose_cli(server.path, tmp_path, [0.1, 0.1], "--person-timeout", "3")
    assert_clean_exit(done)
    assert done.code == 3
    untested = done.untested()
    assert list(untested) == ["card-reader"]
    assert untested["card-reader"]["reason"]["en"] == "not tested: no answer in 3 s, no card presented"
    assert done.check("selftest.keypad")["status"] == "pass"


def test_what_was_typed_before_a_prompt_does_not_answer_it(pty_sim, tmp_path):
    server = pty_sim("healthy")
    done = diagnose_cli(server.path, tmp_path, [None, 0.2], "--person-timeout", "3", early=b"\n\n")
    assert_clean_exit(done)
    assert done.untested()["card-reader"]["reason"]["en"].startswith("not tested: no answer in 3 s")
    assert done.check("selftest.keypad")["status"] == "pass"  # answered after it appeared
    assert done.code == 3


def test_ctrl_c_at_a_prompt_cancels_cleanly(pty_sim, tmp_path):
    server = pty_sim("healthy")
    done = diagnose_cli(server.path, tmp_path, ["ctrl-c"])
    assert_clean_exit(done)
    assert done.code == 2 and done.doc["cancelled"] is True
    assert done.first_line == "Cancelled: the checks after the cancel did not run; run the diagnosis again"
    assert done.untested()["card-reader"]["reason"]["en"] == "cancelled by the user"


def test_piped_input_asks_nobody_and_says_how_to_test(tmp_path):
    """Not a terminal (a pipe, a script): no question is asked; incomplete, with how to test it."""
    env = {**os.environ, "TECHAPP_PASSWORD": PASSWORD, "TECHAPP_DATA_DIR": str(tmp_path / "data"), "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "techapp", "diagnose", "--port", "sim://healthy", "--fix", "none"],
        input="\n\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=100,
    )
    assert proc.returncode == 3
    assert ">>> " not in proc.stderr and "Traceback" not in proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Incomplete: no fault found in what ran, but not tested: Card reader test, Keypad test")
    assert "without --no-prompts" in first


# -- the engine: keep-alive, cancel, complaint ------------------------------------------------------------


def _engine(pty_sim, scenario: str, overrides: str = "", **kw):
    server = pty_sim(scenario, overrides)
    driver = open_terminal(server.path)
    dialer = MappedDialer.from_dict(server.terminal.world.laptop_netmap())
    diagnoser = Diagnoser(driver, PASSWORD, port=server.path, profile=PROFILE, dialer=dialer, **kw)
    try:
        return diagnoser.run()
    finally:
        driver.close()


#: The terminal's session time-out in the keep-alive test, below the 10 s floor a scenario file may set
#: (set on the loaded scenario): the laptop's HELLO every third of it (1.33 s) keeps the login, the
#: person answers after 1.1 times it. The same ratios as 10 s and 11 s, in 4.4 s instead of 11.
SHORT_SESSION_S = 4


@pytest.mark.timeout(60)
def test_the_terminal_session_is_kept_alive_while_a_person_decides(pty_sim):
    """The terminal drops a login after 4 s without a request; the person answers after 4.4 s."""
    asked = []

    def slow_person(prompt):
        asked.append(prompt.id)
        if prompt.id == "card-reader":
            time.sleep(SHORT_SESSION_S * 1.1)
        return True

    scenario = load_scenario("healthy")
    object.__setattr__(scenario.maintenance, "session_timeout_s", SHORT_SESSION_S)  # under the files' floor
    result = _engine(pty_sim, scenario, ask_person=slow_person, person_timeout_s=SHORT_SESSION_S * 1.5)
    assert asked == ["card-reader", "keypad"]
    assert result.check("selftest.card_reader").status == "pass", result.check("selftest.card_reader").summary
    assert result.check("selftest.keypad").status == "pass"
    assert result.outcome == "healthy" and result.exit_code == 0


def test_cancel_while_a_person_is_asked_stops_at_once(pty_sim):
    cancel = threading.Event()
    returned = threading.Event()

    def waits_until_withdrawn(prompt):
        threading.Timer(0.3, cancel.set).start()
        prompt.skip.wait(10)
        returned.set()
        return None

    started = time.monotonic()
    result = _engine(pty_sim, "healthy", ask_person=waits_until_withdrawn, cancel=cancel, person_timeout_s=30)
    assert time.monotonic() - started < 15
    assert returned.is_set(), "the question was withdrawn"
    assert result.cancelled and result.exit_code == 2 and result.outcome == "incomplete"
    assert result.check("selftest.card_reader").summary.en == "cancelled by the user"
    assert result.headline.en.startswith("Cancelled")


def test_a_person_asker_that_answers_none_is_no_answer(pty_sim):
    result = _engine(pty_sim, "healthy", ask_person=lambda prompt: None, person_timeout_s=4)
    assert [u.step for u in result.untested] == ["card-reader", "keypad"]
    assert result.untested[0].reason.en == "not tested: no answer in 4 s, the prompt was not answered"


def test_the_complaint_puts_its_untested_test_first(pty_sim):
    """A shipped work order says the cards are not read; nobody was there to swipe: the card reader stands out."""
    order = load_work_order(CARD_NOT_READ)
    assert "card-reader" in complaint_steps(order.complaint)
    result = _engine(pty_sim, "track2-unreadable", work_order=order)
    assert result.outcome == "incomplete" and result.exit_code == 3
    first = result.untested[0]
    assert (first.step, first.complaint) == ("card-reader", True)
    assert not any(u.complaint for u in result.untested[1:])
    assert result.headline.en.startswith(
        "Incomplete: no fault found in what ran, but not tested: Card reader test [the complaint], Keypad test"
    )
    assert "读卡器测试【投诉所指】" in result.headline.zh


def test_no_sign_on_leaves_registration_untested_and_a_97_complaint_points_at_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TECHAPP_PASSWORD", PASSWORD)
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    order = tmp_path / "wo.toml"
    order.write_text(
        'id = "WO-1"\nmid = "123456789012345"\ntid = "12345678"\ncomplaint = "每笔交易显示 无效终端 97"\n',
        encoding="utf-8",
    )
    code = cli.main(
        ["diagnose", "--port", "sim://healthy", "--work-order", str(order), "--no-sign-on", "--fix", "none"]
    )
    out = capsys.readouterr().out
    assert code == 3
    first = out.splitlines()[0]
    assert first.startswith(
        "Incomplete: no fault found in what ran, but not tested: Sign-on (is the terminal registered with its host?)"
        " [the complaint] (sign-on not requested (--no-sign-on)); Card reader test, Keypad test"
    )
    assert "To test: run it again with the terminal's sign-on on" in first
    assert "on the command line: run it again without --no-sign-on" in out
    assert "Complaint: 每笔交易显示 无效终端 97" in out
    assert "  - Sign-on (is the terminal registered with its host?): sign-on not requested (--no-sign-on)  <- " in out


# -- which skipped checks count: the rule -----------------------------------------------------------------


def _hosts(*outcomes: str) -> CommTestResult:
    return CommTestResult(
        link_up=True,
        local_address="192.168.1.50",
        hosts=[
            HostReach(role=role, address=f"10.0.0.{n}", port=5000, resolved=f"10.0.0.{n}", outcome=o)
            for n, (role, o) in enumerate(zip(("primary", "backup"), outcomes, strict=False), start=1)
        ],
    )


@pytest.mark.parametrize(
    ("terminal", "listed"),
    [
        (("ok", "ok"), False),  # the terminal reached every host: the laptop's view adds nothing
        (("ok", "timeout"), True),  # one host unreached: the laptop's view places the fault
        (("refused", "timeout"), True),
    ],
)
def test_the_laptops_view_counts_only_when_the_terminal_did_not_reach_every_host(terminal, listed):
    r = Readings()
    r.comm_test = _hosts(*terminal)
    r.laptop_hosts = [SimpleNamespace(outcome="not-allowed"), SimpleNamespace(outcome="not-allowed")]
    checks = judge(Readings(), Context(None, None))
    steps = [u.step for u in untested(r, checks, Context(None, None))]
    assert ("laptop-network" in steps) is listed


def test_keys_after_a_sign_on_that_did_not_run_are_not_listed_twice():
    r = Readings()
    r.skipped["sign-on"] = NO_SIGN_ON
    r.skipped["keys-after"] = NO_SIGN_ON_RAN
    r.skip_causes.update({"sign-on": "no-sign-on", "keys-after": "no-sign-on-ran"})
    steps = [u.step for u in untested(r, judge(Readings(), Context(None, None)), Context(None, None))]
    assert steps == ["sign-on"]


@pytest.mark.parametrize(
    ("complaint", "steps"),
    [
        ("card not read", {"card-reader"}),
        ("刷卡没反应", {"card-reader"}),
        ("刷卡显示 无效终端 97", {"sign-on", "keys-after"}),  # the card was read; the host refused it
        ("keys stuck, 按键失灵", {"keypad"}),
        ("打印不出小票", {"hardware"}),
        ("终端报A0", {"sign-on", "keys-after"}),
        ("连不上网络 / cannot connect", {"comm-test", "laptop-network", "sign-on"}),
        ("", set()),
    ],
)
def test_complaint_keywords(complaint, steps):
    assert complaint_steps(complaint) == steps
