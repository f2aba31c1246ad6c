"""CUP-style ISO 8583 messages, encoded with pyiso8583.

Wire layout (reference §4.1)::

    LEN (2, big-endian) | TPDU (5) | HEADER (6, BCD) | MTI (2, BCD) | BITMAP (8) | fields

The TPDU and header travel as pyiso8583's ``h`` field (11 binary bytes), so one
spec encodes and decodes the whole message; nothing here hand-packs ISO 8583
fields. Field formats follow reference §4.2-4.4 and §4.7.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field, replace

import iso8583
from iso8583.specs import default as _iso_default

from ..errors import ProtocolError
from ..keycheck import check_value, tdes_ecb_decrypt, tdes_ecb_encrypt

#: Largest message accepted from the wire, in bytes after the length prefix.
MAX_MESSAGE_LEN = 4096


def _f(data_enc: str, len_type: int, max_len: int, desc: str, **extra) -> dict:
    return {"data_enc": data_enc, "len_enc": "ascii", "len_type": len_type, "max_len": max_len, "desc": desc, **extra}


def _bcd_var(len_type: int, max_len: int, desc: str) -> dict:
    """A numeric LLVAR/LLLVAR in BCD whose length counts digits (nibbles), right-padded with 0."""
    return _f("b", len_type, max_len, desc, len_enc="bcd", len_count="nibbles", right_pad="0")


SPEC: dict[str, dict] = {
    **{k: dict(v) for k, v in _iso_default.items()},
    "h": _f("b", 0, 11, "TPDU (5) + message header (6)"),
    "t": _f("b", 0, 2, "Message type indicator (BCD)"),
    "p": _f("b", 0, 8, "Primary bitmap"),
    "2": _bcd_var(1, 19, "Primary account number"),
    "3": _f("b", 0, 3, "Processing code (n6 BCD)"),
    "4": _f("b", 0, 6, "Amount, transaction (n12 BCD)"),
    "11": _f("b", 0, 3, "System trace audit number (n6 BCD)"),
    "12": _f("b", 0, 3, "Time, local transaction hhmmss (n6 BCD)"),
    "13": _f("b", 0, 2, "Date, local transaction MMDD (n4 BCD)"),
    "32": _bcd_var(1, 11, "Acquiring institution identification code (n..11 BCD)"),
    "37": _f("ascii", 0, 12, "Retrieval reference number"),
    "39": _f("ascii", 0, 2, "Response code"),
    "41": _f("ascii", 0, 8, "Card acceptor terminal identification (TID)"),
    "42": _f("ascii", 0, 15, "Card acceptor identification code (MID)"),
    "48": _f("ascii", 2, 322, "Additional data: settlement totals (0500/0510)", len_enc="bcd"),
    "49": _f("ascii", 0, 3, "Currency code, transaction (n3)"),
    "60": _bcd_var(2, 17, "Reserved private: 60.1 type, 60.2 batch, 60.3 network management code, ..."),
    "62": _f("b", 2, 512, "Reserved private: device data (request) / working keys (reply)", len_enc="bcd"),
    "63": _f("ascii", 2, 3, "Reserved private: operator code", len_enc="bcd"),
    "64": _f("b", 0, 8, "Message authentication code"),
}

#: Field 60.3 network management codes (reference §4.3).
SIGN_ON_SINGLE, SIGN_ON_DOUBLE, SIGN_ON_DOUBLE_TDK = "001", "003", "004"
ECHO_TEST = "301"
SETTLEMENT = "201"
#: Currency of the settlement totals (ISO 4217 numeric): renminbi.
CURRENCY_CNY = "156"
SIGN_ON_CODES = (SIGN_ON_SINGLE, SIGN_ON_DOUBLE, SIGN_ON_DOUBLE_TDK)
#: Field 62 of an approved sign-on reply: (key type, key length) per 60.3 (reference §4.4).
KEY_LAYOUT: dict[str, tuple[tuple[str, int], ...]] = {
    SIGN_ON_SINGLE: (("pik", 8), ("mak", 8)),
    SIGN_ON_DOUBLE: (("pik", 16), ("mak", 16)),
    SIGN_ON_DOUBLE_TDK: (("pik", 16), ("mak", 16), ("tdk", 16)),
}
CV_LEN = 4


class HostProtocolError(ProtocolError):
    """Bytes from the host (or to it) that do not make a valid CUP-style message."""


class HostTimeout(HostProtocolError):
    """The peer did not send (all of) a message in time."""


class HostClosed(HostProtocolError):
    """The peer closed the connection before a whole message arrived."""


@dataclass(frozen=True)
class Tpdu:
    """Transport protocol data unit: ID 60, destination (NII) and source addresses."""

    destination: str = "0003"
    source: str = "0000"
    id: str = "60"

    @classmethod
    def from_hex(cls, text: str) -> Tpdu:
        if not re.fullmatch(r"[0-9A-Fa-f]{10}", text):
            raise HostProtocolError(f"TPDU must be 10 hex digits, got {text!r}")
        return cls(destination=text[2:6].upper(), source=text[6:10].upper(), id=text[0:2].upper())

    def hex(self) -> str:
        return f"{self.id}{self.destination}{self.source}"

    def swapped(self) -> Tpdu:
        """The reply's TPDU: destination and source exchanged."""
        return replace(self, destination=self.source, source=self.destination)


@dataclass(frozen=True)
class Header:
    """The 6-byte (12 BCD digits) message header of reference §4.1."""

    app_category: str = "60"
    software_version: str = "31"
    terminal_status: int = 0  # 0 normal, 1 test
    processing_requirement: int = 0  # host -> terminal: 0 none, 3 sign on again, 6 TMS download, ...
    sub_version: str = "000000"

    @classmethod
    def from_hex(cls, text: str) -> Header:
        if not re.fullmatch(r"[0-9]{12}", text):
            raise HostProtocolError(f"message header must be 12 BCD digits, got {text!r}")
        return cls(text[0:2], text[2:4], int(text[4]), int(text[5]), text[6:12])

    def hex(self) -> str:
        return (
            f"{self.app_category}{self.software_version}{self.terminal_status}"
            f"{self.processing_requirement}{self.sub_version}"
        )


@dataclass
class HostMessage:
    """One ISO 8583 message with its TPDU and header. ``fields`` holds pyiso8583 values by field number."""

    mti: str
    fields: dict[str, str] = field(default_factory=dict)
    tpdu: Tpdu = field(default_factory=Tpdu)
    header: Header = field(default_factory=Header)

    def get(self, number: int | str, default: str | None = None) -> str | None:
        return self.fields.get(str(number), default)


def _mac_layout(message: HostMessage) -> bytes:
    doc = {"h": message.tpdu.hex() + message.header.hex(), "t": message.mti, **message.fields, "64": bytes(8).hex()}
    try:
        raw, _ = iso8583.encode(doc, SPEC)
    except iso8583.EncodeError as err:
        raise HostProtocolError(f"cannot encode {message.mti}: {err}") from err
    return bytes(raw)


def mac_block(message: HostMessage) -> bytes:
    """The MAB of reference §4.5: the message from the MTI to the end of the field before 64.

    Encoded with field 64 present (its bit set in the bitmap), without TPDU and header.
    """
    raw = _mac_layout(message)
    return raw[11:-8]


def cup_mac(mak: bytes, mab: bytes) -> bytes:
    """The CUP MAC of reference §4.5 (LiaoYang ``CalMAC``): 8 ASCII hex characters for field 64.

    XOR of the zero-padded 8-byte blocks, written as 16 hex characters; the first 8
    DES-encrypted with the MAK (its first 8 bytes: a single-DES MAK), XORed with the
    last 8, DES-encrypted again; the first 8 hex characters of that. Reference vector:
    MAK ``0123456789ABCDEF``, MAB ``02 00`` + ASCII "1234567890" -> "A4CECD2F".
    """
    key = mak[:8]
    padded = mab + bytes(-len(mab) % 8)
    block = bytes(8)
    for i in range(0, len(padded), 8):
        block = bytes(a ^ b for a, b in zip(block, padded[i : i + 8], strict=True))
    text = block.hex().upper().encode("ascii")
    first = tdes_ecb_encrypt(key, text[:8])
    second = tdes_ecb_encrypt(key, bytes(a ^ b for a, b in zip(first, text[8:], strict=True)))
    return second.hex().upper()[:8].encode("ascii")


def with_mac(message: HostMessage, mak: bytes) -> HostMessage:
    """``message`` with field 64 set to its CUP MAC under ``mak``."""
    mac = cup_mac(mak, mac_block(message))
    return replace(message, fields={**message.fields, "64": mac.hex().upper()})


def mac_matches(message: HostMessage, mak: bytes) -> bool:
    """Whether field 64 of a received message is its CUP MAC under ``mak`` (False when absent)."""
    given = message.get(64)
    if not given:
        return False
    unsigned = replace(message, fields={k: v for k, v in message.fields.items() if k != "64"})
    return bytes.fromhex(given) == cup_mac(mak, mac_block(unsigned))


def encode(message: HostMessage) -> bytes:
    """The bytes on the wire, length prefix included."""
    doc = {"h": message.tpdu.hex() + message.header.hex(), "t": message.mti, **message.fields}
    try:
        raw, _ = iso8583.encode(doc, SPEC)
    except iso8583.EncodeError as err:
        raise HostProtocolError(f"cannot encode {message.mti}: {err}") from err
    return len(raw).to_bytes(2, "big") + bytes(raw)


def decode(body: bytes) -> HostMessage:
    """Decode a message without its 2-byte length prefix."""
    try:
        doc, _ = iso8583.decode(bytes(body), SPEC)
    except iso8583.DecodeError as err:
        raise HostProtocolError(f"malformed ISO 8583 message: {err}") from err
    head = doc.pop("h")
    mti = doc.pop("t")
    doc.pop("p", None)
    doc.pop("1", None)
    if not re.fullmatch(r"[0-9]{4}", mti):
        raise HostProtocolError(f"MTI must be 4 BCD digits, got {mti!r}")
    return HostMessage(mti, doc, Tpdu.from_hex(head[:10]), Header.from_hex(head[10:]))


def send(sock: socket.socket, message: HostMessage) -> bytes:
    wire = encode(message)
    sock.sendall(wire)
    return wire


def _recv_exactly(sock: socket.socket, n: int, deadline: float, what: str) -> bytes:
    data = bytearray()
    while len(data) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HostTimeout(f"{what}: got {len(data)} of {n} bytes before the timeout")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(n - len(data))
        except TimeoutError:
            raise HostTimeout(f"{what}: got {len(data)} of {n} bytes before the timeout") from None
        except (ConnectionResetError, BrokenPipeError) as err:
            raise HostClosed(f"{what}: connection reset after {len(data)} of {n} bytes") from err
        if not chunk:
            raise HostClosed(f"{what}: connection closed after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def receive_frame(sock: socket.socket, timeout: float) -> bytes:
    """Read one length-prefixed message without decoding it; returns the wire bytes, prefix included.

    For a peer that must answer bytes it cannot decode (a host answers 30 when it can
    still read TPDU, header and MTI). Raises :class:`HostTimeout`, :class:`HostClosed`
    or :class:`HostProtocolError` (length prefix 0 or oversize).
    """
    deadline = time.monotonic() + timeout
    previous = sock.gettimeout()
    try:
        prefix = _recv_exactly(sock, 2, deadline, "waiting for the length prefix")
        length = int.from_bytes(prefix, "big")
        if not 0 < length <= MAX_MESSAGE_LEN:
            raise HostProtocolError(f"length prefix says {length} bytes (1..{MAX_MESSAGE_LEN} allowed)")
        return prefix + _recv_exactly(sock, length, deadline, f"reading a {length}-byte message")
    finally:
        # _recv_exactly shortens the socket's timeout as the deadline nears; do not leave a
        # nearly-spent timeout behind for the caller's next send()
        sock.settimeout(previous)


def receive(sock: socket.socket, timeout: float) -> tuple[bytes, HostMessage]:
    """Read one length-prefixed message; returns (wire bytes, message).

    Raises :class:`HostTimeout`, :class:`HostClosed` or :class:`HostProtocolError`
    (oversize, undecodable), each saying how far the message got.
    """
    wire = receive_frame(sock, timeout)
    return wire, decode(wire[2:])


# -- field helpers ----------------------------------------------------------------------
def field_60(batch: int, nmc: str, message_type: str = "00") -> str:
    """60.1 message type (n2), 60.2 batch (n6), 60.3 network management code (n3)."""
    return f"{message_type}{batch:06d}{nmc}"


@dataclass(frozen=True)
class Field60:
    message_type: str
    batch: int | None
    nmc: str | None


def parse_field_60(value: str | None) -> Field60:
    if not value or not (value.isascii() and value.isdigit()) or len(value) < 2:  # "²" is a digit to isdigit()
        raise HostProtocolError(f"field 60 must be digits (60.1 60.2 60.3 ...), got {value!r}")
    batch = int(value[2:8]) if len(value) >= 8 else None
    nmc = value[8:11] if len(value) >= 11 else None
    return Field60(value[0:2], batch, nmc)


def bcd_time(value: str) -> str:
    if not re.fullmatch(r"[0-9]{6}", value):
        raise HostProtocolError(f"field 12 must be hhmmss, got {value!r}")
    return value


#: Field 62 of a sign-on request carries device data (reference §4.2; LiaoYang sends the SN there).
#: Our terminals and simulated acquirer use ASCII "SN" followed by the serial number.
DEVICE_DATA_TAG = "SN"


def device_data(serial_number: str) -> str:
    """Field 62 of a sign-on request (pyiso8583 hex value): ASCII ``"SN" + serial number``."""
    if not serial_number or not serial_number.isascii() or not serial_number.isprintable():
        raise HostProtocolError(f"serial number must be printable ASCII, got {serial_number!r}")
    data = (DEVICE_DATA_TAG + serial_number).encode("ascii")
    if len(data) > SPEC["62"]["max_len"]:
        raise HostProtocolError(f"serial number too long for field 62 ({len(serial_number)} characters)")
    return data.hex().upper()


def parse_device_data(value: str | None) -> str | None:
    """The serial number in a sign-on request's field 62, or None when absent or not ``"SN" + ASCII``."""
    if not value:
        return None
    try:
        text = bytes.fromhex(value).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith(DEVICE_DATA_TAG) or not text.isprintable():
        return None
    return text[len(DEVICE_DATA_TAG) :] or None


@dataclass(frozen=True)
class WorkingKeyBlock:
    key_type: str  # "pik" | "mak" | "tdk"
    encrypted: bytes
    check_value: bytes


def pack_working_keys(nmc: str, tmk: bytes, clear_keys: dict[str, bytes]) -> bytes:
    """Field 62 of an approved sign-on: each key TDES-ECB under the TMK, then its 4-byte check value."""
    if nmc not in KEY_LAYOUT:
        raise HostProtocolError(f"60.3 = {nmc} is not a sign-on code (001/003/004)")
    out = bytearray()
    for key_type, length in KEY_LAYOUT[nmc]:
        key = clear_keys[key_type]
        if len(key) != length:
            raise HostProtocolError(f"{key_type} must be {length} bytes for 60.3 = {nmc}")
        out += tdes_ecb_encrypt(tmk, key) + check_value(key, CV_LEN)
    return bytes(out)


def unpack_working_keys(nmc: str, field62: bytes) -> list[WorkingKeyBlock]:
    if nmc not in KEY_LAYOUT:
        raise HostProtocolError(f"60.3 = {nmc} is not a sign-on code (001/003/004)")
    layout = KEY_LAYOUT[nmc]
    expected = sum(length + CV_LEN for _, length in layout)
    if len(field62) != expected:
        raise HostProtocolError(f"field 62 has {len(field62)} bytes; 60.3 = {nmc} needs {expected}")
    blocks, pos = [], 0
    for key_type, length in layout:
        blocks.append(
            WorkingKeyBlock(key_type, field62[pos : pos + length], field62[pos + length : pos + length + CV_LEN])
        )
        pos += length + CV_LEN
    return blocks


def verify_working_key(tmk: bytes, block: WorkingKeyBlock) -> bytes | None:
    """Decrypt under the TMK and check the CV, as the PED does; the clear key, or None on mismatch."""
    clear = tdes_ecb_decrypt(tmk, block.encrypted)
    return clear if check_value(clear, CV_LEN) == block.check_value else None


# -- message builders -----------------------------------------------------------------
def sign_on_request(
    *,
    tid: str,
    mid: str,
    stan: int,
    batch: int,
    nmc: str,
    tpdu: Tpdu,
    header: Header,
    operator: str = "01 ",
    serial_number: str | None = None,
) -> HostMessage:
    """0800 sign-on as the terminal builds it (reference §4.2, §4.7).

    ``serial_number`` adds field 62 device data (:func:`device_data`); without it the
    message is exactly the reference's worked example.
    """
    if nmc not in SIGN_ON_CODES:
        raise HostProtocolError(f"60.3 = {nmc} is not a sign-on code (001/003/004)")
    fields = {"11": f"{stan:06d}", "41": tid, "42": mid, "60": field_60(batch, nmc), "63": operator}
    if serial_number is not None:
        fields["62"] = device_data(serial_number)
    return HostMessage("0800", fields, tpdu, header)


@dataclass(frozen=True)
class SettlementTotals:
    """Field 48 of a 0500/0510 (reference §4.6): domestic and foreign card totals, amounts in fen.

    62 digits: per card group (domestic, then foreign) debit amount n12, debit count n3,
    credit amount n12, credit count n3, reconciliation code n1 (0 in a request; in the
    0510: 1 balanced, 2 unbalanced, 3 error; digit 31 domestic, digit 62 foreign).
    """

    debit_amount: int
    debit_count: int
    credit_amount: int = 0
    credit_count: int = 0
    foreign_debit_amount: int = 0
    foreign_debit_count: int = 0
    foreign_credit_amount: int = 0
    foreign_credit_count: int = 0
    result: int = 0  # domestic reconciliation code (0 in a request)
    foreign_result: int = 0

    def field_48(self) -> str:
        counts = (self.debit_count, self.credit_count, self.foreign_debit_count, self.foreign_credit_count)
        amounts = (self.debit_amount, self.credit_amount, self.foreign_debit_amount, self.foreign_credit_amount)
        if not all(0 <= n <= 999 for n in counts):
            raise HostProtocolError(f"a settlement count is n3 (0..999) in field 48, got {max(counts)}")
        if not all(0 <= n < 10**12 for n in amounts):
            raise HostProtocolError("a settlement amount is n12 (fen) in field 48")
        return (
            f"{self.debit_amount:012d}{self.debit_count:03d}{self.credit_amount:012d}{self.credit_count:03d}"
            f"{self.result:01d}"
            f"{self.foreign_debit_amount:012d}{self.foreign_debit_count:03d}"
            f"{self.foreign_credit_amount:012d}{self.foreign_credit_count:03d}{self.foreign_result:01d}"
        )

    @classmethod
    def parse(cls, value: str | None) -> SettlementTotals:
        if not value or len(value) != 62 or not (value.isascii() and value.isdigit()):
            raise HostProtocolError(f"field 48 must be 62 digits of settlement totals, got {value!r}")
        return cls(
            debit_amount=int(value[0:12]),
            debit_count=int(value[12:15]),
            credit_amount=int(value[15:27]),
            credit_count=int(value[27:30]),
            result=int(value[30]),
            foreign_debit_amount=int(value[31:43]),
            foreign_debit_count=int(value[43:46]),
            foreign_credit_amount=int(value[46:58]),
            foreign_credit_count=int(value[58:61]),
            foreign_result=int(value[61]),
        )

    def same_totals(self, other: SettlementTotals) -> bool:
        """The amounts and counts agree (the reconciliation codes are not compared)."""
        return replace(self, result=0, foreign_result=0) == replace(other, result=0, foreign_result=0)


#: 0510 field 48 reconciliation codes (reference §4.6).
BALANCED, UNBALANCED, RECONCILIATION_ERROR = 1, 2, 3


def settlement_request(
    *,
    tid: str,
    mid: str,
    stan: int,
    batch: int,
    totals: SettlementTotals,
    tpdu: Tpdu,
    header: Header,
    mak: bytes | None,
    operator: str = "01 ",
) -> HostMessage:
    """0500 settlement (60.3 = 201) with the batch totals in field 48, MACed with ``mak`` (field 64).

    Without a MAK (a DUKPT terminal) the message carries no field 64.
    """
    fields = {
        "11": f"{stan:06d}",
        "41": tid,
        "42": mid,
        "48": totals.field_48(),
        "49": CURRENCY_CNY,
        "60": field_60(batch, SETTLEMENT),
        "63": operator,
    }
    message = HostMessage("0500", fields, tpdu, header)
    return with_mac(message, mak) if mak is not None else message


def as_sent(value: str, length: int) -> str:
    """A fixed-length ``ans`` identity (field 41 TID: 8, field 42 MID: 15) as a terminal application sends it.

    Whatever the terminal holds goes out: a short value padded on the right with
    spaces, a long one cut to ``length`` (what the jPOS ``IF_CHAR`` packager does,
    which CUP terminal applications built on jPOS use for these fields; see
    docs/scenarios.md "Identities as the terminal holds them"). Leading zeros are
    kept (it is text). Blank stays blank: a terminal with no TID does not sign on.
    """
    if not value:
        return value
    return value[:length].ljust(length)


def echo_request(*, tid: str, mid: str, stan: int, batch: int, tpdu: Tpdu, header: Header) -> HostMessage:
    """0820 echo test (60.3 = 301)."""
    return HostMessage(
        "0820", {"11": f"{stan:06d}", "41": tid, "42": mid, "60": field_60(batch, ECHO_TEST)}, tpdu, header
    )
