"""The edge cases of docs/protocol.md §3.5, each through the real framing on a pty (or TCP on loopback).

One test (or a few) per numbered rule of §3.5, in its order: what ends a session on a serial
line, the iteration-count range, what a tamper-locked terminal refuses, a request whose STATUS
is not 00, a client nonce of the wrong length, LOGIN while logged in, HELLO (empty version list,
HELLO first), the life of the duplicate cache, a retry after the session timed out, and the
client's silence after REBOOT.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import serial

from drivers.errors import ProtocolError, RefusedByTerminal
from drivers.framing import encode_frame
from drivers.maint import auth
from drivers.maint.driver import MaintenanceDriver
from drivers.maint.protocol import RESPONSE_BIT, Command, Message, Status, Tag, decode_message, encode_message
from drivers.sim.scenario import load_scenario_text

PASSWORD = "demo-2026"
FAST = "[link]\nprocessing_latency_ms = 0\nreboot_s = 0.6\n"

pytestmark = pytest.mark.timeout(60)


def force(model, **values) -> None:
    """Set scenario values past their validation: a fake terminal, or a time-out scaled down for a test."""
    for name, value in values.items():
        object.__setattr__(model, name, value)


def raw(driver: MaintenanceDriver, command: int, items=(), *, seq: int | None = None, status: int = 0) -> Message:
    """Send a request as bytes through the driver's real framing; return the terminal's final answer."""
    seq = driver._next_seq() if seq is None else seq
    data = encode_message(command, seq, list(items), status=status)
    driver._link.send(data)
    while True:
        msg = decode_message(driver._link.receive(5.0))
        if msg.command == command | RESPONSE_BIT and msg.seq == seq and msg.status != Status.IN_PROGRESS:
            return msg


def resend(driver: MaintenanceDriver, data: bytes) -> Message:
    driver._link.send(data)
    return decode_message(driver._link.receive(5.0))


def leave_without_logout(driver: MaintenanceDriver) -> None:
    """What a killed laptop program does: the port closes, no LOGOUT is sent."""
    driver._port.close()
    driver._closed = True


def proof_for(driver: MaintenanceDriver, nonce_c: bytes, password: str = PASSWORD) -> tuple[bytes, Message]:
    challenge = raw(driver, Command.LOGIN_CHALLENGE)
    f = challenge.fields
    key = auth.derive_key(password, f.get(Tag.SERIAL_NUMBER), f.get(Tag.KDF_ITERATIONS))
    return auth.client_proof(key, f.get(Tag.NONCE_TERMINAL), nonce_c), challenge


def attempts_left_after_a_wrong_password(driver: MaintenanceDriver) -> int:
    nonce_c = bytes(16)
    proof, _ = proof_for(driver, nonce_c, password="wrong")
    answer = raw(driver, Command.LOGIN, [(Tag.NONCE_CLIENT, nonce_c), (Tag.CLIENT_PROOF, proof)])
    assert answer.status == Status.AUTH_FAILED
    return answer.fields.get(Tag.ATTEMPTS_LEFT)


# -- 1. what ends a session --------------------------------------------------------------------------


def test_a_login_outlives_the_laptop_leaving_a_serial_line(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    first = connect(server.path)
    first.login(PASSWORD)
    leave_without_logout(first)  # the terminal cannot see this: no modem lines

    second = connect(server.path)
    assert second.hello().logged_in is True
    assert second.parameters().tid == "12345678"  # the next program on the port needs no password
    second.logout()
    assert second.hello().logged_in is False
    with pytest.raises(RefusedByTerminal) as exc:
        second.parameters()
    assert exc.value.code_name == "LOGIN_REQUIRED"


def test_a_tcp_connection_ends_its_login_when_it_closes(tcp_sim, connect):
    server = tcp_sim("healthy", overrides=FAST)
    first = connect(server.url)
    first.login(PASSWORD)
    leave_without_logout(first)
    time.sleep(0.3)  # the terminal notices the closed socket
    second = connect(server.url)
    assert second.hello().logged_in is False


def test_the_session_lapses_after_session_timeout_without_a_request(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    force(server.terminal.scenario.maintenance, session_timeout_s=1)
    driver = connect(server.path)
    driver.login(PASSWORD)
    assert driver.hello().logged_in is True
    time.sleep(1.3)
    assert driver.hello().logged_in is False


# -- 2. the iteration-count range --------------------------------------------------------------------


@pytest.mark.parametrize("iterations", [999, 1_000_001])
def test_a_terminal_cannot_be_set_outside_the_iteration_range(iterations):
    with pytest.raises(ValueError):
        load_scenario_text(f'extends = "healthy"\n[maintenance]\nkdf_iterations = {iterations}\n', source="test")


def test_the_laptop_refuses_a_challenge_below_the_range_without_sending_a_proof(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    force(server.terminal.scenario.maintenance, kdf_iterations=auth.MIN_KDF_ITERATIONS - 1)  # a fake terminal
    sent: list[int] = []
    driver = connect(server.path, trace=lambda d, kind, data: d == "tx" and kind == "frame" and sent.append(data[1]))
    with pytest.raises(ProtocolError) as exc:
        driver.login(PASSWORD)
    assert "999" in str(exc.value)
    assert Command.LOGIN not in sent and Command.LOGIN_CHALLENGE in sent


def test_the_lowest_iteration_count_of_the_range_logs_in(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST + "[maintenance]\nkdf_iterations = 1000\n")
    driver = connect(server.path)
    driver.login(PASSWORD)
    assert driver.hello().logged_in is True


# -- 3. a tamper-locked terminal -----------------------------------------------------------------------

REFUSED_WHEN_TAMPERED = [
    (Command.SELF_TEST, [(Tag.TEST_KIND, 1), (Tag.TEST_TIMEOUT, 5)]),
    (Command.PARAM_BEGIN, []),
    (Command.SET_CLOCK, [(Tag.CLOCK, "20261125103000")]),
    (Command.PRINT_TEXT, [(Tag.TEXT_LINE, "PAID 100.00")]),
    (Command.COMM_TEST, []),
    (Command.SIGN_ON, []),
    (Command.SETTLE, []),
]


def test_a_tampered_terminal_refuses_every_command_that_acts(pty_sim, connect):
    server = pty_sim("tampered", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    clock_before = driver.hardware().clock
    for command, items in REFUSED_WHEN_TAMPERED:
        answer = raw(driver, command, items)
        assert answer.status == Status.DEVICE_FAULT, Command(command).name
        assert "tamper" in answer.fields.get(Tag.ERROR_TEXT)
    assert server.terminal.printed == []
    assert abs((driver.hardware().clock - clock_before).total_seconds()) < 5  # the clock was not set
    assert server.terminal.commits == 0


def test_a_tampered_terminal_still_answers_reads_and_reboots(pty_sim, connect):
    server = pty_sim("tampered", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    assert driver.identity().serial_number
    assert driver.parameters().tid
    assert driver.hardware().tamper == "tampered"
    assert driver.key_status().tmk_slots == []
    assert driver.counters() is not None
    assert driver.read_log("errors") is not None
    assert driver.reboot() == 1


# -- 4. a request whose STATUS is not 00 ---------------------------------------------------------------


def test_a_request_with_a_status_byte_is_malformed_and_not_executed(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    seq = driver._next_seq()
    answer = raw(driver, Command.PRINT_TEXT, [(Tag.TEXT_LINE, "hello")], seq=seq, status=Status.IN_PROGRESS)
    assert answer.status == Status.MALFORMED
    assert "STATUS" in answer.fields.get(Tag.ERROR_TEXT)
    assert server.terminal.printed == []
    # not cached: the same request with STATUS 00 and the same SEQ is executed
    assert raw(driver, Command.PRINT_TEXT, [(Tag.TEXT_LINE, "hello")], seq=seq).status == Status.OK
    assert server.terminal.printed == [["hello"]]


# -- 5. a client nonce of the wrong length ---------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 15, 17, 64])
def test_a_wrong_nonce_length_is_refused_without_costing_an_attempt(pty_sim, connect, length):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    driver.hello()
    nonce_c = bytes(range(length))
    proof, _ = proof_for(driver, nonce_c)  # even the right proof for that nonce
    answer = raw(driver, Command.LOGIN, [(Tag.NONCE_CLIENT, nonce_c), (Tag.CLIENT_PROOF, proof)])
    assert answer.status == Status.INVALID_VALUE
    assert answer.fields.get(Tag.ERROR_FIELD) == Tag.NONCE_CLIENT
    assert driver.hello().logged_in is False
    max_attempts = server.terminal.scenario.maintenance.max_attempts
    assert attempts_left_after_a_wrong_password(driver) == max_attempts - 1  # only the wrong password counted


def test_a_proof_of_the_wrong_length_is_refused_without_costing_an_attempt(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    raw(driver, Command.LOGIN_CHALLENGE)
    answer = raw(driver, Command.LOGIN, [(Tag.NONCE_CLIENT, bytes(16)), (Tag.CLIENT_PROOF, bytes(31))])
    assert (answer.status, answer.fields.get(Tag.ERROR_FIELD)) == (Status.INVALID_VALUE, Tag.CLIENT_PROOF)
    # the challenge was used up: a LOGIN now needs a new one
    again = raw(driver, Command.LOGIN, [(Tag.NONCE_CLIENT, bytes(16)), (Tag.CLIENT_PROOF, bytes(32))])
    assert again.status == Status.NO_CHALLENGE
    assert attempts_left_after_a_wrong_password(driver) == server.terminal.scenario.maintenance.max_attempts - 1


# -- 6. LOGIN while logged in ---------------------------------------------------------------------------


def test_a_wrong_login_while_logged_in_ends_the_login(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    txn = raw(driver, Command.PARAM_BEGIN).fields.get(Tag.TXN_ID)
    assert raw(driver, Command.PARAM_STAGE, [(Tag.TXN_ID, txn), (Tag.TID, "87654321")]).status == Status.OK
    left = attempts_left_after_a_wrong_password(driver)
    assert left == server.terminal.scenario.maintenance.max_attempts - 1  # it counts as a failure
    assert driver.hello().logged_in is False  # and nobody stays logged in
    assert raw(driver, Command.PARAM_COMMIT, [(Tag.TXN_ID, txn)]).status == Status.LOGIN_REQUIRED
    driver.login(PASSWORD)
    assert raw(driver, Command.PARAM_COMMIT, [(Tag.TXN_ID, txn)]).status == Status.NO_TRANSACTION  # staged is gone
    assert driver.parameters().tid == "12345678"


def test_a_right_login_while_logged_in_keeps_the_terminal_logged_in(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    driver.login(PASSWORD)
    assert driver.hello().logged_in is True
    assert driver.parameters().tid == "12345678"


# -- 7. HELLO -------------------------------------------------------------------------------------------


def test_hello_with_an_empty_version_list_gets_the_terminals_versions(pty_sim, connect):
    driver = connect(pty_sim("healthy", overrides=FAST).path)
    answer = raw(driver, Command.HELLO, [(Tag.SUPPORTED_VERSIONS, b"")])
    assert answer.status == Status.UNSUPPORTED_VERSION
    assert answer.fields.get(Tag.SUPPORTED_VERSIONS) == b"\x01"
    without = raw(driver, Command.HELLO, [])  # no list at all means version 1
    assert (without.status, without.fields.get(Tag.PROTOCOL_VERSION)) == (Status.OK, 1)


def test_the_terminal_answers_without_a_hello_but_the_driver_greets_first(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    bare = connect(server.path)
    answer = raw(bare, Command.GET_IDENTITY)  # a terminal does not insist on HELLO
    assert answer.status == Status.OK
    bare.close()

    sent: list[int] = []
    driver = connect(server.path, trace=lambda d, kind, data: d == "tx" and kind == "frame" and sent.append(data[1]))
    driver.identity()
    assert sent == [Command.HELLO, Command.GET_IDENTITY]


def test_a_new_programs_first_requests_are_never_answered_from_the_last_programs_cache(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    first = connect(server.path)
    first.login(PASSWORD)
    data = encode_message(Command.PRINT_TEXT, 7, [(Tag.TEXT_LINE, "slip")])
    assert resend(first, data).status == Status.OK
    assert resend(first, data).status == Status.OK  # a retry: answered from the cache, printed once
    assert len(server.terminal.printed) == 1
    leave_without_logout(first)

    second = connect(server.path)
    second.hello()  # HELLO empties the cache: the same bytes are a new request now
    assert resend(second, data).status == Status.OK
    assert len(server.terminal.printed) == 2


# -- 8. the duplicate cache does not survive a reboot ----------------------------------------------------


def test_a_reboot_repeated_after_the_restart_reboots_again(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    driver = connect(server.path)
    driver.login(PASSWORD)
    data = encode_message(Command.REBOOT, 9, [])
    assert resend(driver, data).status == Status.OK
    time.sleep(0.2)  # the terminal takes the ACK of its answer, then goes dark
    first_dark_until = server.terminal.busy_until
    assert first_dark_until > time.monotonic()
    time.sleep(0.8)  # REBOOT_SECONDS (0.6 s, answered as 1)
    answer = resend(driver, data)  # same SEQ, same bytes, after the restart: RAM is empty
    assert answer.status == Status.LOGIN_REQUIRED  # executed anew, not the cached OK
    assert server.terminal.busy_until == first_dark_until


# -- 9. a retry after the session timed out ----------------------------------------------------------------


def test_a_retry_after_the_session_timed_out_gets_no_cached_parameters(pty_sim, connect):
    server = pty_sim("healthy", overrides=FAST)
    force(server.terminal.scenario.maintenance, session_timeout_s=1)
    driver = connect(server.path)
    driver.login(PASSWORD)
    data = encode_message(Command.GET_PARAMETERS, 33, [])
    first = resend(driver, data)
    assert (first.status, first.fields.get(Tag.TID)) == (Status.OK, "12345678")
    time.sleep(1.3)
    late = resend(driver, data)
    assert late.status == Status.LOGIN_REQUIRED
    assert Tag.TID not in late.fields


# -- 10. the client after REBOOT --------------------------------------------------------------------------


def test_the_driver_sends_nothing_for_reboot_seconds_then_greets_again(pty_sim, connect):
    server = pty_sim("healthy", overrides="[link]\nprocessing_latency_ms = 0\nreboot_s = 1.5\n")
    sent: list[tuple[float, int]] = []

    def trace(direction: str, kind: str, data: bytes) -> None:
        if direction == "tx" and kind == "frame":
            sent.append((time.monotonic(), data[1]))

    driver = connect(server.path, trace=trace)
    driver.login(PASSWORD)
    seconds = driver.reboot()
    answered = time.monotonic()
    assert seconds == 2
    assert driver.hello().logged_in is False  # waits, then the terminal answers at the first try
    after = [(at, cmd) for at, cmd in sent if at >= answered]
    assert [cmd for _, cmd in after] == [Command.HELLO]
    assert after[0][0] - answered >= seconds - 0.05
    driver.login(PASSWORD)
    assert driver.parameters().tid == "12345678"


def test_a_rebooting_terminal_does_not_even_ack(pty_sim):
    server = pty_sim("healthy", overrides="[link]\nprocessing_latency_ms = 0\nreboot_s = 3\n")
    port = serial.serial_for_url(server.path, baudrate=115200, timeout=0.2)
    try:
        driver = MaintenanceDriver(port)
        driver.login(PASSWORD)
        driver._link.send(encode_message(Command.REBOOT, 40, []))
        assert decode_message(driver._link.receive(5.0)).status == Status.OK
        time.sleep(0.2)  # the terminal takes the laptop's ACK of that answer, then goes dark
        port.reset_input_buffer()
        port.write(encode_frame(encode_message(Command.HELLO, 41, [])))  # sent against the rule
        time.sleep(0.8)
        assert port.read(64) == b""  # no ACK, no NAK, nothing
    finally:
        port.close()


def test_set_clock_is_not_refused_on_a_sound_terminal(pty_sim, connect):
    # the tamper rule is about the lock, not about SET_CLOCK: a sound terminal takes the new time
    driver = connect(pty_sim("healthy", overrides=FAST).path)
    driver.login(PASSWORD)
    driver.set_clock(datetime(2026, 11, 25, 10, 30, 0))
    assert abs((driver.hardware().clock - datetime(2026, 11, 25, 10, 30, 0)).total_seconds()) < 5
