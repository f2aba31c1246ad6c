"""ZVT codec as data: APDU length, CRC-16/KERMIT, BCD, LL/LLL variables, BMPs and TLV (docs/zvt.md).

Decoding never fails on what it does not know: an unknown TLV tag is kept as raw bytes; an
unknown BMP (whose length cannot be known) ends the BMP walk and the rest is kept raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15


# -- checksums and numbers ------------------------------------------------------------------
def crc_kermit(data: bytes) -> int:
    """CRC-16/KERMIT (reflected poly 0x8408, init 0, no final XOR); ``b"123456789"`` -> 0x2189."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def frame_crc(apdu: bytes) -> bytes:
    """The two CRC bytes a serial frame carries for ``apdu`` (over the APDU and ETX), low byte first."""
    crc = crc_kermit(bytes(apdu) + bytes([ETX]))
    return bytes([crc & 0xFF, crc >> 8])


def bcd(digits: str) -> bytes:
    """Packed BCD of a digit string (left-padded with 0 to an even length)."""
    if len(digits) % 2:
        digits = "0" + digits
    return bytes.fromhex(digits)


def unbcd(raw: bytes) -> str:
    return raw.hex().upper()


def password_bytes(password: str) -> bytes:
    """A ZVT password: 6 digits as 3 bytes BCD."""
    digits = (password or "").strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) != 6:
        raise ValueError("a ZVT password is 6 digits")
    return bcd(digits)


# -- APDU -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Apdu:
    cls: int  # CCRC
    instr: int  # APRC
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return (self.cls, self.instr)

    def encode(self) -> bytes:
        n = len(self.data)
        length = bytes([n]) if n < 0xFF else b"\xff" + n.to_bytes(2, "little")
        return bytes([self.cls, self.instr]) + length + self.data

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.instr:02X} [{len(self.data)}] {self.data.hex(' ').upper()}"


def apdu_length(head: bytes) -> tuple[int, int] | None:
    """(data length, header length) from the first 3 (or 5) bytes, or None when more are needed."""
    if len(head) < 3:
        return None
    if head[2] != 0xFF:
        return head[2], 3
    if len(head) < 5:
        return None
    return int.from_bytes(head[3:5], "little"), 5


def decode_apdu(raw: bytes) -> Apdu:
    known = apdu_length(raw)
    if known is None:
        raise ValueError("APDU shorter than its header")
    n, head = known
    if len(raw) < head + n:
        raise ValueError(f"APDU says {n} data bytes, has {len(raw) - head}")
    return Apdu(raw[0], raw[1], bytes(raw[head : head + n]))


# -- variable-length values -----------------------------------------------------------------
def _llvar_length(raw: bytes, at: int, digits: int) -> tuple[int, int]:
    nibbles = raw[at : at + digits]
    if len(nibbles) < digits or any(b >> 4 != 0xF or (b & 0xF) > 9 for b in nibbles):
        raise ValueError("bad LLVAR/LLLVAR length")
    return int("".join(str(b & 0xF) for b in nibbles)), at + digits


def llvar(value: bytes, digits: int = 2) -> bytes:
    text = f"{len(value):0{digits}d}"
    return bytes(0xF0 | int(ch) for ch in text) + value


# -- BMPs: number -> (name, format); formats: ("bin"|"bcd"|"ascii", n) fixed, ("ll"|"lll", kind), ("tlv",) ---
BMPS: dict[int, tuple[str, tuple]] = {
    0x01: ("timeout", ("bin", 1)),
    0x02: ("max-status-infos", ("bin", 1)),
    0x03: ("service-byte", ("bin", 1)),
    0x04: ("amount", ("bcd", 6)),
    0x05: ("pump-number", ("bin", 1)),
    0x06: ("tlv", ("tlv",)),
    0x0B: ("trace-number", ("bcd", 3)),
    0x0C: ("time", ("bcd", 3)),
    0x0D: ("date", ("bcd", 2)),
    0x0E: ("expiry-date", ("bcd", 2)),
    0x17: ("card-sequence-number", ("bcd", 2)),
    0x19: ("status-byte", ("bin", 1)),
    0x22: ("pan", ("ll", "bcd")),
    0x23: ("track-2", ("ll", "bin")),
    0x24: ("track-3", ("lll", "bin")),
    0x27: ("result-code", ("bin", 1)),
    0x29: ("terminal-id", ("bcd", 4)),
    0x2A: ("vu-number", ("ascii", 15)),
    0x2D: ("track-1", ("ll", "bin")),
    0x37: ("original-trace", ("bcd", 3)),
    0x3A: ("cvv", ("bcd", 2)),
    0x3B: ("aid", ("bin", 8)),
    0x3C: ("additional-text", ("lll", "ascii")),
    0x3D: ("password", ("bcd", 3)),
    0x49: ("currency-code", ("bcd", 2)),
    0x60: ("totals", ("lll", "bin")),
    0x87: ("receipt-number", ("bcd", 2)),
    0x88: ("turnover-number", ("bcd", 3)),
    0x8A: ("card-type", ("bin", 1)),
    0x8B: ("card-name", ("ll", "ascii")),
    0x8C: ("card-type-id", ("bin", 1)),
    0x9A: ("geldkarte-data", ("lll", "bin")),
    0xA0: ("result-code-as", ("bin", 1)),
    0xA7: ("chip-data", ("ll", "bin")),
    0xAF: ("ef-id", ("lll", "bin")),
    0xBA: ("aid-parameter", ("bin", 5)),
    0xD0: ("algorithm-key", ("bin", 1)),
    0xD1: ("offset", ("ll", "bin")),
    0xD2: ("dukpt", ("bin", 1)),
    0xD3: ("key-generation", ("bin", 1)),
    0xE0: ("min-length", ("bin", 1)),
    0xF0: ("display-duration", ("bin", 1)),
    **{0xE0 + i: (f"text-line-{i}", ("ll", "ascii")) for i in range(1, 10)},
    **{0xF0 + i: (f"display-line-{i}", ("ll", "ascii")) for i in range(1, 10)},
}
BMP_BY_NAME = {name: number for number, (name, _) in BMPS.items()}


def _value(kind: str, raw: bytes) -> Any:
    if kind == "bcd":
        return unbcd(raw)
    if kind == "ascii":
        return raw.decode("latin-1")
    return raw[0] if len(raw) == 1 else bytes(raw)


@dataclass
class Bmps:
    """Decoded BMPs by name; ``rest`` holds what followed an unknown BMP, undecoded."""

    values: dict[str, Any] = field(default_factory=dict)
    tlv: list[Tlv] = field(default_factory=list)
    rest: bytes = b""

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def decode_bmps(raw: bytes) -> Bmps:
    out = Bmps()
    at = 0
    while at < len(raw):
        number = raw[at]
        spec = BMPS.get(number)
        if spec is None:
            out.rest = bytes(raw[at:])
            return out
        name, fmt = spec
        try:
            if fmt[0] == "tlv":
                n, start = ber_length(raw, at + 1)
                out.tlv += decode_tlv(raw[start : start + n])
                at = start + n
                continue
            if fmt[0] in ("ll", "lll"):
                n, start = _llvar_length(raw, at + 1, 2 if fmt[0] == "ll" else 3)
                kind = fmt[1]
            else:
                kind, n = fmt
                start = at + 1
            if start + n > len(raw):
                raise ValueError("BMP runs past the end")
            out.values[name] = _value(kind, raw[start : start + n])
            at = start + n
        except ValueError:
            out.rest = bytes(raw[at:])
            return out
    return out


def encode_bmp(name: str, value: Any) -> bytes:
    number = BMP_BY_NAME[name]
    fmt = BMPS[number][1]
    if fmt[0] == "tlv":
        body = b"".join(t.encode() for t in value)
        return bytes([number]) + ber_length_bytes(len(body)) + body
    if fmt[0] in ("ll", "lll"):
        raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        return bytes([number]) + llvar(raw, 2 if fmt[0] == "ll" else 3)
    kind, n = fmt
    if kind == "bcd":
        raw = bcd(str(value).rjust(2 * n, "0"))
    elif kind == "ascii":
        raw = str(value).encode("latin-1").ljust(n)[:n]
    else:
        raw = bytes([value]) if isinstance(value, int) else bytes(value)
    return bytes([number]) + raw


# -- TLV (BMP 06): tag -> (name, kind); kind "ascii" | "bcd" | "bin" | "hex" | "constructed" ---------
TAGS: dict[int, tuple[str, str]] = {
    0x06: ("tlv-container", "constructed"),
    0x07: ("text-line", "ascii"),
    0x08: ("receipt-type", "bin"),
    0x09: ("text-block", "ascii"),
    0x0F: ("date-time", "bcd"),
    0x12: ("number-of-lines", "bin"),
    0x14: ("character-set", "bin"),
    0x1B: ("diagnosis-type", "bin"),
    0x1D: ("file-id", "bin"),
    0x1E: ("start-position", "bin"),
    0x1F00: ("file-size", "bin"),
    0x1F0E: ("date", "bcd"),
    0x1F0F: ("time", "bcd"),
    0x1F10: ("cardholder-auth", "bin"),
    0x1F16: ("extended-error-code", "bin"),
    0x1F17: ("extended-error-text", "ascii"),
    0x1F40: ("device-name", "ascii"),
    0x1F41: ("software-version", "ascii"),
    0x1F42: ("serial-number", "hex"),
    0x1F43: ("device-state", "bin"),
    0x1F44: ("terminal-id", "bcd"),
    0x1F55: ("locks", "hex"),
    0x25: ("print-texts", "constructed"),
    0x26: ("permitted-commands", "constructed"),
    0x2D: ("file", "constructed"),
    0x34: ("date-time", "constructed"),
    0xE4: ("device-info", "constructed"),
}
TAG_BY_NAME: dict[str, int] = {}
for _tag, (_name, _) in TAGS.items():
    TAG_BY_NAME.setdefault(_name, _tag)


@dataclass
class Tlv:
    tag: int
    value: Any  # decoded per TAGS; raw bytes for an unknown tag; a list of Tlv when constructed
    raw: bytes = b""

    @property
    def name(self) -> str:
        return TAGS.get(self.tag, (f"tag-{self.tag:X}", "bin"))[0]

    def encode(self) -> bytes:
        tag = self.tag.to_bytes((self.tag.bit_length() + 7) // 8 or 1, "big")
        if isinstance(self.value, list):
            body = b"".join(t.encode() for t in self.value)
        elif isinstance(self.value, bytes):
            body = self.value
        else:
            kind = TAGS.get(self.tag, ("", "bin"))[1]
            if kind == "ascii":
                body = str(self.value).encode("latin-1")
            elif kind == "bcd":
                body = bcd(str(self.value))
            elif kind == "hex":
                body = bytes.fromhex(str(self.value))
            else:
                body = bytes([self.value]) if isinstance(self.value, int) else bytes(self.value)
        return tag + ber_length_bytes(len(body)) + body


def ber_length(raw: bytes, at: int) -> tuple[int, int]:
    """(length, index after it) of a BER length at ``raw[at]``."""
    if at >= len(raw):
        raise ValueError("TLV length missing")
    first = raw[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 2 or at + 1 + count > len(raw):
        raise ValueError("bad TLV length")
    return int.from_bytes(raw[at + 1 : at + 1 + count], "big"), at + 1 + count


def ber_length_bytes(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82]) + n.to_bytes(2, "big")


def decode_tlv(raw: bytes) -> list[Tlv]:
    """TLV objects in ``raw``; unknown tags keep their raw bytes, a broken tail is kept raw (tag -1)."""
    out: list[Tlv] = []
    at = 0
    while at < len(raw):
        start = at
        try:
            tag = raw[at]
            at += 1
            if tag & 0x1F == 0x1F:  # multi-byte tag: more bytes while bit 8 is set
                while True:
                    if at >= len(raw):
                        raise ValueError("tag runs past the end")
                    tag = (tag << 8) | raw[at]
                    at += 1
                    if not raw[at - 1] & 0x80:
                        break
            n, at = ber_length(raw, at)
            if at + n > len(raw):
                raise ValueError("value runs past the end")
            body = bytes(raw[at : at + n])
            at += n
        except ValueError:
            out.append(Tlv(-1, bytes(raw[start:]), bytes(raw[start:])))
            return out
        first = tag >> (8 * ((tag.bit_length() - 1) // 8))
        kind = TAGS.get(tag, ("", "raw"))[1]
        if first & 0x20 or kind == "constructed":
            out.append(Tlv(tag, decode_tlv(body), body))
        elif kind == "ascii":
            out.append(Tlv(tag, body.decode("latin-1"), body))
        elif kind == "bcd":
            out.append(Tlv(tag, unbcd(body), body))
        elif kind == "hex":
            out.append(Tlv(tag, body.hex(), body))
        elif kind == "bin" and len(body) == 1:
            out.append(Tlv(tag, body[0], body))
        else:
            out.append(Tlv(tag, body, body))
    return out


def find_tag(items: list[Tlv], tag: int) -> Tlv | None:
    """The first ``tag`` anywhere in ``items`` (depth first)."""
    for t in items:
        if t.tag == tag:
            return t
        if isinstance(t.value, list):
            found = find_tag(t.value, tag)
            if found is not None:
                return found
    return None


# -- Status-Enquiry completion --------------------------------------------------------------
@dataclass
class StatusEnquiry:
    software_version: str
    terminal_status: int
    bmps: Bmps

    def tag(self, tag: int, default: Any = None) -> Any:
        found = find_tag(self.bmps.tlv, tag)
        return default if found is None else found.value


def decode_status_completion(data: bytes) -> StatusEnquiry:
    """The data of the ``06 0F`` answering ``05 01``: [LLLVAR version] status byte [BMPs]."""
    version = ""
    at = 0
    if data and data[0] >> 4 == 0xF:
        n, at = _llvar_length(data, 0, 3)
        version = data[at : at + n].decode("latin-1")
        at += n
    if at >= len(data):
        raise ValueError("no terminal status byte")
    return StatusEnquiry(version, data[at], decode_bmps(data[at + 1 :]))


# -- what the codes mean (PA00P015 tables; docs/zvt.md) --------------------------------------
TERMINAL_STATUS: dict[int, str] = {
    0x00: "ready",
    0x51: "initialisation required",
    0x62: "date/time wrong",
    0x9C: "please wait",
    0xB1: "memory full",
    0xB2: "merchant journal full",
    0xBF: "voltage too low",
    0xC0: "card lock defective",
    0xC1: "merchant card locked",
    0xC2: "diagnosis required",
    0xC4: "card profile invalid",
    0xCC: "printer not ready",
    0xDC: "card inserted",
    0xDF: "out of order",
    0xE0: "remote maintenance",
    0xE1: "card not removed",
    0xE2: "card reader defective",
    0xE3: "shutter closed",
    0xF6: "OPT data missing",
}
RESULT_CODES: dict[int, str] = {
    0x00: "no error",
    0x64: "card not readable",
    0x6B: "terminal not registered",
    0x6C: "time-out or abort",
    0x7D: "communication module silent or absent",
    0x83: "function not possible",
    0x85: "key missing",
    0x89: "PIN pad defective",
    0x9A: "ZVT protocol error",
    0x9B: "dial-up fault",
    0xA0: "receiver not ready",
    0xA1: "remote station does not respond",
    0xA3: "no connection",
    0xB1: "memory full",
    0xB2: "merchant journal full",
    0xBF: "voltage too low",
    0xC2: "diagnosis required",
    0xC4: "card profile invalid",
    0xCC: "printer not ready",
    0xE2: "card reader defective",
    0xE4: "activation required",
    0xEB: "PIN algorithm unknown",
    0xEC: "PIN processing impossible",
    0xED: "PIN pad defective",
    0xF0: "open end-of-day batch",
    0xFC: "required device defective",
    0xFD: "baud rate not supported",
    0xFF: "system error",
}


def result_text(code: int) -> str:
    if 0x01 <= code <= 0x63:
        return f"host answered {code:02X}"
    return RESULT_CODES.get(code, f"result code {code:02X}")


def status_text(code: int) -> str:
    return TERMINAL_STATUS.get(code, f"terminal status {code:02X}")
