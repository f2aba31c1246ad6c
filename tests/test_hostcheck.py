"""The laptop's echo test against the simulated acquirer, and the two-ended verdicts."""

from __future__ import annotations

import pytest

from drivers.hostlink import cup
from drivers.models import CommTestResult, HostReach, SignOnResult
from drivers.sim.scenario import load_scenario_text
from drivers.sim.world import SimWorld
from techapp.hostcheck import LAPTOP_STAN_RANGE, compare, dead_hosts, echo_test
from techapp.netcheck import MappedDialer, check_host


@pytest.fixture
def world():
    worlds: list[SimWorld] = []

    def make(overrides: str = "") -> SimWorld:
        w = SimWorld(load_scenario_text(f'extends = "healthy"\n{overrides}', source="test"))
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.close()


def _echo(world: SimWorld, host="10.20.30.40", port=5000, **kw):
    dialer = MappedDialer.from_dict(world.laptop_netmap())
    args = dict(tpdu="6000030000", header=cup.Header(), tid="12345678", mid="123456789012345", batch=37)
    args.update(kw)
    return echo_test(host, port, dialer=dialer, timeout=2.0, **args)


def test_echo_from_the_laptop_reaches_the_production_host(world):
    result = _echo(world())
    assert result.outcome == "ok"
    assert result.response_code == "00"
    assert result.acquirer_id == "48020000"
    answer = cup.decode(bytes.fromhex(result.answer_hex)[2:])
    request = cup.decode(bytes.fromhex(result.request_hex)[2:])
    assert (request.mti, answer.mti) == ("0820", "0830")
    assert cup.parse_field_60(request.get(60)).nmc == cup.ECHO_TEST
    assert LAPTOP_STAN_RANGE[0] <= int(request.get(11)) <= LAPTOP_STAN_RANGE[1]


def test_echo_names_each_failure(world):
    hosts = """
[[acquirer.hosts]]
address = "10.20.30.40"
port = 5000
behaviour = "no-answer"

[[acquirer.hosts]]
address = "10.20.30.41"
port = 5000
behaviour = "garbage"
"""
    w = world(hosts)
    assert _echo(w, "10.20.30.40").outcome == "no-answer"
    assert _echo(w, "10.20.30.41").outcome == "garbage"
    assert _echo(w, "10.9.9.9").outcome == "timeout"  # default rule of the healthy network
    cut = world('[[acquirer.hosts]]\naddress = "10.20.30.40"\nport = 5000\nbehaviour = "close-mid-message"\n')
    assert _echo(cut, "10.20.30.40").outcome == "closed-mid-message"
    assert _echo(cut, "10.20.30.41").outcome == "refused"  # the network lets it through; nothing listens


def test_the_laptop_network_can_differ_from_the_terminals(world):
    w = world('[laptop_network]\ndefault = "timeout"\n')
    assert _echo(w).outcome == "timeout"
    dialer = MappedDialer.from_dict(w.laptop_netmap())
    assert check_host("10.20.30.40", 5000, tls=False, dialer=dialer, timeout=0.5).outcome == "timeout"


# -- the decision table of docs/diagnosis.md ----------------------------------------------
def reach(outcome: str, tls: str = "off", address: str = "10.20.30.40") -> HostReach:
    return HostReach("primary", address, 5000, address, outcome, 40 if outcome == "ok" else None, tls)


def backup(outcome: str, address: str = "10.20.30.41") -> HostReach:
    return HostReach("backup", address, 5000, address, outcome, 40 if outcome == "ok" else None)


def terminal(*hosts: HostReach, link_up: bool = True) -> CommTestResult:
    return CommTestResult(link_up=link_up, local_address="192.168.1.50", hosts=list(hosts))


def signed(outcome: str, code: str | None) -> SignOnResult:
    return SignOnResult(
        outcome=outcome,
        response_code=code,
        host_role="primary",
        host_address="10.20.30.40",
        host_port=5000,
        resolved="10.20.30.40",
        stan=1209,
        sent_at=None,
        elapsed_ms=80,
        acquirer_id="48020000" if code else "",
        processing_requirement=0,
        rrn="",
        keys_updated=outcome == "ok",
        clock_updated=outcome == "ok",
        host_batch=None,
        detail="",
        attempts=[],
        checks=[],
    )


class Laptop:
    """A HostCheck stand-in: compare() reads host, port, outcome, failed_stage and detail."""

    def __init__(self, outcome: str, failed_stage: str | None = None) -> None:
        self.host, self.port, self.outcome, self.detail = "10.20.30.40", 5000, outcome, ""
        self.failed_stage = failed_stage if outcome != "ok" else None


@pytest.mark.parametrize(
    "term, sign_on, laptop, verdict",
    [
        (terminal(reach("ok")), signed("ok", "00"), [Laptop("ok")], "healthy"),
        (terminal(reach("ok")), signed("declined", "97"), [Laptop("ok")], "host-answered-refusal"),
        (terminal(reach("ok")), signed("key-verify-failed", "00"), [], "keys"),
        (terminal(reach("ok")), signed("mismatch", "00"), [], "wrong-host"),
        (terminal(reach("ok")), signed("no-answer", None), [], "host-misbehaves"),
        (terminal(reach("no-link"), link_up=False), signed("no-link", None), [Laptop("ok")], "terminal-no-link"),
        (terminal(reach("tls-failure", "not-yet-valid")), signed("tls-failure", None), [], "tls-clock"),
        (terminal(reach("tls-failure", "failed")), None, [], "tls"),
        (terminal(reach("timeout")), signed("timeout", None), [Laptop("ok")], "terminal-comms"),
        (terminal(reach("timeout")), signed("timeout", None), [Laptop("timeout", "tcp")], "site-or-host-down"),
        (terminal(reach("ok")), None, [], "reachable"),
        (terminal(reach("not-configured", address="")), signed("not-configured", None), [], "no-host-configured"),
        (terminal(reach("ok")), signed("reset", None), [], "host-misbehaves"),
        # one host dead, the other works: not healthy (rows 1a, 11a)
        (terminal(reach("refused"), backup("ok")), signed("ok", "00"), [Laptop("refused", "tcp")], "primary-host-down"),
        (terminal(reach("ok"), backup("timeout")), signed("ok", "00"), [Laptop("ok")], "backup-host-down"),
        (terminal(reach("refused"), backup("ok")), None, [], "primary-host-down"),
        (terminal(reach("refused"), backup("ok")), signed("declined", "97"), [], "host-answered-refusal"),
    ],
)
def test_the_decision_table(term, sign_on, laptop, verdict):
    result = compare(term, sign_on, laptop)
    assert result.code == verdict
    assert result.summary_en and result.summary_zh
    assert any(line.startswith("terminal -> ") for line in result.evidence)


def test_a_97_verdict_quotes_the_answer_as_evidence():
    result = compare(terminal(reach("ok")), signed("declined", "97"), [Laptop("ok")])
    assert "sign-on via 10.20.30.40:5000: declined, response code 97" in result.evidence
    assert "laptop -> 10.20.30.40:5000: ok" in result.evidence


def test_techapp_network_on_the_demo_terminal_blames_registration_not_the_network(capsys):
    from techapp import cli

    assert cli.main(["network", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "primary  10.20.30.40:5000  ok" in out
    assert "Verdict: reachable" in out
    assert cli.main(["network", "--demo", "--sign-on"]) == 1
    out = capsys.readouterr().out
    assert "declined response code 97" in out
    assert "97 终端未登记 / Terminal ID not found at centre/acquirer  (acquirer profile demo)" in out
    assert "Verdict: host-answered-refusal" in out
    assert "echo 0820 ok (00)" in out  # the laptop only ever echoes


def test_the_laptop_trusts_the_acquirers_ca_from_the_network_map_and_blames_the_terminals_clock(capsys, monkeypatch):
    from techapp import cli

    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    assert cli.main(["network", "--port", "sim://clock-drift"]) == 1
    out = capsys.readouterr().out
    assert "TLS not-yet-valid  certificate not yet valid at the terminal's clock" in out
    assert "10.20.30.40:5000  connect ok; echo 0820 ok (00)  TLSv1.3" in out
    assert "Verdict: tls-clock" in out


def test_lost_parameters_are_not_blamed_on_the_network(capsys, monkeypatch):
    from techapp import cli

    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    assert cli.main(["network", "--port", "sim://params-lost"]) == 1
    assert "Verdict: no-host-configured" in capsys.readouterr().out


def test_an_echo_the_terminals_parameters_cannot_make_is_named_not_a_traceback(world):
    result = _echo(world(), tid="")  # a blank TID: nothing to send
    assert result.outcome == "bad-parameters"
    assert "field 41" in result.detail or "41" in result.detail
    # a short one goes out as the terminal would send it (padded with spaces, issue 17), and is answered
    short = _echo(world(), tid="1234")
    assert cup.decode(bytes.fromhex(short.request_hex)[2:]).get(41) == "1234    "
    assert short.outcome != "bad-parameters"


def test_off_site_the_laptop_stays_on_loopback_unless_told_otherwise():
    from techapp.netcheck import NotAllowed, SystemDialer, default_dialer

    dialer = default_dialer({})
    assert isinstance(dialer, SystemDialer)
    with pytest.raises(NotAllowed):
        dialer.connect("10.20.30.40", 5000, 0.5)


def test_a_dead_host_is_named_with_what_each_end_saw():
    term = terminal(reach("refused"), backup("ok"))
    (dead,) = dead_hosts(term, [Laptop("ok")])
    assert (dead.role, dead.address, dead.terminal, dead.laptop, dead.laptop_reaches) == (
        "primary",
        "10.20.30.40",
        "refused",
        "ok",
        True,
    )
    assert dead_hosts(term, [])[0].laptop_reaches is None  # the laptop did not check it
    assert dead_hosts(terminal(reach("timeout"), backup("timeout")), []) == []  # nothing works: another verdict
    assert dead_hosts(terminal(reach("ok"), backup("ok")), []) == []
