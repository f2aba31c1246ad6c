"""Issue 14 "Honest repair outcomes": a write whose read-back is lost is reported as what it is.

The simulated terminal is served on a real pty behind a symlink (a USB adapter that comes back
under the same name after the cable is pulled) and its own fault injection (``[link.faults]``
``disconnect_after_frames`` / ``silent_after_frames``) is armed at the exact request: right
after the terminal answered the commit, or right before the commit arrives.

- commit confirmed, read-back lost, reconnect works -> "done", read back after reconnecting;
- commit confirmed, nothing answers any more -> "unverified" (never "failed"), with the backup;
- commit never reached the terminal -> "failed", not written, old values read back.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drivers.maint.protocol import Command, Tag, decode_message
from drivers.registry import open_terminal
from drivers.sim import terminal as sim_terminal
from techapp.credentials import DEMO_PASSWORD
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.render import render_text
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml")
TIMEOUT = 1.0  # the driver's answer time-out, scaled down: a lost answer costs 2 s, not 10
#: The laptop's wait for an ACK (1 s, 3 tries a frame) once the terminal has hung for good: a frame then
#: costs 0.3 s, not 3, and the reconnect loop (REOPEN_WAIT_S) really tries the port more than once.
HOPELESS_ACK_WAIT = 0.1


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))


def arm(monkeypatch, when: Command, fault: str, *, before: bool = False, on_armed=lambda: None) -> list[str]:
    """Set ``fault`` so that it hits the frame after ``when`` (``before``: ``when`` itself is never handled).

    A pulled cable (``disconnect_after_frames``) is good again as soon as a new session (the reconnect)
    starts. A hung terminal (``silent_after_frames``) stays hung: from that frame on it answers nothing,
    on this connection or any later one. (The simulator counts frames per connection and a new
    connection starts unmuted, so whether the reconnect met a hung terminal used to depend on whether
    the pty's server noticed the port closing before the laptop opened it again: a race under load.)
    ``on_armed()`` is called (in the simulator's thread) as the fault is set. Returns the commands seen.
    """
    seen: list[str] = []
    armed_in: list[object] = []
    dispatch = sim_terminal.Session.dispatch
    hung = fault == "silent_after_frames"

    def dispatch_and_arm(self, data: bytes) -> None:
        msg = decode_message(data)
        seen.append(Command(msg.command).name)
        faults = self.t.scenario.link.faults
        if armed_in and armed_in[0] is not self and not hung:
            object.__setattr__(faults, fault, 0)  # a new connection: the cable is good again
        if before and msg.command == Command.PARAM_STAGE and not armed_in:
            armed_in.append(self)
            object.__setattr__(faults, fault, self.frames_received + 1)  # the next frame: the commit
        arming = not before and msg.command == when and not armed_in
        if arming:
            on_armed()  # before the answer leaves: whatever the laptop sends next already meets the fault
        dispatch(self, data)
        if arming:
            armed_in.append(self)
            # the frame after the commit's answer; hung: every frame after it, whatever the connection
            object.__setattr__(faults, fault, 1 if hung else self.frames_received + 1)

    monkeypatch.setattr(sim_terminal.Session, "dispatch", dispatch_and_arm)
    return seen


@pytest.fixture
def repair_tid(pty_sim, tmp_path):
    """Diagnose demo-97 over a pty reached through a symlink, then apply the TID fix; -> (diagnosis, server)."""
    opened = []

    def run(monkeypatch, fault: str, *, before: bool = False):
        link = tmp_path / "ttyTERMINAL"
        server = pty_sim("demo-97", link=str(link))

        hung = threading.Event()

        def no_ack_can_come(driver) -> None:
            # the terminal hangs for good: every wait for its ACK is one that nothing can end, and only
            # its length changes with this (drivers/timescale.py, for the link); the outcome does not
            driver._link.ack_timeout = HOPELESS_ACK_WAIT

        def reopen():
            driver = open_terminal(str(link), response_timeout=TIMEOUT)
            opened.append(driver)
            if hung.is_set():
                no_ack_can_come(driver)
            return driver

        def armed() -> None:
            if fault == "silent_after_frames":
                hung.set()
                for driver in opened:
                    no_ack_can_come(driver)

        diagnoser = Diagnoser(
            reopen(),
            DEMO_PASSWORD,
            port=str(link),
            work_order=WORK_ORDER,
            profile=load_profile("demo"),
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
            sign_on=False,
        )
        diagnoser.reopen = reopen
        first = diagnoser.run()
        assert "tid-mismatch" in [f.id for f in first.findings]
        seen = arm(monkeypatch, Command.PARAM_COMMIT, fault, before=before, on_armed=armed)
        after = diagnoser.repair(first, lambda action, finding: action.id == "fix-tid")
        [outcome] = [o for o in after.actions_taken if o.action == "fix-tid"]
        return outcome, after, server, seen

    yield run
    for driver in opened:
        driver.close()


def test_read_back_lost_after_a_confirmed_commit_is_read_on_a_new_link(repair_tid, monkeypatch):
    outcome, after, server, seen = repair_tid(monkeypatch, "disconnect_after_frames")
    assert outcome.result == "done"
    assert outcome.read_back == {"tid": "12345678"}
    assert "read back after reconnecting" in outcome.message.en
    assert server.terminal.params[Tag.TID] == "12345678"
    assert seen.count("PARAM_COMMIT") == 1  # written once, never twice


def test_nothing_answers_after_a_confirmed_commit_is_unverified_not_failed(repair_tid, monkeypatch):
    monkeypatch.setattr("techapp.diagnosis.engine.REOPEN_WAIT_S", 1.0)  # how long the port is tried again
    outcome, after, server, seen = repair_tid(monkeypatch, "silent_after_frames")
    assert outcome.result == "unverified"
    assert outcome.backup_path and Path(outcome.backup_path).is_file()
    assert "written, not verified: the commit was confirmed" in outcome.message.en
    assert outcome.backup_path in outcome.message.en and "techapp restore" in outcome.message.en
    assert "已写入，未验证" in outcome.message.zh
    assert outcome.written == {"tid": "12345678"} and outcome.read_back == {}
    assert server.terminal.params[Tag.TID] == "12345678"  # the terminal does hold the new value
    report = render_text(after, "en")
    assert "WRITTEN, NOT VERIFIED" in report and "FAILED" not in report


def test_a_commit_that_never_arrived_is_not_written(repair_tid, monkeypatch):
    outcome, after, server, seen = repair_tid(monkeypatch, "disconnect_after_frames", before=True)
    assert outcome.result == "failed"
    assert "not written: the commit's answer was lost" in outcome.message.en
    assert outcome.read_back == {"tid": "12345687"}  # read on the new link: the old value
    assert server.terminal.params[Tag.TID] == "12345687"
