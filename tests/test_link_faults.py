"""Injected link faults through a real pty: each ends in success after retries or a
clear typed error naming the operation, never a hang."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
import serial

from drivers import framing
from drivers.errors import Disconnected, LinkTimeout, ProtocolError, RefusedByTerminal
from drivers.framing import FrameLink
from drivers.maint import driver as maint_driver
from drivers.maint.driver import MaintenanceDriver
from drivers.maint.protocol import Command, Status, Tag, decode_message, encode_message
from techapp.info import collect_info

PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(30)


def faults(**rates) -> str:
    return "[link.faults]\n" + "".join(f"{k} = {v}\n" for k, v in rates.items())


# -- noisy lines: retries get through ------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"corrupt_rate": 0.2},
        {"garbage_rate": 0.3},
        {"drop_rate": 0.2},
        {"spurious_nak_rate": 0.2},
        {"corrupt_rate": 0.1, "garbage_rate": 0.1, "drop_rate": 0.1, "spurious_nak_rate": 0.1},
    ],
    ids=["corrupt", "garbage", "drop", "spurious-nak", "all-of-them"],
)
@pytest.mark.parametrize("seed", [7, 11])
def test_full_info_read_survives_a_noisy_line(pty_sim, connect, fault, seed):
    server = pty_sim("healthy", overrides=faults(seed=seed, **fault))
    # recovering a damaged answer costs the inter-byte timeout and a NAK round trip; leave room for two
    driver = connect(server.path, response_timeout=3.0)
    info = collect_info(driver, PASSWORD, port=server.path)
    assert info.errors == []
    assert info.complete
    assert info.identity.serial_number == "82412345"
    assert info.parameters.tid == "12345678"
    assert info.keys.tmk_slots[0].check_value == "08D7B4FB"
    assert [e.code for e in info.response_codes] == ["00", "00"]
    stats = driver._link.stats
    if "garbage_rate" in fault and len(fault) == 1:
        assert stats["garbage_bytes"] > 0  # noise before a frame costs no retransmission
    elif "spurious_nak_rate" in fault and len(fault) == 1:
        assert stats["retransmissions"] > 0  # the terminal refused our intact frames; we sent them again
    else:
        assert stats["naks_sent"] > 0  # we refused damaged frames and the terminal sent them again


def test_a_write_survives_a_noisy_line(pty_sim, connect):
    server = pty_sim("healthy", overrides=faults(seed=3, corrupt_rate=0.2, spurious_nak_rate=0.2))
    driver = connect(server.path, response_timeout=1.0)
    driver.login(PASSWORD)
    for tid in ("87654321", "11112222", "33334444"):
        assert driver.set_parameters({"tid": tid}).tid == tid
    assert server.terminal.commits == 3  # retries never commit twice
    assert server.terminal.params[Tag.TID] == "33334444"
    assert driver._link.stats["retransmissions"] + driver._link.stats["naks_sent"] > 0


def test_slow_terminal_retry_is_answered_once(pty_sim, connect):
    # the terminal takes 0.8 s, the driver waits 0.5 s and asks again with the same SEQ
    server = pty_sim("healthy", overrides="[link.command_latency_ms]\nPARAM_COMMIT = 800\nGET_COUNTERS = 800\n")
    sent: list[bytes] = []
    driver = connect(
        server.path,
        response_timeout=0.5,
        trace=lambda direction, kind, data: sent.append(data) if (direction, kind) == ("tx", "frame") else None,
    )
    driver.login(PASSWORD)
    assert driver.set_parameters({"tid": "87654321"}).tid == "87654321"
    assert [data[1] for data in sent].count(Command.PARAM_COMMIT) == 2  # asked twice
    assert server.terminal.commits == 1  # done once
    assert driver.counters().transaction_log_capacity == 1500
    # the duplicate answers that arrive late are not taken for the answers to later requests
    assert driver.identity().serial_number == "82412345"
    assert driver.parameters().tid == "87654321"
    assert driver.set_parameters({"tid": "11112222"}).tid == "11112222"
    assert server.terminal.commits == 2


# -- hopeless lines: a typed error naming the action, in bounded time ----------------------------


def test_every_answer_corrupted(pty_sim, connect):
    server = pty_sim("healthy", overrides=faults(corrupt_rate=1.0))
    driver = connect(server.path, response_timeout=1.0)
    start = time.monotonic()
    with pytest.raises((LinkTimeout, ProtocolError)) as exc:
        driver.identity()
    assert time.monotonic() - start < 10
    assert "reading the terminal identity" in str(exc.value)
    assert driver._link.stats["naks_sent"] >= framing.MAX_TRIES


def test_terminal_refuses_every_frame(pty_sim, connect):
    server = pty_sim("healthy", overrides=faults(spurious_nak_rate=1.0))
    driver = connect(server.path, response_timeout=1.0)
    start = time.monotonic()
    with pytest.raises(ProtocolError) as exc:
        driver.hello()
    assert time.monotonic() - start < 3
    assert "greeting the terminal" in str(exc.value)
    assert "NAK" in str(exc.value)
    assert driver._link.stats["retransmissions"] == framing.MAX_TRIES - 1


def test_wrong_baud_rate_times_out_then_the_right_one_works(pty_sim, connect):
    server = pty_sim("healthy", overrides="[link]\nline_baud = 9600\n")
    driver = connect(server.path, response_timeout=1.0)
    start = time.monotonic()
    with pytest.raises((LinkTimeout, ProtocolError)) as exc:
        driver.identity()
    assert time.monotonic() - start < framing.ACK_TIMEOUT * framing.MAX_TRIES * maint_driver.REQUEST_TRIES + 1.5
    assert "reading the terminal identity" in str(exc.value)
    driver.close()

    driver = connect(server.path, baudrate=9600)
    assert driver.identity().serial_number == "82412345"
    driver.login(PASSWORD)
    assert driver.parameters().tid == "12345678"


def test_cable_pulled_mid_session(pty_sim, connect):
    # frames the terminal receives: 1 HELLO, 2 GET_IDENTITY, 3 LOGIN_CHALLENGE -> cable cut
    server = pty_sim("healthy", overrides=faults(disconnect_after_frames=3))
    driver = connect(server.path)
    driver.hello()
    driver.identity()
    start = time.monotonic()
    with pytest.raises(Disconnected) as exc:
        driver.login(PASSWORD)
    assert time.monotonic() - start < 3
    assert "logging in to maintenance mode" in str(exc.value)
    assert not driver.is_open
    with pytest.raises(Disconnected):
        driver.identity()


def test_hung_terminal_times_out_within_the_bound(pty_sim, connect):
    # the terminal hears GET_IDENTITY (frame 2), then never says anything again, not even ACK
    server = pty_sim("healthy", overrides=faults(silent_after_frames=2))
    response_timeout = 1.0
    driver = connect(server.path, response_timeout=response_timeout)
    driver.hello()
    bound = framing.ACK_TIMEOUT * framing.MAX_TRIES * maint_driver.REQUEST_TRIES + response_timeout
    start = time.monotonic()
    with pytest.raises(LinkTimeout) as exc:
        driver.identity()
    elapsed = time.monotonic() - start
    assert elapsed < bound + 0.5
    assert elapsed >= response_timeout  # it did wait for the answer before giving up
    assert "reading the terminal identity" in str(exc.value)
    assert "did not answer" in str(exc.value)
    assert driver.is_open  # a timeout is not a disconnect: the technician may try again


def test_info_read_stops_at_a_hung_terminal(pty_sim, connect):
    # frames: 1 HELLO, 2 GET_IDENTITY, 3 LOGIN_CHALLENGE, 4 LOGIN, 5 GET_PARAMETERS -> silence
    server = pty_sim("healthy", overrides=faults(silent_after_frames=5))
    response_timeout = 1.0
    driver = connect(server.path, response_timeout=response_timeout)
    bound = framing.ACK_TIMEOUT * framing.MAX_TRIES * maint_driver.REQUEST_TRIES + response_timeout
    start = time.monotonic()
    info = collect_info(driver, PASSWORD, port=server.path)
    # one timeout, not one per remaining section
    assert time.monotonic() - start < bound + 1.0
    assert info.identity is not None and info.identity.serial_number == "82412345"
    assert info.parameters is None
    assert [(e.section, e.error_type) for e in info.errors] == [("parameters", "LinkTimeout")]
    assert "reading the payment parameters" in info.errors[0].message


def test_hung_terminal_during_a_self_test(pty_sim, connect, monkeypatch):
    monkeypatch.setattr(maint_driver, "SELF_TEST_GRACE", 1.0)
    server = pty_sim(
        "healthy", overrides="[self_tests.card_reader]\npresent_after_s = 60\n" + faults(silent_after_frames=4)
    )
    driver = connect(server.path, response_timeout=1.0)
    driver.hello()
    driver.login(PASSWORD)
    start = time.monotonic()
    with pytest.raises(LinkTimeout) as exc:
        driver.self_test("card-reader", timeout_s=1)
    assert time.monotonic() - start < 1 + 1.0 + 1
    assert "running the card-reader test" in str(exc.value)


@pytest.mark.parametrize(
    "noise",
    [
        bytes(random.Random(42).randrange(256) for _ in range(200)),
        b"\x02\x20\x00" + b"\x55" * 40,  # looks like the start of a 2000-byte frame
        b"\x02\x00\x10\x01\x10",  # a truncated frame
        b"\x06\x15\x06\x03\x03",
    ],
    ids=["random", "long-frame-start", "truncated-frame", "stray-controls"],
)
def test_terminal_resynchronises_after_garbage_from_the_laptop(pty_sim, connect, noise):
    server = pty_sim("healthy")
    driver = connect(server.path, response_timeout=1.0)
    assert driver.hello().protocol_version == 1
    driver._port.write(noise)
    assert driver.identity().serial_number == "82412345"
    driver._port.write(noise)
    driver.login(PASSWORD)
    assert driver.parameters().tid == "12345678"


# -- malformed and unknown requests ----------------------------------------------------------------


@pytest.fixture
def raw_link(pty_sim) -> Iterator[FrameLink]:
    server = pty_sim("healthy")
    port = serial.Serial(server.path, 115200, timeout=0.02)
    try:
        yield FrameLink(port)
    finally:
        port.close()


def test_malformed_tlv_gets_a_malformed_answer(raw_link):
    # GET_IDENTITY whose TLV declares 200 bytes and carries 2
    request = bytes([1, Command.GET_IDENTITY, 9, 0]) + bytes([Tag.CLIENT_NAME, 0x00, 200]) + b"ab"
    raw_link.send(request)
    msg = decode_message(raw_link.receive(5.0))
    assert msg.command == Command.GET_IDENTITY | 0x80
    assert msg.seq == 9
    assert msg.status == Status.MALFORMED
    assert "malformed" in msg.fields.get(Tag.ERROR_TEXT)
    # the terminal carries on
    raw_link.send(encode_message(Command.GET_IDENTITY, 10))
    msg = decode_message(raw_link.receive(5.0))
    assert (msg.seq, msg.status) == (10, Status.OK)
    assert msg.fields.get(Tag.SERIAL_NUMBER) == "82412345"


def test_badly_typed_field_is_refused_as_malformed(pty_sim, connect):
    driver = connect(pty_sim("healthy").path)
    # GET_IDENTITY carrying a boolean field (LOGGED_IN) of two bytes: valid TLV, invalid value
    request = bytes([1, Command.GET_IDENTITY, 0x30, 0]) + bytes([Tag.LOGGED_IN, 0x00, 0x02, 0x01, 0x01])
    driver._link.send(request)
    with pytest.raises(RefusedByTerminal) as exc:
        driver._await_response(Command.GET_IDENTITY, 0x30, 2.0, None, None, "reading the terminal identity")
    assert exc.value.code_name == "MALFORMED"
    assert "LOGGED_IN" in str(exc.value)
    assert "reading the terminal identity" in str(exc.value)
    assert driver.identity().serial_number == "82412345"


def test_unknown_command_is_refused(pty_sim, connect):
    driver = connect(pty_sim("healthy").path)
    with pytest.raises(RefusedByTerminal) as exc:
        driver._request(0x5E, action="asking for something new")
    assert exc.value.code_name == "UNKNOWN_COMMAND"
    assert "unknown command 0x5E" in str(exc.value)
    assert "asking for something new" in str(exc.value)
    assert driver.identity().serial_number == "82412345"


def test_noise_instead_of_answers_points_at_the_line_settings():
    """A device that only babbles (another protocol, or the wrong speed) gets a hint, not just a timeout."""
    import os
    import threading
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def babble() -> None:
        while not stop.wait(0.05):
            os.write(master, bytes([0xE5, 0x9A, 0xFE, 0x80]))

    talker = threading.Thread(target=babble, name="babbler")
    talker.start()
    try:
        driver = MaintenanceDriver(path, response_timeout=0.5)
        with driver, pytest.raises(LinkTimeout) as err:
            driver.hello()
    finally:
        stop.set()
        talker.join()
        os.close(master)
        os.close(slave)
    message = str(err.value)
    assert message.startswith("greeting the terminal: the terminal did not answer")
    assert "bytes of noise arrived instead: check the baud rate (this port is at 115200 baud) and the cable" in message
