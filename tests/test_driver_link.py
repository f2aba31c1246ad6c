"""The real driver over a real link: a pty opened by pyserial, socket:// and sim://.

Every test drives :class:`drivers.maint.driver.MaintenanceDriver` (through
``drivers.registry.open_terminal`` where a user would) against the simulated
terminal, asserts what a technician would notice, and looks inside the
simulator (``server.terminal``) to check what really happened on the device.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import serial

from drivers.errors import (
    AuthenticationFailed,
    Disconnected,
    LockedOut,
    PortNotAvailable,
    RefusedByTerminal,
)
from drivers.framing import FrameLink
from drivers.maint import auth
from drivers.maint.driver import MaintenanceDriver
from drivers.maint.protocol import Command, Status, Tag, decode_message, encode_message
from drivers.registry import open_terminal
from drivers.sim.server import PtyServer

PASSWORD = "demo-2026"
HEALTHY_PARAMS = {
    "tid": "12345678",
    "mid": "123456789012345",
    "tpdu": "6000030000",
    "primary_port": 5000,
    "header_status": "normal",
    "comm_mode": "ethernet",
    "apn": "",
}

pytestmark = pytest.mark.timeout(60)


def logged_in(connect, server: PtyServer, **options) -> MaintenanceDriver:
    driver = connect(server.path, **options)
    driver.hello()
    driver.login(PASSWORD)
    return driver


def params_snapshot(server: PtyServer) -> dict[Tag, object]:
    return dict(server.terminal.params)


def wait_for_new_pty(paths: list[str], count: int = 2, timeout: float = 5.0) -> str:
    """After a fault pulled the cable the simulator re-creates its pty (a USB adapter re-enumerating).

    ``paths`` is filled by the server's ``on_new_path``; the new pty may get the old
    /dev/pts number back, so the path alone does not tell that it was re-created.
    """
    deadline = time.monotonic() + timeout
    while len(paths) < count:
        assert time.monotonic() < deadline, "the simulator did not come back on a new pty"
        time.sleep(0.02)
    return paths[-1]


# -- reading ---------------------------------------------------------------------------------


def test_full_read_over_a_real_pty(pty_sim, connect):
    server = pty_sim("healthy")
    assert server.path.startswith("/dev/pts/")
    driver = connect(server.path)

    hello = driver.hello()
    assert hello.protocol_version == 1
    assert hello.logged_in is False
    assert hello.max_frame == 2048

    ident = driver.identity()
    assert (ident.vendor, ident.model, ident.serial_number) == ("PAX", "S90", "82412345")
    assert ident.app_name == "UnionPay POS"

    driver.login(PASSWORD)
    assert driver.hello().logged_in is True

    params = driver.parameters()
    assert params.tid == "12345678"
    assert params.mid == "123456789012345"
    assert params.merchant_name == "示例便利店 Demo Corner Shop"
    assert (params.primary_host, params.primary_port) == ("10.20.30.40", 5000)
    assert params.tpdu == "6000030000"
    assert params.header_status == "normal"
    assert params.comm_mode == "ethernet"
    assert (params.stan, params.batch) == (1208, 37)

    keys = driver.key_status()
    assert keys.scheme == "ms-double"
    assert keys.active_tmk_index == 0
    assert [(s.index, s.key_length, s.check_value) for s in keys.tmk_slots] == [(0, 16, "08D7B4FB")]
    working = {w.key_type: w for w in keys.working_keys}
    assert working["pik"].check_value == "CB9DEA67"
    assert working["pik"].loaded_at == datetime(2026, 11, 25, 8, 2, 11)
    assert "mak" in working
    assert keys.last_sign_on == datetime(2026, 11, 25, 8, 2, 11)

    hw = driver.hardware()
    assert (hw.printer, hw.printer_paper, hw.printer_cover) == ("ok", "ok", "closed")
    assert hw.battery_present and hw.battery_level_pct == 86 and hw.charging
    assert hw.tamper == "ok"
    assert abs((hw.clock - datetime.now()).total_seconds()) < 5

    counters = driver.counters()
    assert counters.unsettled_transactions == 0
    assert counters.pending_reversal is False
    assert counters.transaction_log_capacity == 1500

    codes = driver.read_log("response-codes")
    assert [e.code for e in codes] == ["00", "00"]
    assert codes[0].text == "签到成功 sign-on approved"
    errors = driver.read_log("errors")
    assert [e.code for e in errors] == ["PRN-01"]

    driver.logout()
    assert driver.hello().logged_in is False


def test_long_log_is_read_across_several_frames(pty_sim, connect):
    entries = "".join(
        f'[[logs.errors]]\ntime = 2026-11-20T17:{i // 60:02d}:{i % 60:02d}\ncode = "E{i:03d}"\ntext = "{"x" * 60}"\n'
        for i in range(80)
    )
    server = pty_sim("healthy", overrides=entries)
    driver = logged_in(connect, server)
    log = driver.read_log("errors")
    assert [e.code for e in log] == [f"E{i:03d}" for i in range(80)]


def test_identity_over_socket_url(tcp_sim, connect):
    server = tcp_sim("healthy")
    assert server.url.startswith("socket://127.0.0.1:")
    driver = connect(server.url)
    assert driver.identity().serial_number == "82412345"
    driver.login(PASSWORD)
    assert driver.parameters().tid == "12345678"


def test_identity_over_sim_url(connect):
    driver = connect("sim://healthy")
    assert driver.hello().protocol_version == 1
    assert driver.identity().serial_number == "82412345"


def test_sim_url_reaches_the_same_terminal_after_reconnect(connect):
    with open_terminal("sim://healthy") as driver:
        driver.login(PASSWORD)
        driver.set_parameters({"tid": "87654321"})
    driver = connect("sim://healthy")
    driver.login(PASSWORD)
    assert driver.parameters().tid == "87654321"


def test_identity_needs_no_login_but_parameters_do(pty_sim, connect):
    driver = connect(pty_sim("healthy").path)
    assert driver.identity().serial_number == "82412345"
    with pytest.raises(RefusedByTerminal) as exc:
        driver.parameters()
    assert exc.value.code_name == "LOGIN_REQUIRED"
    assert "reading the payment parameters" in str(exc.value)
    for read in (driver.key_status, driver.hardware, driver.counters):
        with pytest.raises(RefusedByTerminal) as exc:
            read()
        assert exc.value.code_name == "LOGIN_REQUIRED"


# -- login and lockout ---------------------------------------------------------------------------


def test_wrong_passwords_count_down_then_lock_out_across_reconnects(pty_sim, connect):
    server = pty_sim("healthy")
    driver = connect(server.path)
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed) as exc:
            driver.login("wrong-password")
        assert exc.value.attempts_left == left
        assert f"{left} attempt(s) left" in str(exc.value)
        assert "logging in to maintenance mode" in str(exc.value)
    with pytest.raises(LockedOut) as exc:
        driver.login("wrong-password")
    assert 295 <= exc.value.seconds_left <= 300
    with pytest.raises(LockedOut):
        driver.login(PASSWORD)

    driver.close()
    again = connect(server.path)
    with pytest.raises(LockedOut) as exc:
        again.login(PASSWORD)
    assert exc.value.seconds_left > 290
    assert "logging in to maintenance mode" in str(exc.value)
    # identity still readable: the technician sees which terminal is locked
    assert again.identity().serial_number == "82412345"


def test_lockout_expires(pty_sim, connect):
    server = pty_sim("healthy", overrides="[maintenance]\nlockout_s = 2\n")
    driver = connect(server.path)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            driver.login("nope")
    with pytest.raises(LockedOut) as exc:
        driver.login("nope")
    assert exc.value.seconds_left == 2
    locked_at = time.monotonic()
    with pytest.raises(LockedOut):
        driver.login(PASSWORD)
    time.sleep(max(0.0, 2.1 - (time.monotonic() - locked_at)))
    driver.login(PASSWORD)
    assert driver.parameters().tid == "12345678"


def test_successful_login_resets_the_failure_count(pty_sim, connect):
    driver = connect(pty_sim("healthy").path)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            driver.login("nope")
    driver.login(PASSWORD)
    with pytest.raises(AuthenticationFailed) as exc:
        driver.login("nope")
    assert exc.value.attempts_left == 4


# -- parameter transactions ----------------------------------------------------------------------


def test_set_parameters_writes_and_reads_back(pty_sim, connect):
    server = pty_sim("healthy")
    driver = logged_in(connect, server)
    back = driver.set_parameters({"tid": "12345678", "header_status": "test"})
    assert back.tid == "12345678"
    assert back.header_status == "test"
    assert server.terminal.params[Tag.HEADER_STATUS] == 1
    assert server.terminal.commits == 1

    back = driver.set_parameters({"tid": "87654321", "tpdu": "6000040000", "primary_port": 5001, "tls": True})
    assert (back.tid, back.tpdu, back.primary_port, back.tls) == ("87654321", "6000040000", 5001, True)
    assert server.terminal.params[Tag.TID] == "87654321"
    assert server.terminal.params[Tag.TPDU] == bytes.fromhex("6000040000")
    assert server.terminal.commits == 2
    assert driver.parameters() == back


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tid": "1234"}, "tid"),
        ({"mid": "12345678901234"}, "mid"),
        ({"tpdu": "7000030000"}, "tpdu"),
        ({"primary_port": 0}, "primary_port"),
        ({"tid": "87654321", "mid": "12345678901234"}, "mid"),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(pty_sim, connect, changes, field):
    server = pty_sim("healthy")
    before = params_snapshot(server)
    driver = logged_in(connect, server)
    with pytest.raises(RefusedByTerminal) as exc:
        driver.set_parameters(changes)
    assert exc.value.code_name == "INVALID_VALUE"
    assert exc.value.field == field
    assert "writing the payment parameters" in str(exc.value)
    assert params_snapshot(server) == before
    assert server.terminal.commits == 0
    after = driver.parameters()
    assert {name: getattr(after, name) for name in HEALTHY_PARAMS} == HEALTHY_PARAMS
    # the link and the session are still usable: a valid write goes through
    assert driver.set_parameters({"tid": "87654321"}).tid == "87654321"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"terminal_id": "12345678"}, "unknown parameter"),
        ({"tpdu": "60000300"}, "tpdu"),
        ({"tpdu": "zz00030000"}, "tpdu"),
        ({"primary_port": "5000"}, "primary_port"),
        ({"primary_port": -1}, "primary_port"),
        ({"tls": "yes"}, "tls"),
        ({"header_status": "production"}, "normal"),
        ({"comm_mode": "carrier-pigeon"}, "cellular"),
        ({}, "no parameter changes"),
    ],
)
def test_bad_names_and_forms_fail_before_anything_is_sent(pty_sim, connect, changes, words):
    server = pty_sim("healthy")
    sent: list[bytes] = []
    driver = logged_in(
        connect,
        server,
        trace=lambda direction, kind, raw: sent.append(raw) if (direction, kind) == ("tx", "frame") else None,
    )
    frames_before = len(sent)
    with pytest.raises(ValueError, match=words):
        driver.set_parameters(changes)
    assert len(sent) == frames_before
    assert server.terminal.commits == 0


def test_no_parameter_edits_with_unsettled_transactions(pty_sim, connect):
    server = pty_sim("healthy", overrides="[counters]\nunsettled_transactions = 3\n")
    before = params_snapshot(server)
    driver = logged_in(connect, server)
    assert driver.counters().unsettled_transactions == 3
    with pytest.raises(RefusedByTerminal) as exc:
        driver.set_parameters({"tid": "87654321"})
    assert exc.value.code_name == "UNSETTLED_TRANSACTIONS"
    assert "3 unsettled" in str(exc.value)
    assert "writing the payment parameters" in str(exc.value)
    assert params_snapshot(server) == before
    assert server.terminal.commits == 0


def test_cross_field_rule_is_checked_at_commit(pty_sim, connect):
    server = pty_sim("healthy")
    before = params_snapshot(server)
    driver = logged_in(connect, server)
    with pytest.raises(RefusedByTerminal) as exc:
        driver.set_parameters({"comm_mode": "cellular"})
    assert exc.value.code_name == "INVALID_VALUE"
    assert exc.value.field == "apn"
    assert "APN" in str(exc.value)
    assert params_snapshot(server) == before
    back = driver.set_parameters({"comm_mode": "cellular", "apn": "cmnet"})
    assert (back.comm_mode, back.apn) == ("cellular", "cmnet")


def test_parameter_writes_need_a_login(pty_sim, connect):
    server = pty_sim("healthy")
    driver = connect(server.path)
    with pytest.raises(RefusedByTerminal) as exc:
        driver.set_parameters({"tid": "87654321"})
    assert exc.value.code_name == "LOGIN_REQUIRED"
    assert server.terminal.commits == 0


@pytest.mark.parametrize(
    ("cut_at", "what"),
    # frames the terminal receives: 1 HELLO, 2 LOGIN_CHALLENGE, 3 LOGIN, 4 PARAM_BEGIN, 5 PARAM_STAGE, 6 PARAM_COMMIT
    [(5, "stage"), (6, "commit")],
)
def test_write_interrupted_by_a_disconnect_keeps_the_old_parameters(pty_sim, connect, cut_at, what):
    paths: list[str] = []
    server = pty_sim(
        "healthy", overrides=f"[link.faults]\ndisconnect_after_frames = {cut_at}\n", on_new_path=paths.append
    )
    before = params_snapshot(server)
    driver = logged_in(connect, server)
    with pytest.raises(Disconnected) as exc:
        driver.set_parameters({"tid": "87654321", "header_status": "test"})
    assert "writing the payment parameters" in str(exc.value)
    assert not driver.is_open

    new_path = wait_for_new_pty(paths)
    assert new_path == server.path
    again = connect(new_path)
    again.hello()
    again.login(PASSWORD)
    after = again.parameters()
    assert after.tid == "12345678"
    assert after.header_status == "normal"
    assert params_snapshot(server) == before
    assert server.terminal.commits == 0


def test_reconnect_through_the_link_symlink(pty_sim, connect, tmp_path):
    link = tmp_path / "ttyPOS"
    paths: list[str] = []
    server = pty_sim(
        "healthy", overrides="[link.faults]\ndisconnect_after_frames = 3\n", link=link, on_new_path=paths.append
    )
    assert os.path.realpath(link) == server.path
    driver = connect(str(link))
    driver.hello()
    driver.identity()
    with pytest.raises(Disconnected):
        driver.counters()
    wait_for_new_pty(paths)
    assert os.path.realpath(link) == server.path
    again = connect(str(link))
    assert again.identity().serial_number == "82412345"


# -- self-tests ----------------------------------------------------------------------------------


def test_printer_self_test_passes_with_progress(pty_sim, connect):
    server = pty_sim("healthy")
    driver = logged_in(connect, server)
    seen = []
    result = driver.self_test("printer", timeout_s=10, on_progress=seen.append)
    assert result.result == "pass"
    assert result.detail == "test page printed"
    assert len(seen) >= 2
    percents = [p.percent for p in seen]
    assert percents == sorted(percents) and percents[-1] > percents[0]
    assert all(p.text == "printing test page" for p in seen)
    assert server.terminal.printed[-1][0] == "*** PRINTER TEST ***"


def test_card_reader_self_test_reads_three_tracks(pty_sim, connect):
    server = pty_sim("healthy", overrides="[self_tests.card_reader]\npresent_after_s = 0.3\n")
    driver = logged_in(connect, server)
    result = driver.self_test("card-reader", timeout_s=5)
    assert result.result == "pass"
    assert result.card_type == "magstripe"
    assert result.tracks_read == [1, 2, 3]


def test_card_reader_self_test_without_a_card_reports_no_input(pty_sim, connect):
    server = pty_sim("healthy", overrides="[self_tests.card_reader]\npresent_after_s = 30\n")
    driver = logged_in(connect, server)
    seen = []
    start = time.monotonic()
    result = driver.self_test("card-reader", timeout_s=1, on_progress=seen.append)
    assert time.monotonic() - start < 4
    assert result.result == "no-input"
    assert result.detail == "no card presented"
    assert seen and "present a card" in seen[0].text


def test_keypad_self_test_lists_stuck_keys(pty_sim, connect):
    server = pty_sim("healthy", overrides='[self_tests.keypad]\npress_after_s = 0.2\nstuck_keys = ["5", "#"]\n')
    driver = logged_in(connect, server)
    result = driver.self_test("keypad", timeout_s=5)
    assert result.result == "fail"
    assert result.keys_missing == "5#"
    assert "5" not in result.keys_seen and "0" in result.keys_seen
    assert "keys not registered: 5 #" in result.detail


def test_card_reader_self_test_can_be_cancelled_from_another_thread(pty_sim, connect):
    server = pty_sim("healthy", overrides="[self_tests.card_reader]\npresent_after_s = 60\n")
    driver = logged_in(connect, server)
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    start = time.monotonic()
    try:
        result = driver.self_test("card-reader", timeout_s=30, cancel=cancel)
    finally:
        timer.cancel()
        timer.join()
    elapsed = time.monotonic() - start
    assert result.result == "cancelled"
    assert elapsed < 3
    # the link is in step afterwards: the next request gets its own answer
    assert driver.counters().unsettled_transactions == 0


def test_printer_self_test_without_paper_fails(pty_sim, connect):
    server = pty_sim("healthy", overrides='[hardware]\npaper = "out"\n')
    driver = logged_in(connect, server)
    assert driver.hardware().printer_paper == "out"
    result = driver.self_test("printer", timeout_s=10)
    assert result.result == "fail"
    assert "out of paper" in result.detail
    assert server.terminal.printed == []


# -- clock, printing, reboot ---------------------------------------------------------------------


def test_set_clock_moves_the_terminal_clock(pty_sim, connect):
    driver = logged_in(connect, pty_sim("healthy"))
    for second in (0, 20, 40):  # at different fractions of the laptop's second
        target = datetime(2030, 6, 1, 12, 0, second)
        driver.set_clock(target)
        clock = driver.hardware().clock
        assert timedelta(0) <= clock - target < timedelta(seconds=2), "the clock reads what was set"
        time.sleep(0.3)
    with pytest.raises(RefusedByTerminal) as exc:
        driver.set_clock(datetime(1999, 12, 31, 23, 59, 59))
    assert exc.value.field == "clock"
    assert "setting the terminal clock" in str(exc.value)


def test_print_text_lands_on_the_paper(pty_sim, connect):
    server = pty_sim("healthy")
    driver = logged_in(connect, server)
    driver.print_text(["TECHAPP TEST", "终端号 12345678", "x" * 40])
    assert server.terminal.printed == [["TECHAPP TEST", "终端号 12345678", "x" * 32, "x" * 8]]


def test_print_text_refused_when_paper_is_out(pty_sim, connect):
    server = pty_sim("healthy", overrides='[hardware]\npaper = "out"\n')
    driver = logged_in(connect, server)
    with pytest.raises(RefusedByTerminal) as exc:
        driver.print_text(["hello"])
    assert exc.value.code_name == "DEVICE_FAULT"
    assert "out of paper" in str(exc.value)
    assert "printing on the terminal" in str(exc.value)
    assert server.terminal.printed == []


def test_reboot_silences_the_terminal_then_it_needs_a_new_login(pty_sim, connect):
    # longer than the link's retries (MAX_TRIES x ACK_TIMEOUT): a rebooting terminal does not even ACK,
    # so the driver sends nothing for REBOOT_SECONDS (docs/protocol.md §3.5 rule 10), then greets it again
    server = pty_sim("healthy", overrides="[link]\nreboot_s = 3.5\n")
    driver = logged_in(connect, server, response_timeout=0.5)
    seconds = driver.reboot()
    rebooted_at = time.monotonic()
    assert seconds == 4
    with pytest.raises(RefusedByTerminal) as exc:
        driver.counters()
    assert time.monotonic() - rebooted_at >= seconds  # waited the reboot out instead of timing out into it
    assert exc.value.code_name == "LOGIN_REQUIRED"
    assert driver.hello().logged_in is False
    driver.login(PASSWORD)
    assert driver.counters().unsettled_transactions == 0


# -- opening and closing -------------------------------------------------------------------------


def test_close_is_idempotent_and_a_closed_driver_says_so(pty_sim, connect):
    driver = connect(pty_sim("healthy").path)
    driver.identity()
    driver.close()
    driver.close()
    assert not driver.is_open
    with pytest.raises(Disconnected) as exc:
        driver.identity()
    assert "reading the terminal identity" in str(exc.value)
    assert "closed" in str(exc.value)


def test_context_manager_closes_the_port(pty_sim):
    server = pty_sim("healthy")
    with open_terminal(server.path) as driver:
        assert driver.identity().serial_number == "82412345"
        # the port is held exclusively while the driver has it
        with pytest.raises(PortNotAvailable):
            open_terminal(server.path)
    assert not driver.is_open
    assert not driver._port.is_open
    with open_terminal(server.path) as again:
        assert again.identity().serial_number == "82412345"


def test_nonexistent_device_path(tmp_path):
    missing = str(tmp_path / "ttyUSB-nothing-here")
    with pytest.raises(PortNotAvailable) as exc:
        open_terminal(missing)
    assert missing in str(exc.value)


def test_unknown_sim_scenario():
    with pytest.raises(PortNotAvailable) as exc:
        open_terminal("sim://no-such-scenario")
    text = str(exc.value)
    assert "no-such-scenario" in text
    assert "healthy" in text  # the message offers the shipped scenarios


# -- the framing level: retried requests are answered from the cache -----------------------------


def _raw_exchange(link: FrameLink, command: int, seq: int, items=()) -> tuple[bytes, object]:
    raw = encode_message(command, seq, list(items))
    link.send(raw)
    data = link.receive(5.0)
    msg = decode_message(data)
    assert msg.command == command | 0x80 and msg.seq == seq
    return data, msg


@pytest.fixture
def raw_link(pty_sim) -> Iterator[tuple[PtyServer, FrameLink]]:
    server = pty_sim("healthy")
    port = serial.Serial(server.path, 115200, timeout=0.02)
    try:
        yield server, FrameLink(port)
    finally:
        port.close()


def test_repeated_request_seq_is_answered_without_executing_twice(raw_link):
    server, link = raw_link
    _, challenge = _raw_exchange(link, Command.LOGIN_CHALLENGE, 1)
    nonce_t = challenge.fields.get(Tag.NONCE_TERMINAL)
    key = auth.derive_key(PASSWORD, challenge.fields.get(Tag.SERIAL_NUMBER), challenge.fields.get(Tag.KDF_ITERATIONS))
    nonce_c = auth.new_nonce()
    _, login = _raw_exchange(
        link,
        Command.LOGIN,
        2,
        [(Tag.NONCE_CLIENT, nonce_c), (Tag.CLIENT_PROOF, auth.client_proof(key, nonce_t, nonce_c))],
    )
    assert login.status == Status.OK
    _, begin = _raw_exchange(link, Command.PARAM_BEGIN, 3)
    txn = begin.fields.get(Tag.TXN_ID)
    _, stage = _raw_exchange(link, Command.PARAM_STAGE, 4, [(Tag.TXN_ID, txn), (Tag.TID, "87654321")])
    assert stage.status == Status.OK

    first, msg = _raw_exchange(link, Command.PARAM_COMMIT, 5, [(Tag.TXN_ID, txn)])
    assert msg.status == Status.OK
    second, _ = _raw_exchange(link, Command.PARAM_COMMIT, 5, [(Tag.TXN_ID, txn)])
    assert second == first
    assert server.terminal.commits == 1
    assert server.terminal.params[Tag.TID] == "87654321"

    # the same SEQ with a new request is a new request (and here refused: the transaction is gone)
    _, again = _raw_exchange(link, Command.PARAM_COMMIT, 5, [(Tag.TXN_ID, txn + 1)])
    assert again.status == Status.NO_TRANSACTION
    assert server.terminal.commits == 1
