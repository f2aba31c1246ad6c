"""ECR framing: golden vectors, the Deframer's resynchronisation, and FrameLink over a real byte pipe.

The link tests run one :class:`FrameLink` on each end of an in-process cable
(:func:`drivers.sim.ports.cable`), or drive one end by hand with raw bytes when
the peer has to misbehave (stay silent, answer without an ACK, stop mid-frame).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from drivers.errors import Disconnected, LinkTimeout, ProtocolError
from drivers.framing import (
    ACK,
    ETX,
    MAX_DATA_LEN,
    NAK,
    STX,
    BadFrame,
    Control,
    Deframer,
    Frame,
    FrameLink,
    Garbage,
    encode_frame,
    lrc,
)
from drivers.sim.ports import QueuePort, cable

GOLDEN = json.loads((Path(__file__).parent / "data" / "frames.json").read_text(encoding="utf-8"))
HELLO_WIRE = bytes.fromhex("02 00 05 48 45 4C 4C 4F 03 44")
FAST = 0.05  # ack/inter-byte timeout for tests that wait for silence


def normalise(events: list) -> list:
    """Merge adjacent Garbage events: how garbage is counted depends on how the bytes were split."""
    out: list = []
    for event in events:
        if isinstance(event, Garbage) and out and isinstance(out[-1], Garbage):
            out[-1] = Garbage(out[-1].count + event.count)
        else:
            out.append(event)
    return out


def feed_in_pieces(data: bytes, sizes: list[int]) -> list:
    deframer = Deframer()
    events = []
    pos = 0
    for size in sizes:
        events += deframer.feed(data[pos : pos + size])
        pos += size
    events += deframer.feed(data[pos:])
    return events


# -- golden vectors -------------------------------------------------------------------


def test_reference_vector_from_the_domain_notes():
    assert encode_frame(b"HELLO") == HELLO_WIRE
    assert lrc(HELLO_WIRE[1:-1]) == 0x44
    assert Deframer().feed(HELLO_WIRE) == [Frame(b"HELLO")]


@pytest.mark.parametrize("vector", GOLDEN["framing"], ids=lambda v: v["name"])
def test_framing_golden_vectors(vector):
    data = bytes.fromhex(vector["data_hex"])
    wire = bytes.fromhex(vector["frame_hex"])
    assert encode_frame(data) == wire
    assert wire[0] == STX and wire[-2] == ETX
    assert wire[1:3] == bytes.fromhex(f"{len(data):04d}")  # BCD: the decimal digits read as hex
    assert wire[-1] == lrc(wire[1:-1])
    assert Deframer().feed(wire) == [Frame(data)]


@pytest.mark.parametrize("vector", GOLDEN["messages"], ids=lambda v: f"{v['example']}-{v['data_hex'][:8]}")
def test_every_worked_example_frame_deframes_to_its_data(vector):
    data = bytes.fromhex(vector["data_hex"])
    wire = bytes.fromhex(vector["frame_hex"])
    assert encode_frame(data) == wire
    assert Deframer().feed(wire) == [Frame(data)]


@pytest.mark.parametrize("vector", GOLDEN["bad_frames"], ids=lambda v: v["name"])
def test_bad_frame_vectors(vector):
    events = Deframer().feed(bytes.fromhex(vector["stream_hex"]))
    assert isinstance(events[0], BadFrame)
    assert vector["reason"] in events[0].reason
    assert not any(isinstance(e, Frame) for e in events)


def test_bcd_length_is_decimal_digits():
    assert encode_frame(bytes(18))[1:3] == b"\x00\x18"
    assert encode_frame(bytes(144))[1:3] == b"\x01\x44"
    assert encode_frame(bytes(MAX_DATA_LEN))[1:3] == b"\x20\x48"


def test_encode_refuses_data_over_the_limit():
    with pytest.raises(ProtocolError, match="2049 bytes"):
        encode_frame(bytes(MAX_DATA_LEN + 1))
    with pytest.raises(ProtocolError):
        encode_frame(bytes(11), max_data=10)
    assert encode_frame(bytes(10), max_data=10)[1:3] == b"\x00\x10"


# -- Deframer: resynchronisation ---------------------------------------------------------


def test_garbage_before_stx_is_skipped_and_counted():
    assert Deframer().feed(b"\x00\xff\x41" + HELLO_WIRE) == [Garbage(3), Frame(b"HELLO")]


def test_oversize_length_is_bad_and_the_real_frame_behind_is_found():
    events = Deframer().feed(b"\x02\x41\x41" + HELLO_WIRE)  # BCD 4141 > 2048: a noise STX
    assert isinstance(events[0], BadFrame) and "exceeds" in events[0].reason
    assert events[1:] == [Garbage(2), Frame(b"HELLO")]


def test_non_bcd_length_is_bad_and_scanning_resumes_at_the_next_byte():
    events = Deframer().feed(b"\x02\x00\x7f" + HELLO_WIRE)
    assert isinstance(events[0], BadFrame) and "not BCD" in events[0].reason
    assert events[1:] == [Garbage(2), Frame(b"HELLO")]


def test_fake_stx_with_a_plausible_length_but_no_etx_does_not_hide_the_frame():
    # 02 00 01 says "1 byte of DATA", so ETX should be at offset 4; it is 42 instead
    events = Deframer().feed(b"\x02\x00\x01\x41\x42" + HELLO_WIRE)
    assert isinstance(events[0], BadFrame) and "no ETX" in events[0].reason
    assert events[1:] == [Garbage(4), Frame(b"HELLO")]


def test_ack_and_nak_between_frames_are_control_events():
    stream = HELLO_WIRE + bytes([ACK, NAK]) + encode_frame(b"") + bytes([ACK])
    assert Deframer().feed(stream) == [Frame(b"HELLO"), Control(ACK), Control(NAK), Frame(b""), Control(ACK)]


def test_control_values_inside_data_are_data():
    data = bytes([STX, ETX, ACK, NAK, STX])
    assert Deframer().feed(encode_frame(data)) == [Frame(data)]


def test_bad_lrc_then_the_next_good_frame_is_still_found():
    bad = bytearray(HELLO_WIRE)
    bad[-1] ^= 0x01
    events = Deframer().feed(bytes(bad) + HELLO_WIRE)
    assert isinstance(events[0], BadFrame) and "LRC" in events[0].reason
    assert events[1:] == [Frame(b"HELLO")]


def test_a_corrupted_data_byte_is_caught_by_the_lrc():
    bad = bytearray(encode_frame(b"GET_COUNTERS"))
    bad[5] ^= 0x20
    assert [type(e) for e in Deframer().feed(bytes(bad))] == [BadFrame]


def test_incomplete_frame_waits_and_reports_in_frame():
    deframer = Deframer()
    assert deframer.feed(HELLO_WIRE[:6]) == []
    assert deframer.in_frame
    assert deframer.feed(HELLO_WIRE[6:]) == [Frame(b"HELLO")]
    assert not deframer.in_frame


def test_reset_drops_a_partial_frame():
    deframer = Deframer()
    deframer.feed(HELLO_WIRE[:4])
    deframer.reset()
    assert not deframer.in_frame
    assert deframer.feed(HELLO_WIRE) == [Frame(b"HELLO")]


def test_a_lone_stx_waits_for_the_length():
    deframer = Deframer()
    assert deframer.feed(b"\x02") == []
    assert deframer.feed(b"\x00") == []
    assert deframer.in_frame


def test_max_data_is_configurable():
    assert isinstance(Deframer(max_data=4).feed(HELLO_WIRE)[0], BadFrame)
    assert Deframer(max_data=5).feed(HELLO_WIRE) == [Frame(b"HELLO")]


STREAMS = {
    "clean": HELLO_WIRE + encode_frame(b"\x01\x81\x01\x00"),
    "garbage-and-controls": b"\x00\x7f" + HELLO_WIRE + b"\x06\x15\xaa" + encode_frame(bytes(range(40))),
    "noise-stx": b"\x02\x41\x41\x02\x00\x7f" + HELLO_WIRE,
    "fake-length": b"\x02\x00\x01\x41\x42" + HELLO_WIRE,
    "bad-lrc": HELLO_WIRE[:-1] + b"\x45" + HELLO_WIRE,
    "oversize": b"\x02\x20\x49" + bytes(10) + HELLO_WIRE,
    "max-size": encode_frame(bytes(MAX_DATA_LEN)) + HELLO_WIRE,
}


@pytest.mark.parametrize("name", STREAMS)
def test_byte_by_byte_feeding_gives_the_same_events(name):
    stream = STREAMS[name]
    whole = normalise(Deframer().feed(stream))
    assert normalise(feed_in_pieces(stream, [1] * len(stream))) == whole
    assert normalise(feed_in_pieces(stream, [2, 3, 5, 7] * len(stream))) == whole
    assert any(isinstance(e, Frame) for e in whole)


# -- FrameLink over an in-process cable ----------------------------------------------------


@contextmanager
def in_thread(target: Callable[[], Any]) -> Iterator[dict]:
    """Run ``target`` on a thread; the dict receives its result or exception. Always joined."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = target()
        except BaseException as err:  # handed to the test thread
            box["error"] = err

    thread = threading.Thread(target=run, name="test-link-peer")
    thread.start()
    try:
        yield box
    finally:
        thread.join(timeout=10)
    assert not thread.is_alive()


def result_of(box: dict) -> Any:
    if "error" in box:
        raise box["error"]
    return box["result"]


def read_raw(port: QueuePort, n: int, timeout: float = 2.0) -> bytes:
    """Read exactly ``n`` bytes from a raw cable end (or fail)."""
    out = b""
    deadline = time.monotonic() + timeout
    while len(out) < n:
        assert time.monotonic() < deadline, f"got only {out.hex()} of {n} bytes"
        port.timeout = 0.02
        out += port.read(n - len(out))
    return out


def tracer() -> tuple[list, Callable[[str, str, bytes], None]]:
    seen: list = []
    return seen, lambda direction, kind, raw: seen.append((direction, kind, raw))


def test_send_is_acked_and_received_once():
    a, b = cable()
    seen, trace = tracer()
    sender, receiver = FrameLink(a, trace=trace), FrameLink(b)
    with in_thread(lambda: receiver.receive(2)) as box:
        sender.send(b"request")
    assert result_of(box) == b"request"
    assert ("tx", "frame", b"request") in seen and ("rx", "ack", bytes([ACK])) in seen
    assert sender.stats["retransmissions"] == 0 and receiver.stats["naks_sent"] == 0


def test_request_and_response_in_both_directions():
    a, b = cable()
    laptop, terminal = FrameLink(a), FrameLink(b)

    def serve() -> bytes:
        request = terminal.receive(2)
        terminal.send(b"answer to " + request)
        return request

    with in_thread(serve) as box:
        laptop.send(b"ping")
        assert laptop.receive(2) == b"answer to ping"
    assert result_of(box) == b"ping"


def test_nak_makes_the_sender_retransmit():
    a, b = cable()
    refusals = iter([True, True])
    sender = FrameLink(a, ack_timeout=1.0)
    receiver = FrameLink(b, refuse_good_frame=lambda: next(refusals, False))
    with in_thread(lambda: receiver.receive(3)) as box:
        sender.send(b"third time lucky")
    assert result_of(box) == b"third time lucky"
    assert sender.stats["retransmissions"] == 2
    assert receiver.stats["naks_sent"] == 2


def test_nak_every_time_gives_up_after_max_tries():
    a, b = cable()
    sender = FrameLink(a, max_tries=3)
    receiver = FrameLink(b, refuse_good_frame=lambda: True)

    def pump() -> None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and receiver.stats["naks_sent"] < 3:
            receiver.poll()
            time.sleep(0.005)

    with in_thread(pump), pytest.raises(ProtocolError, match="rejected"):
        sender.send(b"never accepted")
    assert sender.stats["retransmissions"] == 2
    assert receiver.stats["naks_sent"] == 3


def test_silence_gives_link_timeout_after_max_tries():
    a, b = cable()
    sender = FrameLink(a, ack_timeout=FAST, max_tries=3)
    start = time.monotonic()
    with pytest.raises(LinkTimeout, match="3 tries"):
        sender.send(b"anyone there?")
    assert time.monotonic() - start >= 3 * FAST
    wire = encode_frame(b"anyone there?")
    assert read_raw(b, 3 * len(wire)) == wire * 3  # the same bytes, three times
    assert sender.stats["retransmissions"] == 2


def test_a_frame_from_the_peer_is_kept_but_is_not_taken_for_our_ack():
    """The peer may be sending progress while our frame was lost: only an ACK proves delivery."""
    a, b = cable()
    sender = FrameLink(a, ack_timeout=FAST)

    def peer() -> bytes:
        wire = encode_frame(b"question")
        first = read_raw(b, len(wire))  # our ACK for it "was lost": the peer sends its own frame instead
        b.write(encode_frame(b"progress"))
        ack_of_progress = read_raw(b, 1)
        second = read_raw(b, len(wire))  # the sender retransmits: nothing proved delivery
        b.write(bytes([ACK]))
        return first + ack_of_progress + second

    with in_thread(peer) as box:
        sender.send(b"question")
        assert sender.receive(1) == b"progress"
    assert sender.stats["retransmissions"] == 1
    assert result_of(box) == encode_frame(b"question") + bytes([ACK]) + encode_frame(b"question")


def test_lost_ack_leads_to_a_retransmission_and_a_duplicate_delivery():
    a, b = cable()
    sender = FrameLink(a, ack_timeout=FAST)

    def peer() -> bytes:
        wire = encode_frame(b"once")
        first = read_raw(b, len(wire))  # first copy: swallowed, as if our ACK was lost
        second = read_raw(b, len(wire))
        b.write(bytes([ACK]))
        return first + second

    with in_thread(peer) as box:
        sender.send(b"once")
    assert result_of(box) == encode_frame(b"once") * 2
    assert sender.stats["retransmissions"] == 1


def test_inter_byte_timeout_discards_a_partial_frame_and_naks():
    a, b = cable()
    receiver = FrameLink(a, inter_byte_timeout=FAST)
    seen, receiver.trace = tracer()
    b.write(HELLO_WIRE[:5])  # the sender stopped mid-frame
    with pytest.raises(LinkTimeout):
        receiver.receive(FAST * 4)
    assert read_raw(b, 1) == bytes([NAK])
    assert ("rx", "bad", b"frame abandoned: inter-byte timeout") in seen
    b.write(encode_frame(b"fresh"))  # the retransmission lands in a clean buffer
    assert receiver.receive(1) == b"fresh"
    assert read_raw(b, 1) == bytes([ACK])


def test_bad_frames_are_naked_and_garbage_is_counted():
    a, b = cable()
    receiver = FrameLink(a)
    corrupted = bytearray(HELLO_WIRE)
    corrupted[-1] ^= 0xFF
    b.write(b"\x00\x11\x22" + bytes(corrupted) + HELLO_WIRE)
    assert receiver.receive(1) == b"HELLO"
    assert read_raw(b, 2) == bytes([NAK, ACK])
    assert receiver.stats == {"retransmissions": 0, "naks_sent": 1, "garbage_bytes": 3}


def test_poll_returns_none_when_nothing_is_waiting():
    a, b = cable()
    link = FrameLink(a)
    assert link.poll() is None
    b.write(HELLO_WIRE)
    deadline = time.monotonic() + 1
    got = None
    while got is None and time.monotonic() < deadline:
        got = link.poll()
    assert got == b"HELLO"


def test_discard_input_forgets_queued_frames_and_partial_input():
    a, b = cable()
    link = FrameLink(a)
    b.write(HELLO_WIRE * 2)
    assert link.receive(1) == b"HELLO"  # both parsed in one read: the second is queued
    link.discard_input()
    with pytest.raises(LinkTimeout):
        link.receive(0.1)
    b.write(HELLO_WIRE[:4])
    time.sleep(0.02)
    assert link.poll() is None
    link.discard_input()
    b.write(HELLO_WIRE[4:])  # without its start this is garbage
    with pytest.raises(LinkTimeout):
        link.receive(0.1)
    assert link.stats["garbage_bytes"] == len(HELLO_WIRE) - 4


def test_send_refuses_oversize_data_before_writing():
    a, b = cable()
    with pytest.raises(ProtocolError):
        FrameLink(a).send(bytes(MAX_DATA_LEN + 1))
    assert b.in_waiting == 0


def test_closed_cable_is_disconnected():
    a, b = cable()
    link = FrameLink(a)
    b.close()
    with pytest.raises(Disconnected):
        link.send(b"hello?")
    with pytest.raises(Disconnected):
        link.receive(0.1)
