"""TLV codec, typed values, the message codec, enum text forms, and docs/protocol.md kept in step with the code.

The golden messages in tests/data/frames.json are every frame of the worked
examples in docs/protocol.md, captured from the driver talking to the
simulated terminal, with their decoded meaning.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drivers import framing, tlv
from drivers.errors import ProtocolError
from drivers.framing import ETX, STX, encode_frame, lrc
from drivers.maint import auth, driver
from drivers.maint import protocol as proto
from drivers.maint.protocol import (
    HEADER_LEN,
    NO_LOGIN_COMMANDS,
    PROTOCOL_VERSION,
    RESPONSE_BIT,
    TAG_KINDS,
    Command,
    CommMode,
    Fields,
    KeyScheme,
    Kind,
    PaperState,
    Status,
    Tag,
    decode_fields,
    decode_message,
    encode_fields,
    encode_message,
    encode_value,
    enum_from_text,
    enum_text,
)

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
GOLDEN = json.loads((REPO / "tests" / "data" / "frames.json").read_text(encoding="utf-8"))

#: One tag of each kind, to exercise the typed codec.
TAG_OF_KIND = {
    Kind.STR: Tag.MERCHANT_NAME,
    Kind.UINT: Tag.STAN,
    Kind.INT: Tag.PRINTER_HEAD_TEMP,
    Kind.BOOL: Tag.TLS,
    Kind.BYTES: Tag.TPDU,
    Kind.TIME: Tag.CLOCK,
    Kind.LIST: Tag.TMK_SLOT,
}


def plain(value: Any) -> Any:
    """Fields (from LIST values) as plain lists, for comparisons."""
    if isinstance(value, Fields):
        return [(tag, plain(v)) for tag, v in value]
    return value


def header(command: int, seq: int = 1, status: int = 0, version: int = 1) -> bytes:
    return bytes([version, command, seq, status])


# -- generic TLV ----------------------------------------------------------------------


def test_tlv_layout_is_tag_then_big_endian_length():
    assert tlv.encode([(0x03, b"techapp")]) == bytes.fromhex("03 0007") + b"techapp"
    assert tlv.encode([(0x91, bytes(300))])[:3] == bytes.fromhex("91 012C")
    assert tlv.encode([(0x01, b"")]) == bytes.fromhex("01 0000")


def test_tlv_round_trip_keeps_order_and_repeats():
    items = [(0x91, b"one"), (0x05, b""), (0x91, b"two"), (0xFE, bytes(range(256)))]
    assert tlv.decode(tlv.encode(items)) == items


def test_tlv_empty_input_is_no_items():
    assert tlv.decode(b"") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01", "truncated TLV header"),
        (b"\x01\x00", "truncated TLV header"),
        (b"\x01\x00\x02\xaa", "declares 2 bytes, only 1 remain"),
        (bytes.fromhex("0300017A") + b"\x01", "truncated TLV header at offset 4"),
    ],
)
def test_tlv_truncation_is_an_error(data, message):
    with pytest.raises(tlv.TLVError, match=message):
        tlv.decode(data)


def test_tlv_encode_refuses_what_does_not_fit():
    with pytest.raises(tlv.TLVError):
        tlv.encode([(0x100, b"")])
    with pytest.raises(tlv.TLVError):
        tlv.encode([(-1, b"")])
    with pytest.raises(tlv.TLVError):
        tlv.encode([(0x01, bytes(tlv.MAX_VALUE_LEN + 1))])
    assert len(tlv.encode([(0x01, bytes(tlv.MAX_VALUE_LEN))])) == tlv.MAX_VALUE_LEN + 3


def test_tlv_error_is_a_protocol_error():
    assert issubclass(tlv.TLVError, ProtocolError)


# -- typed values ------------------------------------------------------------------------

ROUND_TRIPS = [
    (Kind.STR, ""),
    (Kind.STR, "示例便利店 Demo Corner Shop"),
    (Kind.UINT, 0),
    (Kind.UINT, 255),
    (Kind.UINT, 256),
    (Kind.UINT, 999999),
    (Kind.UINT, 2**64 - 1),
    (Kind.INT, 0),
    (Kind.INT, 34),
    (Kind.INT, -1),
    (Kind.INT, -128),
    (Kind.INT, -129),
    (Kind.INT, 127),
    (Kind.INT, 128),
    (Kind.INT, -(2**63) + 1),
    (Kind.INT, 2**63 - 1),
    (Kind.BOOL, True),
    (Kind.BOOL, False),
    (Kind.BYTES, b""),
    (Kind.BYTES, bytes.fromhex("6000030000")),
    (Kind.TIME, "20261125103000"),
    (Kind.LIST, []),
    (Kind.LIST, [(Tag.SLOT_INDEX, 0), (Tag.KEY_LENGTH, 16), (Tag.CHECK_VALUE, bytes.fromhex("08D7B4FB"))]),
]


@pytest.mark.parametrize(("kind", "value"), ROUND_TRIPS, ids=lambda x: repr(x)[:30])
def test_typed_value_round_trip(kind, value):
    tag = TAG_OF_KIND[kind]
    decoded = decode_fields(encode_fields([(tag, value)]))
    assert plain(decoded.get(tag)) == value
    assert [t for t, _ in decoded] == [tag]


def test_every_kind_is_covered():
    assert {kind for kind, _ in ROUND_TRIPS} == set(Kind)
    assert set(TAG_OF_KIND) == set(Kind)


@pytest.mark.parametrize(
    ("value", "wire"),
    [(0, "00"), (1, "01"), (255, "FF"), (256, "0100"), (20000, "4E20"), (2048, "0800"), (2**32, "0100000000")],
)
def test_uint_uses_the_fewest_bytes(value, wire):
    assert encode_value(Tag.STAN, value) == bytes.fromhex(wire)


@pytest.mark.parametrize(("value", "wire"), [(34, "22"), (-5, "FB"), (-200, "FF38"), (127, "7F"), (128, "0080")])
def test_int_is_twos_complement(value, wire):
    assert encode_value(Tag.PRINTER_HEAD_TEMP, value) == bytes.fromhex(wire)


def test_uint_decoder_accepts_leading_zeros():
    assert decode_fields(bytes.fromhex("33 0004 00000001")).get(Tag.STAN) == 1


def test_uint_refuses_negative_values():
    with pytest.raises(ValueError):
        encode_value(Tag.STAN, -1)


def test_time_accepts_datetimes_and_digit_strings():
    assert encode_value(Tag.CLOCK, datetime(2026, 11, 25, 10, 30, 0)) == b"20261125103000"
    assert encode_value(Tag.CLOCK, "20261125103000") == b"20261125103000"
    with pytest.raises(ValueError):
        encode_value(Tag.CLOCK, "2026-11-25 10:30")


def test_bool_encodes_truthiness_as_00_or_01():
    assert encode_value(Tag.TLS, True) == b"\x01"
    assert encode_value(Tag.TLS, 0) == b"\x00"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (bytes.fromhex("28 0001 02"), "boolean but holds 02"),
        (bytes.fromhex("28 0002 0001"), "boolean but holds 0001"),
        (bytes.fromhex("28 0000"), "boolean but holds"),
        (bytes.fromhex("22 0002 C328"), "not valid UTF-8"),
        (bytes.fromhex("22 0001 FF"), "not valid UTF-8"),
        (bytes.fromhex("61 000E") + b"2026112510300X", "14 ASCII digits"),
        (bytes.fromhex("61 000D") + b"2026112510300", "14 ASCII digits"),
        (bytes.fromhex("61 000E") + "２０２６１１２５１０３０".encode()[:14], "14 ASCII digits"),
        (bytes.fromhex("33 0000"), "integer of 0 bytes"),
        (bytes.fromhex("33 0009 010000000000000000"), "integer of 9 bytes"),
        (bytes.fromhex("53 0000"), "integer of 0 bytes"),
        (bytes.fromhex("41 0002 4200"), "truncated TLV header"),
        (bytes.fromhex("41 0004 42000501"), "declares 5 bytes, only 1 remain"),
    ],
)
def test_values_that_do_not_match_their_kind_are_rejected(field, message):
    with pytest.raises(tlv.TLVError, match=message):
        decode_fields(field)


def test_unknown_tags_are_skipped_at_every_level():
    data = tlv.encode(
        [
            (0xFE, b"from a newer terminal"),
            (Tag.TID, b"12345678"),
            (Tag.TMK_SLOT, tlv.encode([(0xFD, b"\xff"), (Tag.SLOT_INDEX, b"\x07")])),
            (0x32, b"unassigned"),
        ]
    )
    fields = decode_fields(data)
    assert plain(fields) == [(Tag.TID, "12345678"), (Tag.TMK_SLOT, [(Tag.SLOT_INDEX, 7)])]


def test_unknown_tags_are_not_type_checked():
    assert plain(decode_fields(tlv.encode([(0xC8, b"\xff\xfe"), (Tag.TLS, b"\x01")]))) == [(Tag.TLS, True)]


def test_fields_accessors():
    fields = decode_fields(
        encode_fields([(Tag.TEXT_LINE, "one"), (Tag.TXN_ID, 7), (Tag.TEXT_LINE, "two"), (Tag.TXN_ID, 8)])
    )
    assert Tag.TXN_ID in fields and Tag.TID not in fields
    assert fields.get(Tag.TXN_ID) == 7  # the first occurrence
    assert fields.get(Tag.TID, "none") == "none"
    assert fields.all(Tag.TEXT_LINE) == ["one", "two"]
    assert fields.require(Tag.TXN_ID) == 7
    with pytest.raises(ProtocolError, match="lacks field TID"):
        fields.require(Tag.TID, "PARAM_STAGE")
    assert "TEXT_LINE" in repr(fields)


def test_every_tag_has_a_kind():
    assert set(TAG_KINDS) == set(Tag)


# -- messages ----------------------------------------------------------------------------


def test_message_header_layout():
    raw = encode_message(Command.HELLO, 1, [(Tag.SUPPORTED_VERSIONS, b"\x01"), (Tag.CLIENT_NAME, "techapp")])
    assert raw == bytes.fromhex("01 01 01 00 02 0001 01 03 0007") + b"techapp"
    assert encode_frame(raw) == bytes.fromhex("02 0018") + raw + bytes.fromhex("03 67")
    msg = decode_message(raw)
    assert (msg.version, msg.command, msg.seq, msg.status) == (1, Command.HELLO, 1, Status.OK)
    assert not msg.is_response
    assert msg.describe() == "HELLO seq=1 status=OK"


def test_response_has_the_response_bit_and_status():
    raw = encode_message(Command.LOGIN | RESPONSE_BIT, 5, [(Tag.ATTEMPTS_LEFT, 4)], status=Status.AUTH_FAILED)
    assert raw[:4] == bytes([PROTOCOL_VERSION, 0x83, 5, 0x21])
    msg = decode_message(raw)
    assert msg.is_response
    assert msg.describe() == "LOGIN response seq=5 status=AUTH_FAILED"
    assert msg.fields.get(Tag.ATTEMPTS_LEFT) == 4


def test_seq_is_one_byte_and_version_can_be_set():
    assert encode_message(Command.GET_IDENTITY, 256)[2] == 0
    assert encode_message(Command.GET_IDENTITY, 255)[2] == 255
    assert encode_message(Command.GET_IDENTITY, 1, version=2)[0] == 2


def test_describe_unknown_command_and_status():
    assert decode_message(bytes([1, 0xD0, 3, 0x99])).describe() == "0x50 response seq=3 status=0x99"


@pytest.mark.parametrize("length", range(HEADER_LEN))
def test_message_shorter_than_the_header_is_rejected(length):
    with pytest.raises(ProtocolError, match="shorter than the 4-byte header"):
        decode_message(bytes([1, 1, 1, 0])[:length])


def test_header_only_message_has_no_fields():
    assert list(decode_message(header(Command.GET_COUNTERS)).fields) == []


def test_malformed_fields_make_the_message_malformed():
    with pytest.raises(ProtocolError):
        decode_message(header(Command.GET_LOG) + bytes.fromhex("74 0005 01"))


def test_no_login_commands():
    assert {
        Command.HELLO,
        Command.LOGIN_CHALLENGE,
        Command.LOGIN,
        Command.LOGOUT,
        Command.GET_IDENTITY,
    } == NO_LOGIN_COMMANDS


# -- enum text forms -----------------------------------------------------------------------


def test_enum_text():
    assert enum_text(PaperState, 2) == "out"
    assert enum_text(KeyScheme, KeyScheme.MS_DOUBLE_TDK) == "ms-double-tdk"
    assert enum_text(proto.TestResult, 2) == "no-input"
    assert enum_text(CommMode, 9) == "unknown-9"


def test_enum_from_text():
    assert enum_from_text(CommMode, "cellular") is CommMode.CELLULAR
    assert enum_from_text(KeyScheme, " MS-Double ") is KeyScheme.MS_DOUBLE
    assert enum_from_text(proto.TestResult, "no_input") is proto.TestResult.NO_INPUT
    with pytest.raises(ValueError, match="one of: ethernet, wifi, cellular, dialup"):
        enum_from_text(CommMode, "carrier-pigeon")


@pytest.mark.parametrize("enum_cls", [PaperState, KeyScheme, CommMode, proto.TestResult])
def test_enum_text_round_trip(enum_cls):
    for member in enum_cls:
        assert enum_from_text(enum_cls, enum_text(enum_cls, member)) is member


# -- golden messages (tests/data/frames.json) ------------------------------------------------


def from_json(tag: Tag, value: Any) -> Any:
    kind = TAG_KINDS[tag]
    if kind is Kind.BYTES:
        return bytes.fromhex(value)
    if kind is Kind.LIST:
        return [(Tag[name], from_json(Tag[name], v)) for name, v in value]
    return value


def meaning_items(meaning: dict) -> list[tuple[Tag, Any]]:
    return [(Tag[name], from_json(Tag[name], value)) for name, value in meaning["fields"]]


def command_code(meaning: dict) -> int:
    name = meaning["command"]
    code = Command[name] if isinstance(name, str) else name
    return code | (RESPONSE_BIT if meaning["response"] else 0)


DECODABLE = [v for v in GOLDEN["messages"] if "message" in v]


@pytest.mark.parametrize("vector", DECODABLE, ids=lambda v: f"{v['example']}-{v['data_hex'][:8]}")
def test_golden_message_decodes_to_its_meaning(vector):
    meaning = vector["message"]
    msg = decode_message(bytes.fromhex(vector["data_hex"]))
    assert msg.version == meaning["version"]
    assert msg.command == command_code(meaning)
    assert msg.seq == meaning["seq"]
    assert msg.status == Status[meaning["status"]]
    assert plain(msg.fields) == meaning_items(meaning)


@pytest.mark.parametrize("vector", DECODABLE, ids=lambda v: f"{v['example']}-{v['data_hex'][:8]}")
def test_golden_message_encodes_from_its_meaning(vector):
    meaning = vector["message"]
    raw = encode_message(
        command_code(meaning),
        meaning["seq"],
        meaning_items(meaning),
        status=Status[meaning["status"]],
        version=meaning["version"],
    )
    assert raw == bytes.fromhex(vector["data_hex"])
    assert encode_frame(raw) == bytes.fromhex(vector["frame_hex"])


def test_golden_vectors_cover_every_command_both_ways():
    requests = {v["message"]["command"] for v in DECODABLE if not v["message"]["response"]}
    responses = {v["message"]["command"] for v in DECODABLE if v["message"]["response"]}
    assert {c.name for c in Command} <= requests
    assert {c.name for c in Command} <= responses
    statuses = {v["message"]["status"] for v in DECODABLE}
    assert {s.name for s in Status} - statuses == {"CANCELLED", "INTERNAL_ERROR"}  # reserved: never sent
    assert any("decode_error" in v for v in GOLDEN["messages"])  # the MALFORMED example's request


def test_undecodable_golden_request_is_the_malformed_example():
    for vector in GOLDEN["messages"]:
        if "decode_error" in vector:
            with pytest.raises(ProtocolError):
                decode_message(bytes.fromhex(vector["data_hex"]))


# -- docs/protocol.md stays in step with the code --------------------------------------------


def table_row(code: int, name: str) -> re.Pattern[str]:
    return re.compile(rf"^\| `{code:02X}` \| {name} \|", re.MULTILINE)


@pytest.mark.parametrize("command", list(Command), ids=lambda c: c.name)
def test_doc_lists_every_command_with_its_code(command):
    assert table_row(command.value, command.name).search(DOC), f"{command.name} {command.value:02X}"
    assert f"({command.value:02X})" in DOC  # its own section heading


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.name)
def test_doc_lists_every_status_with_its_code(status):
    assert table_row(status.value, status.name).search(DOC), f"{status.name} {status.value:02X}"


@pytest.mark.parametrize("tag", list(Tag), ids=lambda t: t.name)
def test_doc_lists_every_tag_with_its_code_and_kind(tag):
    row = re.compile(rf"^\| `{tag.value:02X}` \| {tag.name} \| {TAG_KINDS[tag].name} \|", re.MULTILINE)
    assert row.search(DOC), f"{tag.name} {tag.value:02X} {TAG_KINDS[tag].name}"


def doc_frames() -> list[bytes]:
    """Every ```frame block of the doc as bytes: per line, the hex before the first double space."""
    frames = []
    for block in re.findall(r"^```frame\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL):
        out = bytearray()
        for line in block.splitlines():
            hex_part = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            if not hex_part:
                continue
            tokens = hex_part.split(" ")
            assert all(re.fullmatch(r"[0-9A-F]{2}", t) for t in tokens), f"not hex: {line!r}"
            out += bytes(int(t, 16) for t in tokens)
        frames.append(bytes(out))
    return frames


DOC_FRAMES = doc_frames()


def test_doc_has_frame_blocks():
    assert len(DOC_FRAMES) > 60


@pytest.mark.parametrize("wire", DOC_FRAMES, ids=lambda w: w[:8].hex())
def test_every_frame_in_the_doc_is_a_correct_frame(wire):
    assert wire[0] == STX
    n = int(wire[1:3].hex())  # BCD
    assert len(wire) == n + 5, "LEN does not match the bytes shown"
    assert wire[3 + n] == ETX
    assert wire[-1] == lrc(wire[1:-1]), f"LRC should be {lrc(wire[1:-1]):02X}"
    assert framing.Deframer().feed(wire) == [framing.Frame(wire[3:-2])]


def test_doc_frames_and_golden_vectors_are_the_same_set():
    golden = {bytes.fromhex(v["frame_hex"]) for v in GOLDEN["messages"]}
    golden |= {bytes.fromhex(v["frame_hex"]) for v in GOLDEN["framing"] if v["in_doc"]}
    assert set(DOC_FRAMES) == golden


def test_doc_reference_vector_and_lrc_example():
    assert "02 00 05 48 45 4C 4C 4F 03 44" in DOC


def test_doc_login_example_matches_the_code():
    key = auth.derive_key("demo-2026", "82412345", 20000)
    nt, nc = bytes(range(16)), bytes(range(16, 32))

    def spaced(data: bytes) -> str:
        return data.hex(" ").upper()

    assert spaced(key) in DOC
    assert spaced(auth.client_proof(key, nt, nc)) in DOC
    assert spaced(auth.terminal_proof(key, nt, nc)) in DOC
    assert spaced(auth.SALT_PREFIX + b"82412345") in DOC
    wrong = auth.derive_key("demo-2025", "82412345", 20000)
    assert spaced(auth.client_proof(wrong, nt, nc)) in DOC


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("MAX_DATA_LEN", f"{framing.MAX_DATA_LEN} bytes"),
        ("ACK_TIMEOUT", f"{framing.ACK_TIMEOUT:.1f} s"),
        ("MAX_TRIES", f"{framing.MAX_TRIES} transmissions"),
        ("INTER_BYTE_TIMEOUT", f"{framing.INTER_BYTE_TIMEOUT:.1f} s"),
        ("RESPONSE_TIMEOUT", f"{driver.RESPONSE_TIMEOUT:.1f} s"),
        ("REQUEST_TRIES", f"{driver.REQUEST_TRIES} transmissions"),
        ("SELF_TEST_GRACE", f"{driver.SELF_TEST_GRACE:.1f} s"),
        ("PROTOCOL_VERSION", f"{PROTOCOL_VERSION}"),
        ("NONCE_LEN", f"{auth.NONCE_LEN} bytes"),
        ("DEFAULT_KDF_ITERATIONS", f"{auth.DEFAULT_KDF_ITERATIONS}"),
    ],
)
def test_doc_constants_match_the_code(name, shown):
    assert re.search(rf"^\| {name} \| {re.escape(shown)}\b", DOC, re.MULTILINE), f"{name} should read {shown}"


# -- defects found while writing these tests, fixed since; kept as regression tests --


def test_deeply_nested_lists_are_a_protocol_error_not_a_crash():
    body = b""
    while len(body) + 3 + HEADER_LEN <= framing.MAX_DATA_LEN:  # fits in one frame: about 680 levels
        body = bytes([Tag.WORKING_KEY]) + len(body).to_bytes(2, "big") + body
    with pytest.raises(ProtocolError):
        decode_message(header(Command.GET_IDENTITY) + body)


def test_encoder_refuses_integers_the_decoder_would_refuse():
    with pytest.raises(ValueError):
        encode_value(Tag.STAN, 2**64)


def test_the_smallest_int64_round_trips():
    assert decode_fields(encode_fields([(Tag.PRINTER_HEAD_TEMP, -(2**63))])).get(Tag.PRINTER_HEAD_TEMP) == -(2**63)
