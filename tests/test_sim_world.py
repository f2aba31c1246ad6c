"""The simulator's world (issue 9 §4): line noise per byte, a wrong APN, a wrong Wi-Fi password, relative times.

The end-to-end tests run as a technician would in two shells: ``techapp sim
NAME --pty --netmap FILE`` in one process, ``techapp diagnose --port
/dev/pts/N --json FILE`` in another (with ``TECHAPP_NETMAP``, so the laptop's
checks see the scenario's network), and assert the top finding, the outcome
and the exit code.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from served import Served, child_env

from drivers.registry import open_terminal
from drivers.sim.ports import ByteNoise
from drivers.sim.scenario import Faults, load_scenario, load_scenario_text, relative_time
from techapp.diagnosis.engine import Diagnoser
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "diagnosis-v1.schema.json").read_text(encoding="utf-8"))
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(60)


# -- two shells: the simulator and techapp diagnose --------------------------------------------------


@dataclass
class Diagnosed:
    code: int
    report: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def top(self) -> dict[str, Any]:
        assert self.report["findings"], f"no finding; stdout:\n{self.stdout}"
        return self.report["findings"][0]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def said(self) -> str:
        """The top finding as the technician reads it: title, cause, evidence, actions and their steps."""
        top = self.top
        parts = [top["title"]["en"], top["cause"]["en"], *(e["en"] for e in top["evidence"])]
        for a in top["actions"]:
            parts += [a["title"]["en"], *(s["en"] for s in a.get("steps", []))]
        return "\n".join(parts)


@pytest.fixture
def diagnose_pty(tmp_path) -> Iterator[Callable[..., Diagnosed]]:
    """``diagnose_pty(scenario)``: serve it with ``techapp sim --pty`` and run ``techapp diagnose`` on the pty."""
    served: list[Served] = []

    def run(scenario: str, *extra: str) -> Diagnosed:
        netmap = tmp_path / f"{Path(scenario).stem}.netmap.json"
        sim = Served(scenario, netmap)
        served.append(sim)
        out = tmp_path / f"{Path(scenario).stem}.json"
        result = subprocess.run(
            [sys.executable, "-m", "techapp", "diagnose", "--port", sim.path, "--work-order", str(WORK_ORDER)]
            + ["--no-prompts", "--lang", "en", "--json", str(out), *extra],
            cwd=ROOT,
            env=child_env(TECHAPP_PASSWORD=PASSWORD, TECHAPP_NETMAP=str(netmap)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=50,
        )
        assert "Traceback" not in result.stderr, result.stderr
        report = json.loads(out.read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator
        validator(SCHEMA, format_checker=validator.FORMAT_CHECKER).validate(report)  # the documented schema
        return Diagnosed(result.returncode, report, result.stdout, result.stderr)

    yield run
    for sim in served:
        sim.stop()


# -- 1. line noise per byte ------------------------------------------------------------------------


def _faults(**keys: Any) -> Faults:
    return Faults(**keys)


def test_byte_noise_is_the_same_for_the_same_seed_and_differs_for_another():
    data = bytes(range(256)) * 40
    faults = _faults(seed=7, byte_corrupt_rate=0.01, byte_drop_rate=0.01, byte_insert_rate=0.01)
    first = ByteNoise(faults, "to-laptop").apply(data)
    assert first != data
    assert ByteNoise(faults, "to-laptop").apply(data) == first
    assert ByteNoise(_faults(**{**faults.model_dump(), "seed": 8}), "to-laptop").apply(data) != first
    assert ByteNoise(faults, "to-terminal").apply(data) != first, "each direction has its own generator"


def test_byte_noise_rates_are_per_byte():
    data = bytes(100_000)
    for key, count, length in (
        ("byte_corrupt_rate", "corrupted", lambda out: len(out) == len(data)),
        ("byte_drop_rate", "dropped", lambda out: len(out) < len(data)),
        ("byte_insert_rate", "inserted", lambda out: len(out) > len(data)),
    ):
        noise = ByteNoise(_faults(seed=3, **{key: 0.01}), "to-laptop")
        out = noise.apply(data)
        assert 800 < noise.counts[count] < 1200, (key, noise.counts)
        assert length(out), key
        assert sum(noise.counts.values()) == noise.counts[count]


def test_byte_noise_direction_limits_where_it_hits():
    faults = _faults(byte_corrupt_rate=0.5, byte_noise_direction="to-terminal")
    assert ByteNoise(faults, "to-laptop").apply(bytes(1000)) == bytes(1000)
    assert ByteNoise(faults, "to-terminal").apply(bytes(1000)) != bytes(1000)


def test_a_byte_rate_above_half_is_refused():
    with pytest.raises(ValueError, match=r"link\.faults\.byte_drop_rate"):
        load_scenario_text('extends = "healthy"\n[link.faults]\nbyte_drop_rate = 0.7\n')


def test_noisy_cable_completes_with_a_cable_finding(diagnose_pty):
    run = diagnose_pty("noisy-cable")
    assert run.top["id"] == "cable", [f["id"] for f in run.report["findings"]]
    assert [a["id"] for a in run.top["actions"]] == ["swap-cable"]
    quality = run.check("link.quality")
    assert quality["status"] == "warn"
    assert quality["observed"]["naks_sent"] + quality["observed"]["retransmissions"] > 0
    assert run.report["outcome"] == "faults"
    assert run.code == 1
    # the terminal itself was read whole: nothing else is blamed
    assert {f["id"] for f in run.report["findings"]} == {"cable"}


#: Heavy byte noise (9 % of the bytes hit, each way) whose seed leaves the greeting alone: the HELLO
#: and its answer (the first bytes each way) cross clean, every later answer of any length cannot.
#: With lighter noise the greeting itself was hit now and then, and whether it got through depended on
#: how the retransmissions raced the time-outs under load (a greeting lost too: nothing is blamed).
TOO_NOISY = "[link.faults]\nseed = 522\nbyte_corrupt_rate = 0.03\nbyte_drop_rate = 0.03\nbyte_insert_rate = 0.03\n"


def test_a_cable_too_noisy_to_finish_says_so_and_blames_the_cable(pty_sim, tmp_path):
    """Never an all-clear, never "the terminal stopped answering": the retries run out on the cable."""
    server = pty_sim("healthy", overrides=TOO_NOISY)
    frames: list[tuple[str, int]] = []  # (direction, frame length on the wire), as the laptop saw them

    def trace(direction: str, kind: str, raw: bytes) -> None:
        if kind == "frame":
            frames.append((direction, len(raw) + 5))  # STX, 2 length bytes, ETX, LRC

    driver = open_terminal(server.path, response_timeout=1.0, trace=trace)
    try:
        result = Diagnoser(
            driver,
            PASSWORD,
            port=server.path,
            work_order=load_work_order(WORK_ORDER),
            profile=load_profile("demo"),
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
        ).run()
    finally:
        driver.close()
    # the premise, so that the outcome does not hang on timing: the seed's noise spares the greeting
    # (the HELLO to the terminal; the ACK and the HELLO answer to the laptop) and then hits hard
    hello_out = next(n for d, n in frames if d == "tx")
    hello_in = next(n for d, n in frames if d == "rx")
    faults = server.terminal.scenario.link.faults
    for direction, length in (("to-terminal", hello_out), ("to-laptop", 1 + hello_in)):
        noise = ByteNoise(faults, direction)
        noise.apply(bytes(length))
        assert not any(noise.counts.values()), f"seed {faults.seed} hits the greeting {direction}: pick another"
    assert result.findings and result.findings[0].id == "link-noisy", [f.id for f in result.findings]
    top = result.findings[0]
    assert "not the terminal" in top.cause.en and "rejected" in top.cause.en
    assert [a.id for a in top.actions] == ["swap-cable"]
    assert result.could_not_run is not None
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "faults",
    [
        "[link.faults]\ncorrupt_rate = 1.0\n",  # every frame from the terminal arrives with a bit flipped
        "[link.faults]\ngarbage_rate = 1.0\ndrop_rate = 1.0\n",  # noise before every frame, a byte lost in it
    ],
    ids=["corrupted", "garbage-and-drops"],
)
def test_a_greeting_lost_to_a_damaged_line_blames_the_line_not_a_silent_terminal(pty_sim, faults):
    server = pty_sim("healthy", overrides=faults)
    driver = open_terminal(server.path, response_timeout=0.5)
    try:
        result = Diagnoser(driver, PASSWORD, port=server.path).run()
    finally:
        driver.close()
    ids = [f.id for f in result.findings]
    assert ids and ids[0] == "link-garbled", ids  # damaged answers came back: the baud rate or the cable
    assert "link-silent" not in ids  # never "nothing answered / not in maintenance mode"
    assert [a.id for a in result.findings[0].actions] == ["reconnect-baud"]
    assert result.exit_code == 2


# -- 2. a wrong APN, a wrong Wi-Fi password --------------------------------------------------------


@pytest.fixture
def comm_test(tmp_path) -> Callable[..., Any]:
    """``comm_test(scenario, overrides="")``: the terminal's comm test through the driver, on a fresh terminal."""

    def run(scenario: str, overrides: str = ""):
        path = tmp_path / f"{scenario}-{len(list(tmp_path.iterdir()))}.toml"
        path.write_text(f'extends = "{scenario}"\nname = "t"\n{overrides}', encoding="utf-8")
        with open_terminal(f"sim://{path}?fresh") as d:
            d.hello()
            d.login(PASSWORD)
            return d.comm_test()

    return run


def test_wrong_apn_registers_but_gets_no_data_session(comm_test):
    ct = comm_test("cellular-wrong-apn")
    assert (ct.link_up, ct.local_address, ct.link_failure) == (False, "", "data-rejected")
    assert (ct.network_name, ct.signal_dbm) == ("中国移动 China Mobile", -79)
    assert "refused the data session for APN 'CMNET'" in ct.link_detail
    assert {h.outcome for h in ct.hosts} == {"no-link"}
    assert all("PDP context rejected" in h.detail for h in ct.hosts)


def test_a_missing_apn_is_not_a_wrong_one(comm_test):
    ct = comm_test("cellular-no-apn")
    assert (ct.link_up, ct.link_failure, ct.network_name) == (False, "no-apn", "中国移动 China Mobile")


def test_the_right_apn_opens_the_data_session_whatever_its_case(comm_test):
    ct = comm_test("cellular-wrong-apn", '[parameters]\napn = "gdpos.gd"\n')
    assert (ct.link_up, ct.link_failure, ct.local_address) == (True, "none", "192.168.1.50")
    assert {h.outcome for h in ct.hosts} == {"ok"}


def test_wrong_wifi_password_sees_the_network_and_cannot_join(comm_test):
    ct = comm_test("wifi-wrong-password")
    assert (ct.link_up, ct.link_failure) == (False, "wifi-auth-failed")
    assert (ct.network_name, ct.signal_dbm) == ("DemoShop-2.4G", -58)
    assert "refused the terminal's password" in ct.link_detail


def test_wifi_out_of_range_and_without_a_name_are_other_failures(comm_test):
    out = comm_test("wifi-wrong-password", "[network.wifi]\nin_range = false\n")
    assert (out.link_failure, out.network_name, out.signal_dbm) == ("ssid-not-found", "", None)
    unnamed = comm_test("wifi-wrong-password", '[parameters]\nwifi_ssid = ""\n')
    assert unnamed.link_failure == "no-ssid"


def test_a_sign_on_without_a_data_session_logs_what_the_terminal_shows():
    with open_terminal("sim://wifi-wrong-password?fresh") as d:
        d.hello()
        d.login(PASSWORD)
        result = d.sign_on()
        assert result.outcome == "no-link"
        texts = [e.text for e in d.read_log("errors")]
    assert any(t.startswith("WiFi连接失败") and "refused the terminal's password" in t for t in texts[-2:])


def test_wrong_apn_is_its_own_finding_with_the_profiles_apn(diagnose_pty):
    run = diagnose_pty("cellular-wrong-apn")
    assert run.top["id"] == "wrong-apn", [f["id"] for f in run.report["findings"]]
    assert run.top["title"]["en"] == "APN set but the network refuses the data session: the APN is wrong"
    assert "'CMNET'" in run.top["cause"]["en"] and "gives the APN 'GDPOS.GD'" in run.top["cause"]["en"]
    actions = {a["id"]: a for a in run.top["actions"]}
    assert actions["fix-apn"]["kind"] == "automatic"
    assert actions["fix-apn"]["changes"] == {"apn": {"before": "CMNET", "after": "GDPOS.GD"}}
    assert actions["check-apn"]["kind"] == "manual"
    link = run.check("network.link")
    assert link["status"] == "fail" and "refuses the data session for APN 'CMNET'" in link["summary"]["en"]
    assert link["expected"] == {"apn": "GDPOS.GD"}
    assert run.report["outcome"] == "faults"
    assert run.code == 1
    assert "no-apn" not in {f["id"] for f in run.report["findings"]}


def test_wrong_wifi_password_is_its_own_finding(diagnose_pty):
    run = diagnose_pty("wifi-wrong-password")
    assert run.top["id"] == "wifi-auth", [f["id"] for f in run.report["findings"]]
    assert run.top["title"]["en"] == "Wi-Fi password rejected"
    assert "'DemoShop-2.4G'" in run.top["cause"]["en"]
    assert [(a["id"], a["kind"]) for a in run.top["actions"]] == [("wifi-password", "manual")]
    assert "current password of 'DemoShop-2.4G'" in run.said()
    assert run.check("network.link")["status"] == "fail"
    assert run.report["outcome"] == "faults"
    assert run.code == 1


def test_the_work_orders_apn_wins_over_the_profiles(diagnose_pty, tmp_path):
    order = tmp_path / "order.toml"
    order.write_text(WORK_ORDER.read_text(encoding="utf-8") + 'apn = "SZPOS.GD"\n', encoding="utf-8")
    run = diagnose_pty("cellular-wrong-apn", "--work-order", str(order))
    assert run.top["id"] == "wrong-apn"
    assert "Work order WO-2026-1125-0042 gives the APN 'SZPOS.GD'" in run.top["cause"]["en"]
    assert run.code == 1


# -- 3. times relative to the terminal's clock ------------------------------------------------------

NOW = datetime(2026, 12, 4, 10, 30, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-2h", NOW - timedelta(hours=2)),
        ("-3d", NOW - timedelta(days=3)),
        ("+10m", NOW + timedelta(minutes=10)),
        ("-1d6h30m15s", NOW - timedelta(days=1, hours=6, minutes=30, seconds=15)),
        ("-1w", NOW - timedelta(weeks=1)),
        ("-90s", NOW - timedelta(seconds=90)),
        ("today 08:02", datetime(2026, 12, 4, 8, 2)),
        ("yesterday 18:42:07", datetime(2026, 12, 3, 18, 42, 7)),
        ("-2d 09:15", datetime(2026, 12, 2, 9, 15)),
        ("  -2H ", NOW - timedelta(hours=2)),
    ],
)
def test_relative_times(text, expected):
    assert relative_time(text, NOW) == expected


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('"2h"', 'a relative time needs its sign: "-2h" (2h ago) or "+2h" (in 2h) (got "2h")'),
        ('"-2x"', "not a time: write a TOML date-time without quotes (2026-11-25T08:02:11) or a time relative"),
        ('"now 08:00"', 'not a time: "now" takes no time of day; write "today 08:00" (got "now 08:00")'),
        ('"-2h 08:00"', 'not a time: a time of day goes with whole days ("-1d 08:00"), not with -2h (got "-2h 08:00")'),
        ('"today"', 'not a time: "today" needs a time of day, e.g. "today 08:02" (got "today")'),
        ('"today 25:00"', "not a time: 25:00:00 is not a time of day"),
        ('"2026-11-25T08:02:11"', "a quoted date-time is text: write it without quotes (2026-11-25T08:02:11)"),
    ],
)
def test_a_malformed_relative_time_is_refused_with_what_to_write(written, message):
    with pytest.raises(ValueError) as err:
        load_scenario_text(f'extends = "healthy"\nname = "t"\n[keys]\nlast_sign_on = {written}\n', source="t.toml")
    assert f"t.toml: key 'keys.last_sign_on': {message}" in str(err.value)


def test_relative_times_count_from_the_terminals_clock_and_agree_with_each_other():
    s = load_scenario_text(
        'extends = "healthy"\nname = "t"\n[hardware]\nclock_offset_s = -172800\n'
        '[keys]\nlast_sign_on = "-3h"\n'
        '[[keys.working]]\ntype = "pik"\nkey = "F039121BEC83D26B169BDCD5B22AAF8F"\nloaded_at = "-3h"\n'
        '[[logs.errors]]\ntime = "-1h"\ncode = "E"\ntext = "x"\n'
    )
    terminal_clock = datetime.now() - timedelta(days=2)
    assert s.keys.working[0].loaded_at == s.keys.last_sign_on, "one 'now' for the whole file"
    assert abs(s.keys.last_sign_on - (terminal_clock - timedelta(hours=3))) < timedelta(seconds=5)
    assert abs(s.logs.errors[0].time - (terminal_clock - timedelta(hours=1))) < timedelta(seconds=5)


RELATIVE_SCENARIOS = [
    "cellular-no-apn",
    "cellular-wrong-apn",
    "wifi-wrong-password",
    "not-registered-97",
    "host-unreachable",
    "dns-failure",
    "mid-typo-03",
    "test-host-97",
    "wrong-tmk-a0",
]


@pytest.mark.parametrize("name", RELATIVE_SCENARIOS)
def test_training_scenarios_do_not_age(name):
    """Their story is told relative to today: the last event minutes ago, the keys from a day or a few days before."""
    text = (ROOT / "resources" / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(time|last_sign_on|loaded_at)\s*=\s*\d{4}-", text, re.MULTILINE), "absolute times"
    s = load_scenario(name)
    times = [e.time for e in (*s.logs.response_codes, *s.logs.errors)]
    now = datetime.now()
    assert timedelta(0) < now - max(times) < timedelta(hours=1)
    assert timedelta(hours=20) < now - s.keys.last_sign_on < timedelta(days=7)


def test_a_relative_time_scenario_tells_todays_story_through_a_pty(diagnose_pty):
    """not-registered-97, whose times are relative: today's 97s and yesterday's keys, whatever the day."""
    run = diagnose_pty("not-registered-97")
    assert run.top["id"] == "not-registered", [f["id"] for f in run.report["findings"]]
    assert run.report["outcome"] == "faults"
    assert run.code == 1
    now = datetime.now()
    codes = run.check("counters.response_codes")["observed"]
    assert codes["last"] == "97"
    assert timedelta(0) < now - datetime.fromisoformat(codes["last_at"]) < timedelta(hours=1)
    assert (
        f"at {datetime.fromisoformat(codes['last_at']):%Y-%m-%d %H:%M}"
        in run.check("counters.response_codes")["summary"]["en"]
    )
    loaded = {k["loaded_at"] for k in run.check("keys.working")["observed"]["working_keys"]}
    assert len(loaded) == 1 and timedelta(hours=20) < now - datetime.fromisoformat(loaded.pop()) < timedelta(days=2)
