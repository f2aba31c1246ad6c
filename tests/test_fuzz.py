"""Property-based tests: the framing, TLV and message decoders and the simulated terminal's request handling
never fail in an unplanned way, whatever bytes arrive.

Budget: the whole file runs in a few seconds (``deadline=None``, bounded
``max_examples``, no example database written to the work tree).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from drivers import tlv
from drivers.errors import ProtocolError
from drivers.framing import (
    ACK,
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
)
from drivers.maint.protocol import (
    HEADER_LEN,
    MAX_LIST_DEPTH,
    RESPONSE_BIT,
    TAG_KINDS,
    WRITABLE_PARAMETERS,
    Command,
    Fields,
    Kind,
    Message,
    Status,
    Tag,
    decode_fields,
    decode_message,
    encode_fields,
    encode_message,
)
from drivers.sim.ports import cable
from drivers.sim.scenario import load_scenario_text
from drivers.sim.terminal import Session, SimulatedTerminal, validate_parameter

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def normalise(events: list) -> list:
    """Merge adjacent Garbage events (their count depends on how the input was split)."""
    out: list = []
    for event in events:
        if isinstance(event, Garbage) and out and isinstance(out[-1], Garbage):
            out[-1] = Garbage(out[-1].count + event.count)
        else:
            out.append(event)
    return out


def feed_split(data: bytes, cuts: list[int]) -> list:
    deframer = Deframer()
    events: list = []
    pos = 0
    for cut in cuts:
        events += deframer.feed(data[pos : pos + cut])
        pos += cut
    return events + deframer.feed(data[pos:])


def plain(value: Any) -> Any:
    if isinstance(value, Fields):
        return [(tag, plain(v)) for tag, v in value]
    return value


# -- strategies ------------------------------------------------------------------------------

frames = st.binary(max_size=80).map(encode_frame)
controls = st.sampled_from([bytes([ACK]), bytes([NAK]), bytes([STX])])
#: Byte streams that are mostly noise but contain frame-like pieces: pure random bytes seldom make a frame.
streams = st.one_of(
    st.binary(max_size=400),
    st.lists(st.one_of(st.binary(max_size=20), frames, controls), max_size=12).map(b"".join),
)
cuts = st.lists(st.integers(min_value=1, max_value=40), max_size=30)
noise = st.binary(max_size=20).map(lambda b: bytes(x for x in b if x not in (STX, ACK, NAK)))

TAG_CODES = [int(t) for t in Tag]
any_tag_code = st.one_of(st.sampled_from(TAG_CODES), st.integers(min_value=0, max_value=255))
versions = st.sampled_from([1, 1, 1, 1, 1, 1, 1, 0, 2, 255])


def value_of(kind: Kind, depth: int = 0) -> st.SearchStrategy[Any]:
    if kind is Kind.STR:
        return st.one_of(st.text(max_size=30), st.from_regex(r"[0-9A-Za-z.]{0,16}", fullmatch=True))
    if kind is Kind.UINT:
        return st.one_of(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=2**64 - 1))
    if kind is Kind.INT:
        return st.integers(min_value=-(2**63), max_value=2**63 - 1)
    if kind is Kind.BOOL:
        return st.booleans()
    if kind is Kind.BYTES:
        return st.binary(max_size=30)
    if kind is Kind.TIME:  # only real dates: 20261399000000 is malformed (see test_tlv_protocol)
        return st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(2200, 1, 1)).map(
            lambda d: d.strftime("%Y%m%d%H%M%S")
        )
    if depth >= MAX_LIST_DEPTH - 1:
        return st.just([])  # the innermost list a message may carry
    return st.lists(typed_field(depth + 1), max_size=4)


def field_of(tags: list[Tag], depth: int = 0) -> st.SearchStrategy[tuple[Tag, Any]]:
    return st.sampled_from(tags).flatmap(lambda tag: value_of(TAG_KINDS[tag], depth).map(lambda v: (tag, v)))


def typed_field(depth: int = 0) -> st.SearchStrategy[tuple[Tag, Any]]:
    return field_of(list(Tag), depth)


typed_fields = st.lists(typed_field(), max_size=8)
raw_tlv = st.lists(st.tuples(any_tag_code, st.binary(max_size=24)), max_size=8).map(tlv.encode)
headers = st.tuples(
    versions,
    st.one_of(st.sampled_from([int(c) for c in Command]), st.integers(min_value=0, max_value=255)),
    st.integers(min_value=0, max_value=255),
    st.one_of(st.just(0), st.integers(min_value=0, max_value=255)),
).map(bytes)
#: Message-shaped bytes: a header and TLV fields, raw or well typed, sometimes cut short; or anything.
messages = st.one_of(
    st.tuples(headers, raw_tlv).map(b"".join),
    st.tuples(headers, typed_fields.map(encode_fields)).map(b"".join),
    st.tuples(headers, raw_tlv, st.integers(min_value=0, max_value=40)).map(lambda t: (t[0] + t[1])[: -t[2] or None]),
    st.binary(max_size=60),
)

#: The fields each command reads, so that fuzzed requests get past the format checks into the handlers.
COMMAND_TAGS: dict[Command, list[Tag]] = {
    Command.HELLO: [Tag.SUPPORTED_VERSIONS, Tag.CLIENT_NAME],
    Command.LOGIN: [Tag.NONCE_CLIENT, Tag.CLIENT_PROOF],
    Command.GET_LOG: [Tag.LOG_KIND, Tag.LOG_OFFSET],
    Command.SELF_TEST: [Tag.TEST_KIND, Tag.TEST_TIMEOUT],
    Command.PARAM_STAGE: [Tag.TXN_ID, *WRITABLE_PARAMETERS],
    Command.PARAM_COMMIT: [Tag.TXN_ID],
    Command.PARAM_ABORT: [Tag.TXN_ID],
    Command.SET_CLOCK: [Tag.CLOCK],
    Command.PRINT_TEXT: [Tag.TEXT_LINE],
}
plausible_requests = st.sampled_from(list(Command)).flatmap(
    lambda command: st.builds(
        lambda version, seq, items: encode_message(command, seq, items, version=version),
        versions,
        st.integers(min_value=0, max_value=255),
        st.lists(field_of(COMMAND_TAGS.get(command, list(Tag))), min_size=int(command in COMMAND_TAGS), max_size=4),
    )
)
requests = st.one_of(plausible_requests, plausible_requests, messages)


# -- framing -----------------------------------------------------------------------------------


@FUZZ
@given(streams, cuts)
def test_deframer_never_raises_and_yields_only_known_events(data, split):
    events = feed_split(data, split)
    assert all(isinstance(e, Frame | Control | BadFrame | Garbage) for e in events)
    for event in events:
        if isinstance(event, Frame):
            assert encode_frame(event.data) in data  # a frame is never invented
            assert len(event.data) <= MAX_DATA_LEN
        elif isinstance(event, Control):
            assert event.byte in (ACK, NAK)
        elif isinstance(event, Garbage):
            assert event.count > 0


@FUZZ
@given(streams, cuts)
def test_deframer_events_do_not_depend_on_how_the_input_is_split(data, split):
    assert normalise(feed_split(data, split)) == normalise(Deframer().feed(data))


@FUZZ
@given(st.lists(st.tuples(st.binary(max_size=120), st.lists(st.sampled_from([ACK, NAK]), max_size=2), noise)), cuts)
def test_frames_round_trip_through_noise_and_control_bytes(pieces, split):
    stream = b"".join(encode_frame(data) + bytes(ctl) + junk for data, ctl, junk in pieces)
    events = feed_split(stream, split)
    assert [e.data for e in events if isinstance(e, Frame)] == [data for data, _, _ in pieces]
    assert [e.byte for e in events if isinstance(e, Control)] == [b for _, ctl, _ in pieces for b in ctl]
    assert not any(isinstance(e, BadFrame) for e in events)


@settings(max_examples=20, deadline=None, database=None)
@given(st.binary(min_size=MAX_DATA_LEN - 10, max_size=MAX_DATA_LEN))
def test_frames_up_to_the_limit_round_trip(data):
    assert Deframer().feed(encode_frame(data)) == [Frame(data)]


# -- TLV and messages -------------------------------------------------------------------------


@FUZZ
@given(st.one_of(st.binary(max_size=200), raw_tlv))
def test_tlv_decode_returns_items_or_raises_tlv_error(data):
    try:
        items = tlv.decode(data)
    except tlv.TLVError:
        return
    assert tlv.encode(items) == data  # decoding is exact: nothing skipped, nothing invented


@FUZZ
@given(messages)
def test_decode_message_returns_a_message_or_raises_protocol_error(data):
    try:
        msg = decode_message(data)
    except ProtocolError:  # TLVError included
        assert len(data) < HEADER_LEN or data[HEADER_LEN:]  # only the fields can be wrong beyond the header
        return
    assert isinstance(msg, Message)
    assert bytes([msg.version, msg.command, msg.seq, msg.status]) == data[:HEADER_LEN]


@FUZZ
@given(typed_fields)
def test_typed_fields_round_trip(items):
    assert plain(decode_fields(encode_fields(items))) == items


@FUZZ
@given(
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=0, max_value=255),
    st.sampled_from(list(Status)),
    typed_fields,
)
def test_messages_round_trip_through_a_frame(command, seq, status, items):
    raw = encode_message(command, seq, items, status=status)
    big = 9999  # the largest BCD length; typed_fields can exceed MAX_DATA_LEN
    [frame] = Deframer(max_data=big).feed(encode_frame(raw, max_data=big))
    msg = decode_message(frame.data)
    assert (msg.command, msg.seq, msg.status) == (command, seq, status)
    assert plain(msg.fields) == items


# -- the simulated terminal's request handling -----------------------------------------------


def make_terminal(overrides: str) -> SimulatedTerminal:
    """The shipped ``healthy`` terminal with TOML overrides (as conftest's make_terminal)."""
    return SimulatedTerminal(load_scenario_text(f'extends = "healthy"\n{overrides}', source="test"))


FAST_TERMINAL = """
[network]
default = "refused"
[link]
processing_latency_ms = 0
reboot_s = 0
[self_tests.printer]
duration_s = 0
[self_tests.card_reader]
present_after_s = 0
[self_tests.keypad]
press_after_s = 0
"""


@contextmanager
def running_session(overrides: str = FAST_TERMINAL) -> Iterator[tuple[FrameLink, Session, SimulatedTerminal, list]]:
    """A Session serving on a thread behind an in-process cable; yields (client link, session, terminal, errors)."""
    terminal = make_terminal(overrides)
    laptop_end, terminal_end = cable()
    session = Session(terminal, FrameLink(terminal_end))
    stop = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            session.serve(stop)
        except BaseException as err:  # reported by the test, not by the thread
            errors.append(err)

    thread = threading.Thread(target=serve, name="fuzz-session")
    thread.start()
    try:
        yield FrameLink(laptop_end), session, terminal, errors
    finally:
        stop.set()
        laptop_end.close()
        thread.join(timeout=5)
        terminal.close()  # a fuzzed COMM_TEST or SIGN_ON starts the terminal's acquirer
    assert not thread.is_alive()


def final_response(client: FrameLink, command: int, seq: int, timeout: float = 3.0) -> Message:
    """The final response to (command, seq), skipping its IN_PROGRESS frames."""
    deadline = time.monotonic() + timeout
    while True:
        msg = decode_message(client.receive(max(deadline - time.monotonic(), 0.01)))
        assert msg.is_response
        assert (msg.command, msg.seq) == (command | RESPONSE_BIT, seq), msg.describe()
        if msg.status != Status.IN_PROGRESS:
            return msg


def outcome(command: int, status: int) -> str:
    """'GET_LOG -> INVALID_VALUE': what a fuzzed request reached (see --hypothesis-show-statistics)."""
    name = Command(command).name if command in Command._value2member_map_ else "unknown command"
    return f"{name} -> {Status(status).name}"


def expects_answer(data: bytes) -> bool:
    """What a terminal must answer: anything with CMD and SEQ that is not itself a response."""
    return len(data) >= 3 and not data[1] & RESPONSE_BIT


def test_any_request_gets_an_answer_and_never_kills_the_session():
    with running_session() as (client, session, terminal, errors):

        @SLOW_FUZZ
        @given(requests, st.sampled_from([True, True, True, False]))
        def check(data: bytes, logged_in: bool) -> None:
            session.logged_in = logged_in  # reach the handlers behind the login too
            terminal.locked_until = 0.0
            client.send(data)
            if expects_answer(data):
                msg = final_response(client, data[1], data[2])
                hypothesis_event(outcome(data[1], msg.status))
                assert (msg.status == Status.OK) == (msg.fields.get(Tag.ERROR_TEXT) is None)
            else:
                time.sleep(0.02)
                assert client.poll() is None, "a response to a response, or to a 1-2 byte message"
            assert not errors, errors

        check()
    assert not errors


def test_retried_requests_are_answered_from_the_cache_and_not_run_twice():
    with running_session() as (client, session, terminal, errors):
        session.logged_in = True
        request = encode_message(Command.PRINT_TEXT, 9, [(Tag.TEXT_LINE, "once")])
        client.send(request)
        first = final_response(client, Command.PRINT_TEXT, 9)
        client.send(request)
        second = final_response(client, Command.PRINT_TEXT, 9)
        assert first.status == Status.OK
        assert (second.command, second.seq, second.status, plain(second.fields)) == (
            first.command,
            first.seq,
            first.status,
            plain(first.fields),
        )
        assert terminal.printed == [["once"]]
        client.send(encode_message(Command.PRINT_TEXT, 10, [(Tag.TEXT_LINE, "once")]))
        final_response(client, Command.PRINT_TEXT, 10)
        assert len(terminal.printed) == 2  # a new SEQ is a new request
    assert not errors


def test_session_answers_malformed_requests_and_goes_on():
    with running_session() as (client, _session, _terminal, errors):
        client.send(bytes([1, Command.GET_LOG, 7, 0]) + bytes.fromhex("74 0005 01"))
        assert final_response(client, Command.GET_LOG, 7).status == Status.MALFORMED
        client.send(bytes([1, Command.HELLO, 7]))  # 3 bytes: no status byte
        assert final_response(client, Command.HELLO, 7).status == Status.MALFORMED
        client.send(b"\x01\x01")  # too short to answer
        client.send(encode_message(Command.GET_IDENTITY, 8))
        assert final_response(client, Command.GET_IDENTITY, 8).status == Status.OK
    assert not errors


# -- defects found while writing these tests, fixed since; kept as regression tests --


def test_a_refusal_never_exceeds_the_frame_limit():
    with running_session() as (client, session, _terminal, _errors):
        session.logged_in = True
        client.send(encode_message(Command.PARAM_BEGIN, 1))
        txn = final_response(client, Command.PARAM_BEGIN, 1).fields.get(Tag.TXN_ID)
        client.send(encode_message(Command.PARAM_STAGE, 2, [(Tag.TXN_ID, txn), (Tag.TID, "\x01" * 600)]))
        assert final_response(client, Command.PARAM_STAGE, 2, timeout=1.5).status == Status.INVALID_VALUE


def test_deeply_nested_lists_get_malformed():
    terminal = make_terminal(FAST_TERMINAL)
    laptop_end, terminal_end = cable()
    session = Session(terminal, FrameLink(terminal_end, ack_timeout=0.01, max_tries=1))
    body = b""
    while len(body) + 3 + HEADER_LEN <= MAX_DATA_LEN:  # about 680 levels still fit in one frame
        body = bytes([Tag.LOG_ENTRY]) + len(body).to_bytes(2, "big") + body
    session.dispatch(bytes([1, Command.GET_IDENTITY, 1, 0]) + body)
    laptop_end.timeout = 0.1
    sent = [e for e in Deframer().feed(laptop_end.read(4096)) if isinstance(e, Frame)]
    assert decode_message(sent[0].data).status == Status.MALFORMED


def test_unknown_version_is_reported_before_the_fields_are_decoded():
    with running_session() as (client, _session, _terminal, _errors):
        client.send(bytes([2, Command.GET_IDENTITY, 1, 0]) + b"\x02\x00")  # a v2 body v1 cannot parse
        assert final_response(client, Command.GET_IDENTITY, 1).status == Status.UNSUPPORTED_VERSION


def test_a_repeated_self_test_request_does_not_end_the_test_with_busy():
    slow_printer = FAST_TERMINAL.replace("duration_s = 0\n", "duration_s = 0.6\n")
    with running_session(slow_printer) as (client, session, _terminal, _errors):
        session.logged_in = True
        request = encode_message(Command.SELF_TEST, 5, [(Tag.TEST_KIND, 1), (Tag.TEST_TIMEOUT, 30)])
        client.send(request)
        client.send(request)  # as after a lost ACK
        assert final_response(client, Command.SELF_TEST, 5).status == Status.OK


def test_session_timeout_discards_the_staged_parameters():
    with running_session() as (client, session, terminal, _errors):
        session.logged_in = True
        client.send(encode_message(Command.PARAM_BEGIN, 1))
        txn = final_response(client, Command.PARAM_BEGIN, 1).fields.get(Tag.TXN_ID)
        client.send(encode_message(Command.PARAM_STAGE, 2, [(Tag.TXN_ID, txn), (Tag.TID, "99999999")]))
        assert final_response(client, Command.PARAM_STAGE, 2).status == Status.OK
        session.last_activity -= terminal.scenario.maintenance.session_timeout_s + 1  # the technician left
        client.send(encode_message(Command.GET_COUNTERS, 3))
        assert final_response(client, Command.GET_COUNTERS, 3).status == Status.LOGIN_REQUIRED
        session.logged_in = True  # logged in again
        client.send(encode_message(Command.PARAM_COMMIT, 4, [(Tag.TXN_ID, txn)]))
        assert final_response(client, Command.PARAM_COMMIT, 4).status == Status.NO_TRANSACTION


@pytest.mark.parametrize(
    ("tag", "value"),
    [(Tag.TID, "12345678\n"), (Tag.MID, "123456789012345\n"), (Tag.PRIMARY_HOST, "host.example\n")],
)
def test_a_trailing_newline_is_not_a_valid_parameter(tag, value):
    assert validate_parameter(tag, value) is not None
