"""Property-based tests of the ISO 8583 host-link decoder (drivers/hostlink/cup.py), issue 14.

Whatever bytes a host (or a fake one) sends, the decoder and the field parsers either give a
message or raise :class:`HostProtocolError` (a ``TerminalError``: the callers report it) — never
another exception, never a hang on a socket. Valid messages survive encode -> decode unchanged.

Each test's ``max_examples`` is its budget; a counter checks that hypothesis really ran that many
(the count is recorded for docs/reliability.md). No example database is written to the tree.
"""

from __future__ import annotations

import socket
import threading

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drivers.hostlink import cup
from drivers.hostlink.cup import HostMessage, HostProtocolError

#: max_examples per test (docs/reliability.md quotes these)
EXAMPLES = {
    "decode-random-bytes": 2000,
    "decode-mutated-messages": 1500,
    "round-trip": 500,
    "field-parsers": 1000,
    "receive-from-a-socket": 300,
}
RUNS: dict[str, int] = dict.fromkeys(EXAMPLES, 0)


def budget(name: str):
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _outcome(body: bytes) -> HostMessage | None:
    try:
        return cup.decode(body)
    except HostProtocolError:
        return None


def _sample_messages() -> list[bytes]:
    sign_on = cup.HostMessage(
        "0800",
        {"11": "000123", "41": "12345678", "42": "123456789012345", "60": cup.field_60(7, cup.SIGN_ON_DOUBLE)},
    )
    reply = cup.HostMessage(
        "0810",
        {
            "11": "000123",
            "12": "093015",
            "13": "1125",
            "32": "48020000",
            "37": "000000000042",
            "39": "00",
            "41": "12345678",
            "42": "123456789012345",
            "60": cup.field_60(7, cup.SIGN_ON_DOUBLE),
            "62": "AB" * 40,
        },
    )
    settle = cup.HostMessage(
        "0510",
        {"11": "000124", "39": "00", "41": "12345678", "42": "123456789012345", "48": "0" * 62, "63": "001"},
    )
    return [cup.encode(m)[2:] for m in (sign_on, reply, settle)]


SAMPLES = _sample_messages()


@budget("decode-random-bytes")
@given(st.binary(max_size=600))
def test_decode_of_random_bytes_gives_a_message_or_a_host_protocol_error(body):
    RUNS["decode-random-bytes"] += 1
    msg = _outcome(body)
    if msg is not None:
        assert len(msg.mti) == 4 and msg.mti.isdigit()


@budget("decode-mutated-messages")
@given(
    st.sampled_from(range(len(SAMPLES))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(-40, 40),
)
def test_decode_of_damaged_real_messages(which, flips, cut):
    """Valid sign-on, sign-on reply and settlement messages with bytes changed and cut short or padded."""
    RUNS["decode-mutated-messages"] += 1
    body = bytearray(SAMPLES[which])
    for where, value in flips:
        body[where % len(body)] = value
    body = body[:cut] if cut < 0 else body + bytes(cut)
    msg = _outcome(bytes(body))
    if msg is not None:  # whatever decoded re-encodes without an unplanned error
        try:
            cup.encode(msg)
        except HostProtocolError:
            pass


_digits = st.text("0123456789", min_size=1, max_size=1)


def _n(size: int):
    return st.text("0123456789", min_size=size, max_size=size)


def _ans(size: int):
    return st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=size, max_size=size)


@budget("round-trip")
@given(
    mti=st.sampled_from(["0800", "0810", "0820", "0830", "0500", "0510"]),
    stan=_n(6),
    rc=_ans(2),
    tid=_ans(8),
    mid=_ans(15),
    f60=st.text("0123456789", min_size=2, max_size=17).filter(lambda s: len(s) % 2 == 0),
    f62=st.binary(max_size=200),
    f32=st.text("0123456789", min_size=1, max_size=11).filter(lambda s: len(s) % 2 == 0),
)
def test_valid_messages_survive_encode_and_decode(mti, stan, rc, tid, mid, f60, f62, f32):
    RUNS["round-trip"] += 1
    fields = {"11": stan, "39": rc, "41": tid, "42": mid, "60": f60, "32": f32}
    if f62:
        fields["62"] = f62.hex().upper()
    msg = HostMessage(mti, fields)
    wire = cup.encode(msg)
    assert int.from_bytes(wire[:2], "big") == len(wire) - 2
    back = cup.decode(wire[2:])
    assert back.mti == mti and back.tpdu == msg.tpdu and back.header == msg.header
    assert {k: v.upper() for k, v in back.fields.items()} == {k: v.upper() for k, v in fields.items()}


@budget("field-parsers")
@given(st.text(max_size=80) | st.text("0123456789", max_size=80) | st.none())
@example("00²²²²²²")  # found by this test: str.isdigit() says yes to superscripts, int() says no
@example("0" * 61 + "²")
def test_field_parsers_give_a_value_or_a_host_protocol_error(text):
    RUNS["field-parsers"] += 1
    for parse in (cup.parse_field_60, cup.SettlementTotals.parse, cup.bcd_time):
        try:
            parse(text)
        except HostProtocolError:
            pass
        except TypeError:
            assert text is None and parse is cup.bcd_time  # bcd_time is only called with a string


@pytest.fixture(scope="module")
def socket_pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


@budget("receive-from-a-socket")
@given(st.binary(max_size=300))
def test_receive_from_a_socket_never_hangs_or_fails_unplanned(data):
    """A peer sends ``data`` then closes: receive() gives a message or a HostProtocolError within its time-out."""
    RUNS["receive-from-a-socket"] += 1
    ours, theirs = socket.socketpair()
    try:
        sender = threading.Thread(target=lambda: (theirs.sendall(data), theirs.close()))
        sender.start()
        try:
            raw, msg = cup.receive(ours, timeout=0.5)
            assert int.from_bytes(raw[:2], "big") == len(raw) - 2 if raw[:2] else True
        except HostProtocolError:
            pass
        sender.join(2)
        assert not sender.is_alive()
    finally:
        ours.close()
        theirs.close()


def test_every_fuzz_test_ran_its_budget():
    """Runs last in this file: hypothesis ran each property at least its max_examples times (none skipped)."""
    ran = {k: v for k, v in RUNS.items() if v}
    if len(ran) < len(RUNS):
        pytest.skip("run with the whole file to count the examples")
    for name, wanted in EXAMPLES.items():
        assert RUNS[name] >= wanted, f"{name}: {RUNS[name]} of {wanted} examples"
