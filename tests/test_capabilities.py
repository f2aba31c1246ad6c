"""Driver capabilities: what a driver's protocol cannot give is skipped, never guessed or passed.

A real maintenance driver over a real pty to the simulated terminal, told to declare less than it
can (as a protocol with fewer commands would): the diagnosis must not ask the terminal for what is
missing, must show those checks as skipped "not available over <protocol>", must not count them as
untested (no run over that protocol could test them), and must offer no action the driver cannot do.
"""

from __future__ import annotations

import pytest

from drivers.base import CAPABILITIES, READINGS
from drivers.errors import NotSupported
from drivers.maint.driver import MaintenanceDriver
from drivers.registry import DRIVERS, driver_class
from techapp.diagnosis.engine import Diagnoser
from techapp.diagnosis.outcome import _step_of
from techapp.profiles import load_profile

PASSWORD = "demo-2026"
pytestmark = pytest.mark.timeout(90)


class NarrowDriver(MaintenanceDriver):
    """The maintenance driver pretending to be a protocol without parameters, keys, clock or settlement."""

    display_name = "NarrowProto"
    capabilities = CAPABILITIES - {"parameters", "keys", "counters", "set-clock", "set-parameters", "settle"}
    asked: list[str]

    def _refuse(self, what):
        self.asked.append(what)
        raise AssertionError(f"the diagnosis asked for {what}, which the driver does not declare")

    def parameters(self):
        self._refuse("parameters")

    def key_status(self):
        self._refuse("keys")

    def counters(self):
        self._refuse("counters")

    def set_clock(self, when):
        self._refuse("set-clock")


def test_every_registered_driver_declares_known_capabilities():
    for name in DRIVERS:
        cls = driver_class(name)
        assert cls.capabilities <= CAPABILITIES, name
        assert cls.display_name, name
    # the maintenance protocol has every reading and action but those it has no command for
    assert CAPABILITIES - driver_class("cup-maint").capabilities == {"device-status", "initialise", "register"}
    zvt = driver_class("zvt").capabilities
    assert {"parameters", "keys", "hardware", "sign-on", "set-parameters"}.isdisjoint(zvt)


def test_a_driver_without_a_capability_says_so_rather_than_guessing():
    class Bare(MaintenanceDriver):
        capabilities = READINGS

    assert not Bare.can(Bare.__new__(Bare), "initialise")
    with pytest.raises(NotSupported):
        MaintenanceDriver.initialise(Bare.__new__(Bare))


def test_checks_a_driver_cannot_give_are_skipped_with_the_reason_and_never_passed(pty_sim):
    server = pty_sim("clock-drift")
    driver = NarrowDriver(server.path)
    driver.asked = []
    try:
        result = Diagnoser(driver, PASSWORD, port=server.path, profile=load_profile("demo"), sign_on=False).run()
    finally:
        driver.close()
    assert driver.asked == []
    by_id = {c.id: c for c in result.checks}
    for step in ("parameters", "keys", "counters"):
        checks = [c for c in result.checks if _step_of(c) == step]
        assert checks, step
        for c in checks:
            assert c.status == "skipped", (c.id, c.status)
            assert c.summary.en == "not available over NarrowProto"
    assert by_id["hardware.clock"].status in ("warn", "fail")  # what it can read is still judged
    untested_steps = {u.step for u in result.untested}
    assert not untested_steps & {"parameters", "keys", "counters"}
    doc = result.to_dict()
    skipped = [c for c in doc["checks"] if c["summary"]["en"] == "not available over NarrowProto"]
    assert skipped and all(c["status"] == "skipped" for c in skipped)
    # the clock drift is found, but the driver cannot set the clock: no automatic action offered
    drift = [f for f in result.findings if f.id == "clock-drift"]
    assert drift
    assert all(a.operation != "sync-clock" for a in drift[0].actions)
