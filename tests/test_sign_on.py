"""The terminal's own comm test and sign-on, through the real serial link (issue 3).

Every test opens the real driver on a real pty (``pty_sim``), logs in and asks
the terminal to test its hosts or sign on, as a technician does from techapp.
It asserts what the technician sees (outcome, response code, hosts tried, keys,
STAN, logs) and looks inside the simulator (``server.terminal``, its world and
its acquirer) to check what really happened on the device and on the host.

Overrides keep the terminal's timeouts short (connect 1 s, response 2 s) so that
faults end quickly. ``[[acquirer.hosts]]`` in an override replaces the parent's
whole array, so :func:`acquirer_hosts` restates all four hosts of ``healthy``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from drivers.hostlink import cup
from drivers.keycheck import check_value
from drivers.maint.driver import MaintenanceDriver
from drivers.models import LogEntry
from drivers.registry import open_terminal
from drivers.sim.server import PtyServer

PASSWORD = "demo-2026"
CONNECT_TIMEOUT_S = 1
RESPONSE_TIMEOUT_S = 2
PRIMARY, BACKUP = "10.20.30.40", "10.20.30.41"
#: The hosts of ``healthy``'s acquirer: (role, address), all on port 5000.
HEALTHY_HOSTS = (("production", PRIMARY), ("production", BACKUP), ("test", "10.20.99.40"), ("test", "10.20.99.41"))
HEALTHY_KEYS = {"pik": "CB9DEA67", "mak": "24401D94"}  # check values of healthy's working keys

pytestmark = pytest.mark.timeout(30)

Start = Callable[..., tuple[PtyServer, MaintenanceDriver]]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def acquirer_hosts(primary: str = "", backup: str = "", every: str = "") -> str:
    """``healthy``'s four ``[[acquirer.hosts]]`` restated, with extra TOML lines for the primary, the backup, or all."""
    out = []
    for role, address in HEALTHY_HOSTS:
        extra = {PRIMARY: primary, BACKUP: backup}.get(address, "")
        out.append(f'[[acquirer.hosts]]\nrole = "{role}"\naddress = "{address}"\nport = 5000\n{every}\n{extra}\n')
    return "".join(out)


TLS_HOSTS = acquirer_hosts(every="tls = true")


@pytest.fixture
def terminal(pty_sim) -> Iterator[Start]:
    """``terminal(scenario, params={...}, tables="...")``: a logged-in driver on a real pty, fast timeouts."""
    drivers: list[MaintenanceDriver] = []

    def start(scenario: str = "healthy", *, params: dict[str, Any] | None = None, tables: str = ""):
        fast = {"connect_timeout_s": CONNECT_TIMEOUT_S, "response_timeout_s": RESPONSE_TIMEOUT_S}
        lines = ["[parameters]"] + [f"{name} = {_toml(value)}" for name, value in {**fast, **(params or {})}.items()]
        server = pty_sim(scenario, "\n".join(lines) + "\n" + tables)
        driver = open_terminal(server.path)
        assert isinstance(driver, MaintenanceDriver)
        drivers.append(driver)
        driver.hello()
        driver.login(PASSWORD)
        return server, driver

    yield start
    for driver in drivers:
        driver.close()


# -- looking at the terminal and inside the simulator -----------------------------------------------


def check_values(driver: MaintenanceDriver) -> dict[str, str]:
    """The working keys' check values as techapp reads them."""
    return {w.key_type: w.check_value for w in driver.key_status().working_keys}


def held_check_values(server: PtyServer) -> dict[str, str]:
    """The check values of the clear working keys the simulated terminal really holds."""
    return {kind: check_value(key).hex().upper() for kind, (key, _) in server.terminal.working.items()}


def wire_log(server: PtyServer) -> list[tuple[str, str, bytes]]:
    """Every message between the terminal and its acquirer from now on: (direction, host, wire bytes)."""
    seen: list[tuple[str, str, bytes]] = []
    server.terminal.world.acquirer().trace = lambda direction, host, wire: seen.append((direction, host, wire))
    return seen


def requests_seen(seen: list[tuple[str, str, bytes]]) -> list[cup.HostMessage]:
    return [cup.decode(wire[2:]) for direction, _, wire in seen if direction == "rx"]


def new_entries(driver: MaintenanceDriver, kind: str, before: list[LogEntry]) -> list[LogEntry]:
    entries = driver.read_log(kind)
    assert entries[: len(before)] == before, "a log only grows"
    return entries[len(before) :]


def close_to(moment: datetime | None, reference: datetime, seconds: float = 5) -> bool:
    return moment is not None and abs(moment - reference) <= timedelta(seconds=seconds)


# -- healthy ------------------------------------------------------------------------------------------


def test_healthy_sign_on_loads_new_working_keys_that_verify(terminal):
    server, d = terminal("healthy")
    seen = wire_log(server)
    before = d.parameters()
    keys_before = check_values(d)
    assert keys_before == HEALTHY_KEYS
    responses = d.read_log("response-codes")

    result = d.sign_on()

    assert (result.outcome, result.response_code, result.acquirer_id) == ("ok", "00", "48020000")
    assert (result.host_role, result.host_address, result.host_port, result.resolved) == (
        "primary",
        PRIMARY,
        5000,
        PRIMARY,
    )
    assert result.keys_updated and result.clock_updated
    assert result.detail == ""
    assert result.processing_requirement == 0
    assert result.rrn.isdigit() and len(result.rrn) == 12
    assert [(c.name, c.ok) for c in result.checks] == [
        ("MTI is 0810", True),
        ("STAN echoed", True),
        ("TID echoed", True),
        ("MID echoed", True),
        ("working keys verify under the TMK", True),
    ]
    assert [(a.role, a.address, a.outcome, a.tls) for a in result.attempts] == [("primary", PRIMARY, "ok", "off")]
    assert result.attempts[0].connect_ms >= 45  # the network rule's latency to the primary

    # STAN: this message took the next one; the batch is the host's (60.2)
    assert result.stan == before.stan + 1
    params = d.parameters()
    assert (params.stan, params.batch, result.host_batch) == (before.stan + 1, 37, 37)

    # new keys, and the ones the laptop reads are the ones the terminal holds and the host issued
    keys = d.key_status()
    after = {w.key_type: w.check_value for w in keys.working_keys}
    assert set(after) == {"pik", "mak"}
    assert all(after[kind] != keys_before[kind] for kind in after)
    assert after == held_check_values(server)
    issued = server.terminal.world.acquirer().last_sign_on("12345678")
    assert issued is not None and issued.check_values_sent_ok and issued.host == f"{PRIMARY}:5000"
    assert {kind: key for kind, (key, _) in server.terminal.working.items()} == issued.keys

    # last sign-on = now (the terminal's clock), keys loaded then
    clock = d.hardware().clock
    assert clock is not None and close_to(clock, datetime.now())
    assert close_to(keys.last_sign_on, clock)
    assert all(w.loaded_at == keys.last_sign_on for w in keys.working_keys)
    assert close_to(result.sent_at, clock)

    logged = new_entries(d, "response-codes", responses)
    assert [e.code for e in logged] == ["00"]
    assert close_to(logged[0].time, clock)

    # the 0800 on the wire was built from the terminal's own parameters
    [request] = requests_seen(seen)
    assert request.mti == "0800"
    assert (request.get(11), request.get(41), request.get(42)) == (f"{before.stan + 1:06d}", "12345678", before.mid)
    f60 = cup.parse_field_60(request.get(60))
    assert (f60.batch, f60.nmc) == (37, cup.SIGN_ON_DOUBLE)  # ms-double signs on with 60.3 = 003
    assert cup.parse_device_data(request.get(62)) == "82412345"
    assert request.tpdu.hex() == "6000030000"
    assert request.header.terminal_status == 0


def test_healthy_comm_test_reaches_both_hosts_and_changes_nothing(terminal):
    server, d = terminal("healthy")
    before = d.parameters()
    responses, errors = d.read_log("response-codes"), d.read_log("errors")

    result = d.comm_test()

    assert result.link_up and result.local_address == "192.168.1.50"
    assert [(h.role, h.address, h.port, h.resolved, h.outcome, h.tls, h.detail) for h in result.hosts] == [
        ("primary", PRIMARY, 5000, PRIMARY, "ok", "off", ""),
        ("backup", BACKUP, 5000, BACKUP, "ok", "off", ""),
    ]
    primary, backup = result.hosts
    assert primary.connect_ms is not None and 45 <= primary.connect_ms < 1000  # rule: 45 ms
    assert backup.connect_ms is not None and 60 <= backup.connect_ms < 1000  # rule: 60 ms
    # a comm test sends no message: STAN, keys and logs stay as they were
    assert d.parameters().stan == before.stan
    assert check_values(d) == HEALTHY_KEYS
    assert d.read_log("response-codes") == responses and d.read_log("errors") == errors
    assert server.terminal.world.acquirer().sign_ons == []


def test_sign_on_sets_the_terminal_clock_from_the_host(terminal):
    server, d = terminal("healthy", tables="[hardware]\nclock_offset_s = -7200\n")
    assert not close_to(d.hardware().clock, datetime.now(), seconds=3600)

    result = d.sign_on()

    assert (result.outcome, result.clock_updated) == ("ok", True)
    assert close_to(d.hardware().clock, datetime.now())  # fields 12/13: the host's (real) time


# -- scenarios: the host answers, and says no ------------------------------------------------------------


def test_demo_97_then_the_tid_is_corrected_and_the_sign_on_succeeds(terminal):
    server, d = terminal("demo-97")
    before = d.parameters()
    keys_before = d.key_status()
    responses = d.read_log("response-codes")

    refused = d.sign_on()

    assert (refused.outcome, refused.response_code, refused.acquirer_id) == ("declined", "97", "48020000")
    assert (refused.host_role, refused.host_address) == ("primary", PRIMARY)
    assert not refused.keys_updated and not refused.clock_updated
    assert all(c.ok for c in refused.checks)  # the host echoed TID, MID and STAN: link and message were fine
    assert d.key_status() == keys_before  # old working keys kept, last sign-on unchanged
    assert check_values(d) == HEALTHY_KEYS
    assert [e.code for e in new_entries(d, "response-codes", responses)] == ["97"]
    assert server.terminal.world.acquirer().sign_ons == []

    # the repair: the TID from the work order, then sign on again, all through the cable
    assert d.set_parameters({"tid": "12345678"}).tid == "12345678"
    approved = d.sign_on()

    assert (approved.outcome, approved.response_code) == ("ok", "00")
    assert approved.keys_updated
    assert approved.stan == before.stan + 2
    assert d.parameters().stan == before.stan + 2
    keys = d.key_status()
    assert {w.key_type: w.check_value for w in keys.working_keys} == held_check_values(server)
    assert held_check_values(server) != HEALTHY_KEYS
    assert keys.last_sign_on is not None and keys.last_sign_on > keys_before.last_sign_on
    assert [e.code for e in new_entries(d, "response-codes", responses)] == ["97", "00"]


@pytest.mark.parametrize(
    ("scenario", "code", "host", "tid", "mid", "serial", "status"),
    [
        # MID keyed with two digits swapped: 03 "invalid merchant"
        ("mid-typo-03", "03", PRIMARY, "12345678", "123456789012354", "82412345", 0),
        # pointed at the acquirer's test system, which does not know the production TID
        ("test-host-97", "97", "10.20.99.40", "12345678", "123456789012345", "82412345", 1),
        # everything right in the terminal; the acquirer closed its record
        ("not-registered-97", "97", PRIMARY, "12345678", "123456789012345", "82412345", 0),
        # a replacement device: the host binds the TID to the old serial number
        ("swapped-terminal", "97", PRIMARY, "12345678", "123456789012345", "1170045821", 0),
    ],
)
def test_scenarios_where_the_host_declines(terminal, scenario, code, host, tid, mid, serial, status):
    server, d = terminal(scenario)
    seen = wire_log(server)
    keys_before = d.key_status()
    responses = d.read_log("response-codes")

    result = d.sign_on()

    assert (result.outcome, result.response_code, result.host_role, result.host_address) == (
        "declined",
        code,
        "primary",
        host,
    )
    assert result.acquirer_id == "48020000"
    assert [(a.role, a.outcome) for a in result.attempts] == [("primary", "ok")]
    assert all(c.ok for c in result.checks) and result.detail == ""
    assert not result.keys_updated and not result.clock_updated
    assert d.key_status() == keys_before  # working keys and last sign-on as they were
    assert [e.code for e in new_entries(d, "response-codes", responses)] == [code]
    assert server.terminal.world.acquirer().sign_ons == []

    [request] = requests_seen(seen)
    assert (request.get(41), request.get(42)) == (tid, mid)
    assert cup.parse_device_data(request.get(62)) == serial
    assert request.header.terminal_status == status
    assert d.parameters().header_status == ("test" if status else "normal")


# -- scenarios: no host reached ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "outcome", "resolved", "link_up", "log_texts"),
    [
        # the VPN to the acquirer is gone: both hosts time out
        ("host-unreachable", "timeout", (PRIMARY, BACKUP), True, ["联接失败", "联接失败"]),
        # host names, and no DNS server in the terminal
        ("dns-failure", "dns-failure", ("", ""), True, ["域名解析失败", "联接失败", "域名解析失败", "联接失败"]),
        # 4G without an APN: no data connection at all
        ("cellular-no-apn", "no-link", ("", ""), False, ["无线拨号失败", "联接失败", "无线拨号失败", "联接失败"]),
    ],
)
def test_scenarios_where_no_host_is_reached(terminal, scenario, outcome, resolved, link_up, log_texts):
    server, d = terminal(scenario)
    params = d.parameters()
    hosts = [("primary", params.primary_host), ("backup", params.backup_host)]
    responses, errors = d.read_log("response-codes"), d.read_log("errors")

    comm = d.comm_test()

    assert comm.link_up is link_up
    assert [(h.role, h.address, h.outcome, h.resolved, h.tls) for h in comm.hosts] == [
        (role, address, outcome, address_resolved, "off")
        for (role, address), address_resolved in zip(hosts, resolved, strict=True)
    ]
    assert all(h.detail for h in comm.hosts)

    started = time.monotonic()
    result = d.sign_on()
    took = time.monotonic() - started

    assert result.outcome == outcome
    assert result.response_code is None and result.acquirer_id == "" and result.checks == []
    # primary first, then the backup: a connection failure is what moves a terminal on
    assert [(a.role, a.address, a.outcome) for a in result.attempts] == [(r, a, outcome) for r, a in hosts]
    assert (result.host_role, result.host_address) == hosts[-1]
    assert not result.keys_updated
    assert result.stan == params.stan + 1
    assert check_values(d) == HEALTHY_KEYS
    if outcome == "timeout":  # each host gets the connect timeout, no more
        assert 2 * CONNECT_TIMEOUT_S - 0.1 <= took < 2 * CONNECT_TIMEOUT_S + 2
    else:
        assert took < 2

    assert d.read_log("response-codes") == responses  # no field 39, nothing to log there
    logged = new_entries(d, "errors", errors)
    assert [next(word for word in log_texts if word in e.text) for e in logged] == log_texts
    failures = [e.text for e in logged if "联接失败" in e.text]
    assert [address in text for text, (_, address) in zip(failures, hosts, strict=True)] == [True, True]
    assert server.terminal.world.acquirer().sign_ons == []


def test_cellular_without_apn_names_the_apn(terminal):
    _, d = terminal("cellular-no-apn")
    comm = d.comm_test()
    assert comm.local_address == ""
    assert all("APN" in h.detail for h in comm.hosts)
    assert "APN" in d.sign_on().detail


def test_cellular_without_apn_is_repaired_by_entering_the_apn(terminal):
    _, d = terminal("cellular-no-apn")
    assert d.comm_test().link_up is False
    d.set_parameters({"apn": "CMNET"})
    comm = d.comm_test()
    assert comm.link_up and [h.outcome for h in comm.hosts] == ["ok", "ok"]
    assert (d.sign_on().outcome, d.sign_on().response_code) == ("ok", "00")


def test_dns_failure_is_repaired_by_entering_a_dns_server(terminal):
    _, d = terminal("dns-failure")
    failed = d.sign_on()
    assert failed.outcome == "dns-failure" and "no DNS server" in failed.detail

    d.set_parameters({"dns_primary": "114.114.114.114"})
    comm = d.comm_test()
    assert [(h.outcome, h.resolved) for h in comm.hosts] == [("ok", PRIMARY), ("ok", BACKUP)]
    result = d.sign_on()

    assert (result.outcome, result.response_code) == ("ok", "00")
    assert (result.host_address, result.resolved) == ("pos.acquirer.example.cn", PRIMARY)


# -- acquirer behaviours ---------------------------------------------------------------------------------


def test_primary_host_down_the_backup_signs_on(terminal):
    server, d = terminal(tables=acquirer_hosts(primary='behaviour = "down"'))
    errors = d.read_log("errors")

    comm = d.comm_test()
    assert [(h.role, h.outcome) for h in comm.hosts] == [("primary", "refused"), ("backup", "ok")]

    result = d.sign_on()

    assert (result.outcome, result.response_code, result.host_role, result.host_address) == (
        "ok",
        "00",
        "backup",
        BACKUP,
    )
    assert [(a.role, a.outcome) for a in result.attempts] == [("primary", "refused"), ("backup", "ok")]
    assert result.keys_updated
    issued = server.terminal.world.acquirer().last_sign_on("12345678")
    assert issued is not None and issued.host == f"{BACKUP}:5000"
    assert check_values(d) == held_check_values(server)
    [failure] = new_entries(d, "errors", errors)
    assert "联接失败" in failure.text and PRIMARY in failure.text


@pytest.mark.parametrize(
    ("behaviour", "outcome", "detail"),
    [
        ("refusing", "reset", "without answering"),  # accepts, then closes before answering
        ("no-answer", "no-answer", f"no answer within {RESPONSE_TIMEOUT_S} s"),
        ("close-mid-message", "closed-mid-message", "connection closed after"),
        ("garbage", "garbage", "malformed ISO 8583 message"),
    ],
)
def test_host_faults_after_the_request_was_sent(terminal, behaviour, outcome, detail):
    server, d = terminal(tables=acquirer_hosts(primary=f'behaviour = "{behaviour}"'))
    keys_before = d.key_status()
    responses, errors = d.read_log("response-codes"), d.read_log("errors")

    comm = d.comm_test()  # TCP connects: the fault shows only when the host is spoken to
    assert [h.outcome for h in comm.hosts] == ["ok", "ok"]

    started = time.monotonic()
    result = d.sign_on()
    took = time.monotonic() - started

    assert result.outcome == outcome and detail in result.detail
    assert result.response_code is None and result.checks == []
    # the request went out: a terminal does not send it again to the backup
    assert [(a.role, a.outcome) for a in result.attempts] == [("primary", outcome)]
    assert not result.keys_updated
    assert d.key_status() == keys_before
    if behaviour == "no-answer":
        assert RESPONSE_TIMEOUT_S * 1000 <= result.elapsed_ms < RESPONSE_TIMEOUT_S * 1000 + 1000
        assert took < RESPONSE_TIMEOUT_S + 1.5
    else:
        assert took < RESPONSE_TIMEOUT_S  # known at once, not at the timeout
    assert d.read_log("response-codes") == responses
    [logged] = new_entries(d, "errors", errors)
    assert "数据接收失败" in logged.text and f"{PRIMARY}:5000" in logged.text


def test_slow_host_answers_within_the_response_timeout(terminal):
    _, d = terminal(tables=acquirer_hosts(primary='behaviour = "slow"\ndelay_ms = 800'))
    result = d.sign_on()
    assert (result.outcome, result.response_code) == ("ok", "00")
    assert result.elapsed_ms >= 800
    assert result.keys_updated


def test_host_slower_than_the_response_timeout_is_no_answer(terminal):
    _, d = terminal(tables=acquirer_hosts(primary='behaviour = "slow"\ndelay_ms = 3500'))
    result = d.sign_on()
    assert (result.outcome, result.response_code) == ("no-answer", None)
    assert RESPONSE_TIMEOUT_S * 1000 <= result.elapsed_ms < 3500
    assert check_values(d) == HEALTHY_KEYS


def test_keys_that_do_not_verify_are_refused_and_the_old_keys_kept(terminal):
    server, d = terminal(tables=acquirer_hosts(primary='behaviour = "bad-key-cv"'))
    keys_before = d.key_status()
    responses, errors = d.read_log("response-codes"), d.read_log("errors")

    result = d.sign_on()

    assert (result.outcome, result.response_code) == ("key-verify-failed", "00")
    assert not result.keys_updated and not result.clock_updated
    [failed] = [c for c in result.checks if not c.ok]
    assert failed.name == "working keys verify under the TMK" and "does not verify" in failed.detail
    assert result.detail.startswith("working keys verify under the TMK")
    assert d.key_status() == keys_before  # old keys, old last sign-on
    assert held_check_values(server) == HEALTHY_KEYS
    issued = server.terminal.world.acquirer().last_sign_on("12345678")
    assert issued is not None and not issued.check_values_sent_ok
    [logged] = new_entries(d, "response-codes", responses)
    assert logged.code == "00" and "key-verify-failed" in logged.text
    assert any("解包密钥验证不符" in e.text for e in new_entries(d, "errors", errors))


def test_processing_requirement_from_the_header_is_reported(terminal):
    _, d = terminal(tables=acquirer_hosts(primary="processing_requirement = 3"))
    result = d.sign_on()
    assert (result.outcome, result.response_code, result.processing_requirement) == ("ok", "00", 3)


Respond = Callable[[socket.socket, bytes], None]


@contextmanager
def primary_replaced(server: PtyServer, respond: Respond) -> Iterator[list[BaseException]]:
    """A host of our own in the primary's place: ``respond(conn, answer)`` gets the real acquirer's answer.

    A loopback listener takes the primary's entry in the acquirer's endpoints; it reads
    one request, lets the simulated acquirer answer it (registry, keys and all), and
    hands that answer to ``respond`` to send as it likes. Yields the problems it met.
    """
    acquirer = server.terminal.world.acquirer()
    host = acquirer.host_for(PRIMARY, 5000)
    assert host is not None
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    problems: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with conn:
                wire = cup.receive_frame(conn, 5)
                answer = acquirer.answer(host, wire[2:])
                assert answer is not None
                respond(conn, answer)
                conn.settimeout(5)
                conn.recv(1)  # until the terminal hangs up
        except (OSError, cup.HostProtocolError, AssertionError) as err:
            problems.append(err)

    thread = threading.Thread(target=serve, name="host-in-the-primarys-place")
    thread.start()
    acquirer.endpoints[(PRIMARY, 5000)] = listener.getsockname()
    try:
        yield problems
    finally:
        thread.join(timeout=10)
        listener.close()


def with_field(number: str, value: str) -> Respond:
    """Answer with one field replaced: a host that echoes another terminal's data."""

    def respond(conn: socket.socket, answer: bytes) -> None:
        reply = cup.decode(answer[2:])
        reply.fields[number] = value
        cup.send(conn, reply)

    return respond


@pytest.mark.parametrize(
    ("number", "value", "check"),
    [("41", "87654321", "TID echoed"), ("42", "999999999999999", "MID echoed"), ("11", "000001", "STAN echoed")],
)
def test_an_answer_for_another_terminal_is_a_mismatch(terminal, number, value, check):
    server, d = terminal("healthy")
    keys_before = d.key_status()
    with primary_replaced(server, with_field(number, value)) as problems:
        result = d.sign_on()
    assert problems == []

    assert (result.outcome, result.response_code) == ("mismatch", "00")
    assert [c.name for c in result.checks if not c.ok] == [check]
    assert result.detail.startswith(check) and value in result.detail
    assert not result.keys_updated
    assert d.key_status() == keys_before


def test_an_answer_that_stops_halfway_keeps_the_laptop_informed_until_the_timeout(terminal):
    server, d = terminal("healthy")
    started = time.monotonic()
    seen: list[float] = [started]

    def half(conn: socket.socket, answer: bytes) -> None:
        conn.sendall(answer[: len(answer) // 2])  # then nothing until the terminal gives up

    with primary_replaced(server, half) as problems:
        result = d.sign_on(on_progress=lambda progress: seen.append(time.monotonic()))
    seen.append(time.monotonic())
    assert problems == []

    gaps = [later - earlier for earlier, later in zip(seen, seen[1:], strict=False)]
    assert max(gaps) < 1.0, f"the terminal went silent for {max(gaps):.1f} s while the answer stalled"
    assert result.outcome == "no-answer" and "incomplete" in result.detail
    assert RESPONSE_TIMEOUT_S * 1000 <= result.elapsed_ms < RESPONSE_TIMEOUT_S * 1000 + 1000
    assert check_values(d) == HEALTHY_KEYS


def test_a_path_slower_than_the_connect_timeout_times_out(terminal):
    rules = "".join(
        f'[[network.hosts]]\naddress = "{address}"\nport = 5000\nlatency_ms = {ms}\n'
        for address, ms in ((PRIMARY, CONNECT_TIMEOUT_S * 1000 + 500), (BACKUP, 60))
    )
    _, d = terminal(tables=rules)

    comm = d.comm_test()
    assert [(h.role, h.outcome) for h in comm.hosts] == [("primary", "timeout"), ("backup", "ok")]
    result = d.sign_on()
    assert (result.outcome, result.host_role) == ("ok", "backup")
    assert [a.outcome for a in result.attempts] == ["timeout", "ok"]


# -- TLS ---------------------------------------------------------------------------------------------------


def test_tls_comm_test_and_sign_on(terminal):
    _, d = terminal(params={"tls": True}, tables=TLS_HOSTS)

    comm = d.comm_test()
    assert [(h.outcome, h.tls) for h in comm.hosts] == [("ok", "ok"), ("ok", "ok")]

    result = d.sign_on()
    assert (result.outcome, result.response_code) == ("ok", "00")
    assert [(a.outcome, a.tls) for a in result.attempts] == [("ok", "ok")]


def test_terminal_clock_two_days_behind_finds_the_certificate_not_yet_valid(terminal):
    server, d = terminal(params={"tls": True}, tables="[hardware]\nclock_offset_s = -172800\n" + TLS_HOSTS)
    keys_before = d.key_status()
    errors = d.read_log("errors")

    comm = d.comm_test()
    assert [(h.outcome, h.tls) for h in comm.hosts] == [("tls-failure", "not-yet-valid")] * 2
    assert all("terminal's clock" in h.detail for h in comm.hosts)

    result = d.sign_on()

    assert (result.outcome, result.response_code) == ("tls-failure", None)
    assert [(a.role, a.outcome, a.tls) for a in result.attempts] == [
        ("primary", "tls-failure", "not-yet-valid"),
        ("backup", "tls-failure", "not-yet-valid"),
    ]
    assert d.key_status() == keys_before
    texts = [e.text for e in new_entries(d, "errors", errors)]
    assert sum("TLS握手失败" in t for t in texts) == 2 and sum("联接失败" in t for t in texts) == 2
    assert server.terminal.world.acquirer().sign_ons == []


def test_clock_drift_is_repaired_by_setting_the_clock(terminal):
    _, d = terminal("clock-drift")
    assert d.sign_on().outcome == "tls-failure"

    d.set_clock(datetime.now())
    assert [(h.outcome, h.tls) for h in d.comm_test().hosts] == [("ok", "ok"), ("ok", "ok")]
    result = d.sign_on()
    assert (result.outcome, result.response_code, result.keys_updated) == ("ok", "00", True)


def test_tls_terminal_against_a_plain_host_fails_the_handshake(terminal):
    _, d = terminal(params={"tls": True})

    comm = d.comm_test()
    assert [(h.outcome, h.tls) for h in comm.hosts] == [("tls-failure", "failed")] * 2

    result = d.sign_on()
    assert (result.outcome, result.response_code) == ("tls-failure", None)
    assert [(a.outcome, a.tls) for a in result.attempts] == [("tls-failure", "failed")] * 2


def test_waiting_for_a_silent_tls_host_keeps_the_laptop_informed(terminal):
    """TLS records that carry no answer (session tickets) must not stop the progress frames."""
    _, d = terminal(params={"tls": True}, tables=acquirer_hosts(every="tls = true", primary='behaviour = "no-answer"'))
    started = time.monotonic()
    seen: list[float] = [started]

    result = d.sign_on(on_progress=lambda progress: seen.append(time.monotonic()))

    seen.append(time.monotonic())
    gaps = [later - earlier for earlier, later in zip(seen, seen[1:], strict=False)]
    assert max(gaps) < 1.0, f"the terminal went silent for {max(gaps):.1f} s while waiting"
    assert result.outcome == "no-answer" and result.attempts[0].tls == "ok"


def test_wrong_tpdu_connects_but_is_never_answered_until_the_tpdu_is_fixed(terminal):
    _, d = terminal("wrong-tpdu")
    comm = d.comm_test()
    assert [h.outcome for h in comm.hosts] == ["ok", "ok"]  # the network is fine
    lost = d.sign_on()
    assert (lost.outcome, lost.response_code) == ("no-answer", None)
    d.set_parameters({"tpdu": "6000030000"})
    fixed = d.sign_on()
    assert (fixed.outcome, fixed.response_code) == ("ok", "00")


def test_a_terminal_whose_parameters_cannot_make_an_0800_says_so_and_never_dials(terminal):
    server, d = terminal("params-lost")  # blank TID and MID: not even an 0800 can be built
    result = d.sign_on()
    assert result.outcome == "not-configured"
    assert result.response_code is None
    assert "cannot build the 0800" in result.detail
    assert result.attempts == []
