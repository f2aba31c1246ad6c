"""Maintenance protocol v1: commands, status codes, tags and the message codec.

A message is the DATA part of one frame (:mod:`drivers.framing`)::

    VER (1) | CMD (1) | SEQ (1) | STATUS (1) | TLV fields ...

Requests carry STATUS 00; the response to command ``C`` has command
``C | 0x80`` and the same SEQ. ``docs/protocol.md`` documents every byte.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import tlv
from ..errors import ProtocolError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
RESPONSE_BIT = 0x80
HEADER_LEN = 4
TIME_FORMAT = "%Y%m%d%H%M%S"
#: A TIME of all zeros means "not set" (a clock never set, a key never loaded).
TIME_UNSET = "0" * 14
#: LIST values nest (a log entry inside a log chunk); deeper nesting is malformed.
MAX_LIST_DEPTH = 2


class Command(enum.IntEnum):
    HELLO = 0x01
    LOGIN_CHALLENGE = 0x02
    LOGIN = 0x03
    LOGOUT = 0x04
    GET_IDENTITY = 0x10
    GET_PARAMETERS = 0x11
    GET_KEY_STATUS = 0x12
    GET_HARDWARE = 0x13
    GET_COUNTERS = 0x14
    GET_LOG = 0x15
    SELF_TEST = 0x20
    CANCEL = 0x21
    PARAM_BEGIN = 0x30
    PARAM_STAGE = 0x31
    PARAM_COMMIT = 0x32
    PARAM_ABORT = 0x33
    SET_CLOCK = 0x40
    PRINT_TEXT = 0x41
    REBOOT = 0x42
    COMM_TEST = 0x50
    SIGN_ON = 0x51
    SETTLE = 0x52


#: Commands a terminal answers without a maintenance login.
NO_LOGIN_COMMANDS = frozenset(
    {Command.HELLO, Command.LOGIN_CHALLENGE, Command.LOGIN, Command.LOGOUT, Command.GET_IDENTITY}
)


class Status(enum.IntEnum):
    OK = 0x00
    IN_PROGRESS = 0x01
    UNKNOWN_COMMAND = 0x10
    MALFORMED = 0x11
    MISSING_FIELD = 0x12
    INVALID_VALUE = 0x13
    UNSUPPORTED_VERSION = 0x14
    LOGIN_REQUIRED = 0x20
    AUTH_FAILED = 0x21
    LOCKED_OUT = 0x22
    NO_CHALLENGE = 0x23
    UNSETTLED_TRANSACTIONS = 0x30
    NO_TRANSACTION = 0x31
    BUSY = 0x32
    DEVICE_FAULT = 0x40
    CANCELLED = 0x42
    INTERNAL_ERROR = 0x7F


class Kind(enum.Enum):
    STR = "str"  # UTF-8 text
    UINT = "uint"  # unsigned big-endian, 1..8 bytes (senders use the fewest bytes)
    INT = "int"  # signed two's complement big-endian, 1..8 bytes
    BOOL = "bool"  # one byte, 00 or 01
    BYTES = "bytes"  # opaque binary
    TIME = "time"  # 14 ASCII digits YYYYMMDDhhmmss, terminal local time
    LIST = "list"  # nested TLV sequence


class Tag(enum.IntEnum):
    # session 0x01-0x0F
    PROTOCOL_VERSION = 0x01
    SUPPORTED_VERSIONS = 0x02
    CLIENT_NAME = 0x03
    MAX_FRAME = 0x04
    ERROR_TEXT = 0x05
    ERROR_FIELD = 0x06
    ATTEMPTS_LEFT = 0x07
    LOCKOUT_SECONDS = 0x08
    NONCE_TERMINAL = 0x09
    NONCE_CLIENT = 0x0A
    CLIENT_PROOF = 0x0B
    TERMINAL_PROOF = 0x0C
    LOGGED_IN = 0x0D
    SESSION_TIMEOUT = 0x0E
    KDF_ITERATIONS = 0x0F
    # identity 0x10-0x1F
    VENDOR = 0x10
    MODEL = 0x11
    SERIAL_NUMBER = 0x12
    HARDWARE_REVISION = 0x13
    OS_VERSION = 0x14
    FIRMWARE_VERSION = 0x15
    APP_NAME = 0x16
    APP_VERSION = 0x17
    EMV_CONTACT_KERNEL = 0x18
    EMV_CONTACTLESS_KERNEL = 0x19
    # payment parameters 0x20-0x3F
    TID = 0x20
    MID = 0x21
    MERCHANT_NAME = 0x22
    ACQUIRER_ID = 0x23
    PRIMARY_HOST = 0x24
    PRIMARY_PORT = 0x25
    BACKUP_HOST = 0x26
    BACKUP_PORT = 0x27
    TLS = 0x28
    TPDU = 0x29
    HEADER_STATUS = 0x2A
    COMM_MODE = 0x2B
    APN = 0x2C
    WIFI_SSID = 0x2D
    DNS_PRIMARY = 0x2E
    DNS_SECONDARY = 0x2F
    CONNECT_TIMEOUT = 0x30
    RESPONSE_TIMEOUT = 0x31
    STAN = 0x33
    BATCH = 0x34
    # keys 0x40-0x4F
    KEY_SCHEME = 0x40
    TMK_SLOT = 0x41
    SLOT_INDEX = 0x42
    KEY_LENGTH = 0x43
    CHECK_VALUE = 0x44
    ACTIVE_TMK_INDEX = 0x45
    WORKING_KEY = 0x46
    KEY_TYPE = 0x47
    LOADED_AT = 0x48
    KSN = 0x49
    LAST_SIGN_ON = 0x4A
    # hardware 0x50-0x6F
    PRINTER_STATE = 0x50
    PRINTER_PAPER = 0x51
    PRINTER_COVER = 0x52
    PRINTER_HEAD_TEMP = 0x53
    MAGSTRIPE_STATE = 0x54
    IC_STATE = 0x55
    CONTACTLESS_STATE = 0x56
    KEYPAD_STATE = 0x57
    DISPLAY_STATE = 0x58
    BATTERY_PRESENT = 0x59
    BATTERY_LEVEL = 0x5A
    BATTERY_HEALTH = 0x5B
    BATTERY_CYCLES = 0x5C
    CHARGING = 0x5D
    STORAGE_TOTAL_KB = 0x5E
    STORAGE_FREE_KB = 0x5F
    TAMPER_STATE = 0x60
    CLOCK = 0x61
    # counters and logs 0x70-0x7F
    UNSETTLED_COUNT = 0x70
    PENDING_REVERSAL = 0x71
    TXN_LOG_USED = 0x72
    TXN_LOG_CAPACITY = 0x73
    LOG_KIND = 0x74
    LOG_OFFSET = 0x75
    LOG_TOTAL = 0x76
    LOG_ENTRY = 0x77
    ENTRY_TIME = 0x78
    ENTRY_CODE = 0x79
    ENTRY_TEXT = 0x7A
    LOG_MAX_ENTRIES = 0x7B
    # self-tests 0x80-0x8F
    TEST_KIND = 0x80
    TEST_TIMEOUT = 0x81
    PROGRESS_PCT = 0x82
    PROGRESS_TEXT = 0x83
    TEST_RESULT = 0x84
    TEST_DETAIL = 0x85
    CARD_TRACKS = 0x86
    CARD_TYPE = 0x87
    KEYS_SEEN = 0x88
    KEYS_MISSING = 0x89
    # parameter transactions, clock, printing 0x90-0x9F
    TXN_ID = 0x90
    TEXT_LINE = 0x91
    REBOOT_SECONDS = 0x92
    # host link: comm test and sign-on 0xA0-0xBF
    LINK_UP = 0xA0
    LOCAL_ADDRESS = 0xA1
    HOST_RESULT = 0xA2
    HOST_ROLE = 0xA3
    HOST_ADDRESS = 0xA4
    HOST_PORT = 0xA5
    RESOLVED_ADDRESS = 0xA6
    OUTCOME = 0xA7
    CONNECT_MS = 0xA8
    TLS_OUTCOME = 0xA9
    DETAIL = 0xAA
    RESPONSE_CODE = 0xAB
    ACQUIRER_ID_ANSWERED = 0xAC
    PROCESSING_REQUIREMENT = 0xAD
    ELAPSED_MS = 0xAE
    SENT_AT = 0xAF
    CHECK = 0xB0
    CHECK_NAME = 0xB1
    CHECK_OK = 0xB2
    KEYS_UPDATED = 0xB3
    CLOCK_UPDATED = 0xB4
    HOST_BATCH = 0xB5
    RRN = 0xB6
    LINK_FAILURE = 0xBB
    NETWORK_NAME = 0xBC
    SIGNAL_DBM = 0xBD
    LINK_DETAIL = 0xBE
    RADIO_TYPE = 0xC0  # GET_HARDWARE resp. (cellular): RadioType
    CSQ = 0xC1  # GET_HARDWARE resp. (cellular): 3GPP TS 27.007 +CSQ 0..31, 99 unknown
    RSRP_DBM = 0xC2  # GET_HARDWARE resp. (LTE): reference signal received power
    SETTLED_BATCH = 0xB7
    SETTLED_COUNT = 0xB8
    SETTLED_AMOUNT = 0xB9
    RECONCILIATION = 0xBA
    # host traffic 0xD0-0xDF (SIGN_ON / SETTLE with HOST_TRAFFIC)
    HOST_TRAFFIC = 0xD0
    HOST_EXCHANGE = 0xD1
    LOCAL_PORT = 0xD2
    CONNECT_AT_MS = 0xD3
    SENT_AT_MS = 0xD4
    SENT_BYTES = 0xD5
    RECEIVED_AT_MS = 0xD6
    RECEIVED_BYTES = 0xD7
    CLOSED_AT_MS = 0xD8


K = Kind
TAG_KINDS: dict[Tag, Kind] = {
    Tag.PROTOCOL_VERSION: K.UINT,
    Tag.SUPPORTED_VERSIONS: K.BYTES,
    Tag.CLIENT_NAME: K.STR,
    Tag.MAX_FRAME: K.UINT,
    Tag.ERROR_TEXT: K.STR,
    Tag.ERROR_FIELD: K.UINT,
    Tag.ATTEMPTS_LEFT: K.UINT,
    Tag.LOCKOUT_SECONDS: K.UINT,
    Tag.NONCE_TERMINAL: K.BYTES,
    Tag.NONCE_CLIENT: K.BYTES,
    Tag.CLIENT_PROOF: K.BYTES,
    Tag.TERMINAL_PROOF: K.BYTES,
    Tag.LOGGED_IN: K.BOOL,
    Tag.SESSION_TIMEOUT: K.UINT,
    Tag.KDF_ITERATIONS: K.UINT,
    Tag.VENDOR: K.STR,
    Tag.MODEL: K.STR,
    Tag.SERIAL_NUMBER: K.STR,
    Tag.HARDWARE_REVISION: K.STR,
    Tag.OS_VERSION: K.STR,
    Tag.FIRMWARE_VERSION: K.STR,
    Tag.APP_NAME: K.STR,
    Tag.APP_VERSION: K.STR,
    Tag.EMV_CONTACT_KERNEL: K.STR,
    Tag.EMV_CONTACTLESS_KERNEL: K.STR,
    Tag.TID: K.STR,
    Tag.MID: K.STR,
    Tag.MERCHANT_NAME: K.STR,
    Tag.ACQUIRER_ID: K.STR,
    Tag.PRIMARY_HOST: K.STR,
    Tag.PRIMARY_PORT: K.UINT,
    Tag.BACKUP_HOST: K.STR,
    Tag.BACKUP_PORT: K.UINT,
    Tag.TLS: K.BOOL,
    Tag.TPDU: K.BYTES,
    Tag.HEADER_STATUS: K.UINT,
    Tag.COMM_MODE: K.UINT,
    Tag.APN: K.STR,
    Tag.WIFI_SSID: K.STR,
    Tag.DNS_PRIMARY: K.STR,
    Tag.DNS_SECONDARY: K.STR,
    Tag.CONNECT_TIMEOUT: K.UINT,
    Tag.RESPONSE_TIMEOUT: K.UINT,
    Tag.STAN: K.UINT,
    Tag.BATCH: K.UINT,
    Tag.KEY_SCHEME: K.UINT,
    Tag.TMK_SLOT: K.LIST,
    Tag.SLOT_INDEX: K.UINT,
    Tag.KEY_LENGTH: K.UINT,
    Tag.CHECK_VALUE: K.BYTES,
    Tag.ACTIVE_TMK_INDEX: K.UINT,
    Tag.WORKING_KEY: K.LIST,
    Tag.KEY_TYPE: K.UINT,
    Tag.LOADED_AT: K.TIME,
    Tag.KSN: K.BYTES,
    Tag.LAST_SIGN_ON: K.TIME,
    Tag.PRINTER_STATE: K.UINT,
    Tag.PRINTER_PAPER: K.UINT,
    Tag.PRINTER_COVER: K.UINT,
    Tag.PRINTER_HEAD_TEMP: K.INT,
    Tag.MAGSTRIPE_STATE: K.UINT,
    Tag.IC_STATE: K.UINT,
    Tag.CONTACTLESS_STATE: K.UINT,
    Tag.KEYPAD_STATE: K.UINT,
    Tag.DISPLAY_STATE: K.UINT,
    Tag.BATTERY_PRESENT: K.BOOL,
    Tag.BATTERY_LEVEL: K.UINT,
    Tag.BATTERY_HEALTH: K.UINT,
    Tag.BATTERY_CYCLES: K.UINT,
    Tag.CHARGING: K.BOOL,
    Tag.STORAGE_TOTAL_KB: K.UINT,
    Tag.STORAGE_FREE_KB: K.UINT,
    Tag.TAMPER_STATE: K.UINT,
    Tag.CLOCK: K.TIME,
    Tag.UNSETTLED_COUNT: K.UINT,
    Tag.PENDING_REVERSAL: K.BOOL,
    Tag.TXN_LOG_USED: K.UINT,
    Tag.TXN_LOG_CAPACITY: K.UINT,
    Tag.LOG_KIND: K.UINT,
    Tag.LOG_OFFSET: K.UINT,
    Tag.LOG_TOTAL: K.UINT,
    Tag.LOG_ENTRY: K.LIST,
    Tag.ENTRY_TIME: K.TIME,
    Tag.ENTRY_CODE: K.STR,
    Tag.ENTRY_TEXT: K.STR,
    Tag.LOG_MAX_ENTRIES: K.UINT,
    Tag.TEST_KIND: K.UINT,
    Tag.TEST_TIMEOUT: K.UINT,
    Tag.PROGRESS_PCT: K.UINT,
    Tag.PROGRESS_TEXT: K.STR,
    Tag.TEST_RESULT: K.UINT,
    Tag.TEST_DETAIL: K.STR,
    Tag.CARD_TRACKS: K.BYTES,
    Tag.CARD_TYPE: K.UINT,
    Tag.KEYS_SEEN: K.STR,
    Tag.KEYS_MISSING: K.STR,
    Tag.TXN_ID: K.UINT,
    Tag.TEXT_LINE: K.STR,
    Tag.REBOOT_SECONDS: K.UINT,
    Tag.LINK_UP: K.BOOL,
    Tag.LOCAL_ADDRESS: K.STR,
    Tag.HOST_RESULT: K.LIST,
    Tag.HOST_ROLE: K.UINT,
    Tag.HOST_ADDRESS: K.STR,
    Tag.HOST_PORT: K.UINT,
    Tag.RESOLVED_ADDRESS: K.STR,
    Tag.OUTCOME: K.UINT,
    Tag.CONNECT_MS: K.UINT,
    Tag.TLS_OUTCOME: K.UINT,
    Tag.DETAIL: K.STR,
    Tag.RESPONSE_CODE: K.STR,
    Tag.ACQUIRER_ID_ANSWERED: K.STR,
    Tag.PROCESSING_REQUIREMENT: K.UINT,
    Tag.ELAPSED_MS: K.UINT,
    Tag.SENT_AT: K.TIME,
    Tag.CHECK: K.LIST,
    Tag.CHECK_NAME: K.STR,
    Tag.CHECK_OK: K.BOOL,
    Tag.KEYS_UPDATED: K.BOOL,
    Tag.CLOCK_UPDATED: K.BOOL,
    Tag.HOST_BATCH: K.UINT,
    Tag.RRN: K.STR,
    Tag.LINK_FAILURE: K.UINT,
    Tag.NETWORK_NAME: K.STR,
    Tag.SIGNAL_DBM: K.INT,
    Tag.LINK_DETAIL: K.STR,
    Tag.RADIO_TYPE: K.UINT,
    Tag.CSQ: K.UINT,
    Tag.RSRP_DBM: K.INT,
    Tag.SETTLED_BATCH: K.UINT,
    Tag.SETTLED_COUNT: K.UINT,
    Tag.SETTLED_AMOUNT: K.UINT,
    Tag.RECONCILIATION: K.UINT,
    Tag.HOST_TRAFFIC: K.BOOL,
    Tag.HOST_EXCHANGE: K.LIST,
    Tag.LOCAL_PORT: K.UINT,
    Tag.CONNECT_AT_MS: K.UINT,
    Tag.SENT_AT_MS: K.UINT,
    Tag.SENT_BYTES: K.BYTES,
    Tag.RECEIVED_AT_MS: K.UINT,
    Tag.RECEIVED_BYTES: K.BYTES,
    Tag.CLOSED_AT_MS: K.UINT,
}
assert set(TAG_KINDS) == set(Tag), "every tag needs a kind"

#: Parameter tags a PARAM_STAGE may carry (STAN and BATCH included: a
#: technician restores them after a parameter loss).
WRITABLE_PARAMETERS = frozenset(
    {
        Tag.TID,
        Tag.MID,
        Tag.MERCHANT_NAME,
        Tag.ACQUIRER_ID,
        Tag.PRIMARY_HOST,
        Tag.PRIMARY_PORT,
        Tag.BACKUP_HOST,
        Tag.BACKUP_PORT,
        Tag.TLS,
        Tag.TPDU,
        Tag.HEADER_STATUS,
        Tag.COMM_MODE,
        Tag.APN,
        Tag.WIFI_SSID,
        Tag.DNS_PRIMARY,
        Tag.DNS_SECONDARY,
        Tag.CONNECT_TIMEOUT,
        Tag.RESPONSE_TIMEOUT,
        Tag.STAN,
        Tag.BATCH,
    }
)


# -- enumerated values -------------------------------------------------------
class DeviceState(enum.IntEnum):
    OK = 0
    FAULT = 1
    ABSENT = 2


class PaperState(enum.IntEnum):
    OK = 0
    LOW = 1
    OUT = 2


class CoverState(enum.IntEnum):
    CLOSED = 0
    OPEN = 1


class TamperState(enum.IntEnum):
    OK = 0
    TAMPERED = 1


class HeaderStatus(enum.IntEnum):
    NORMAL = 0
    TEST = 1


class CommMode(enum.IntEnum):
    ETHERNET = 1
    WIFI = 2
    CELLULAR = 3
    DIALUP = 4


class KeyScheme(enum.IntEnum):
    """Master/session key schemes; the CUP value is the sign-on's field 60.3."""

    MS_SINGLE = 1  # 60.3 = 001, single-length PIK/MAK
    MS_DOUBLE = 2  # 60.3 = 003, double-length PIK + MAK
    MS_DOUBLE_TDK = 3  # 60.3 = 004, double-length PIK + MAK + TDK
    DUKPT_TDES = 4


class KeyType(enum.IntEnum):
    PIK = 1
    MAK = 2
    TDK = 3


class LogKind(enum.IntEnum):
    RESPONSE_CODES = 1
    ERRORS = 2


class TestKind(enum.IntEnum):
    PRINTER = 1
    CARD_READER = 2
    KEYPAD = 3


class TestResult(enum.IntEnum):
    PASS = 0
    FAIL = 1
    NO_INPUT = 2  # nobody presented a card / pressed keys before the timeout
    CANCELLED = 3


class HostRole(enum.IntEnum):
    PRIMARY = 1
    BACKUP = 2


class CommOutcome(enum.IntEnum):
    """How reaching a host (or signing on) ended. The names are the technician's vocabulary."""

    OK = 0  # comm test: connected (and TLS done); sign-on: the host answered 00
    NO_LINK = 1  # no network link (cable, Wi-Fi, SIM/APN)
    DNS_FAILURE = 2
    REFUSED = 3  # the address answered but nothing listens on the port
    TIMEOUT = 4  # no TCP answer within the connect timeout
    RESET = 5  # connection reset by the network or the host
    TLS_FAILURE = 6
    NOT_CONFIGURED = 7  # no address or port set
    DECLINED = 20  # sign-on: the host answered, with a response code other than 00
    NO_ANSWER = 21  # connected and sent, no answer within the response timeout
    CLOSED_MID_MESSAGE = 22
    GARBAGE = 23  # the answer is not a valid CUP message
    MISMATCH = 24  # MTI, STAN, TID or MID of the answer do not match the request
    KEY_VERIFY_FAILED = 25  # 00, but the new working keys do not verify under the TMK (解包密钥验证不符)
    UNBALANCED = 26  # settlement: 00, but the host's totals differ from the terminal's (对账不平); batch stays open


class Reconciliation(enum.IntEnum):
    """Field 48 reconciliation code of a 0510 (reference §4.6)."""

    BALANCED = 1  # 对账平
    UNBALANCED = 2  # 对账不平
    ERROR = 3  # 对账出错


class LinkFailure(enum.IntEnum):
    """Why the terminal has no data link (COMM_TEST LINK_FAILURE); NONE while the link is up."""

    NONE = 0
    NO_CARRIER = 1  # no cable, no carrier, radio off
    NO_SIM = 2  # cellular: no SIM card
    NOT_REGISTERED = 3  # cellular: the SIM is not registered with a network
    NO_APN = 4  # cellular: registered, but no APN set: no data session is even asked for
    DATA_REJECTED = 5  # cellular: registered, the network refuses the data session (PDP context) for this APN
    NO_SSID = 6  # Wi-Fi: no network name set
    SSID_NOT_FOUND = 7  # Wi-Fi: the network is not in range
    WIFI_AUTH_FAILED = 8  # Wi-Fi: the network is in range and refuses the terminal's password
    NO_ADDRESS = 9  # the link is up but no IP address came (DHCP)


class RadioType(enum.IntEnum):
    """The cellular modem's radio access technology (GET_HARDWARE RADIO_TYPE)."""

    NONE = 0  # no modem, or not in cellular mode
    GSM = 1  # 2G: RSSI / CSQ
    WCDMA = 2  # 3G: RSSI / CSQ
    LTE = 3  # 4G: RSRP (and RSSI / CSQ)


class TlsOutcome(enum.IntEnum):
    OFF = 0
    OK = 1
    NOT_YET_VALID = 2
    EXPIRED = 3
    UNTRUSTED = 4
    FAILED = 5


class CardType(enum.IntEnum):
    MAGSTRIPE = 1
    IC = 2
    CONTACTLESS = 3


# -- typed field codec -------------------------------------------------------
class Fields:
    """Decoded TLV fields of one message: tag -> list of values (in order)."""

    def __init__(self, items: Iterable[tuple[Tag, Any]] = ()) -> None:
        self._items: list[tuple[Tag, Any]] = list(items)

    def __iter__(self):
        return iter(self._items)

    def __contains__(self, tag: Tag) -> bool:
        return any(t == tag for t, _ in self._items)

    def __repr__(self) -> str:
        return f"Fields({self._items!r})"

    def get(self, tag: Tag, default: Any = None) -> Any:
        for t, v in self._items:
            if t == tag:
                return v
        return default

    def all(self, tag: Tag) -> list[Any]:
        return [v for t, v in self._items if t == tag]

    def require(self, tag: Tag, what: str = "message") -> Any:
        for t, v in self._items:
            if t == tag:
                return v
        raise ProtocolError(f"{what} lacks field {tag.name} ({tag.value:02X})")


def encode_value(tag: Tag, value: Any) -> bytes:
    kind = TAG_KINDS[tag]
    if kind is Kind.STR:
        return str(value).encode("utf-8")
    if kind is Kind.UINT:
        n = int(value)
        if not 0 <= n < 1 << 64:
            raise ValueError(f"{tag.name} must be 0..2**64-1, got {n}")
        return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    if kind is Kind.INT:
        n = int(value)
        if not -(1 << 63) <= n < 1 << 63:
            raise ValueError(f"{tag.name} must fit in 64 signed bits, got {n}")
        length = 1
        while not -(1 << (8 * length - 1)) <= n < 1 << (8 * length - 1):
            length += 1
        return n.to_bytes(length, "big", signed=True)
    if kind is Kind.BOOL:
        return b"\x01" if value else b"\x00"
    if kind is Kind.BYTES:
        return bytes(value)
    if kind is Kind.TIME:
        text = value.strftime(TIME_FORMAT) if hasattr(value, "strftime") else str(value)
        if len(text) != 14 or not text.isdigit():
            raise ValueError(f"{tag.name} must be 14 digits YYYYMMDDhhmmss, got {text!r}")
        return text.encode("ascii")
    return encode_fields(value)  # LIST


def encode_fields(items: Iterable[tuple[Tag, Any]]) -> bytes:
    return tlv.encode([(int(tag), encode_value(tag, value)) for tag, value in items])


def _quote(raw: bytes) -> str:
    """Bytes quoted in an error, cut short: an error answer must fit in one frame."""
    if len(raw) <= 16:
        return raw.hex(" ").upper() or "nothing"
    return f"{raw[:16].hex(' ').upper()} ... ({len(raw)} bytes)"


def _decode_value(tag: Tag, raw: bytes, depth: int = 0) -> Any:
    kind = TAG_KINDS[tag]
    where = f"field {tag.name} ({tag.value:02X})"
    if kind is Kind.STR:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise tlv.TLVError(f"{where} is not valid UTF-8") from err
    if kind in (Kind.UINT, Kind.INT):
        if not 1 <= len(raw) <= 8:
            raise tlv.TLVError(f"{where} is an integer of {len(raw)} bytes (1..8 allowed)")
        return int.from_bytes(raw, "big", signed=kind is Kind.INT)
    if kind is Kind.BOOL:
        if raw not in (b"\x00", b"\x01"):
            raise tlv.TLVError(f"{where} is a boolean but holds {raw.hex()}")
        return raw == b"\x01"
    if kind is Kind.BYTES:
        return raw
    if kind is Kind.TIME:
        if len(raw) != 14 or not raw.isdigit():
            raise tlv.TLVError(f"{where} must be 14 ASCII digits, holds {_quote(raw)}")
        text = raw.decode("ascii")
        if text == TIME_UNSET:
            return text
        try:
            datetime.strptime(text, TIME_FORMAT)
        except ValueError:
            raise tlv.TLVError(f"{where} holds {text}, which is not a valid date and time") from None
        return text
    if depth >= MAX_LIST_DEPTH:
        raise tlv.TLVError(f"{where} nests lists deeper than {MAX_LIST_DEPTH} levels")
    return decode_fields(raw, depth + 1)


def decode_fields(data: bytes, depth: int = 0) -> Fields:
    """Decode and type-check; unknown tags are skipped (newer terminals may add some)."""
    out = []
    for code, raw in tlv.decode(data):
        try:
            tag = Tag(code)
        except ValueError:
            continue
        out.append((tag, _decode_value(tag, raw, depth)))
    return Fields(out)


# -- message codec -------------------------------------------------------------
@dataclass
class Message:
    command: int
    seq: int
    status: int = Status.OK
    fields: Fields = field(default_factory=Fields)
    version: int = PROTOCOL_VERSION

    @property
    def is_response(self) -> bool:
        return bool(self.command & RESPONSE_BIT)

    def describe(self) -> str:
        base = self.command & ~RESPONSE_BIT
        try:
            name = Command(base).name
        except ValueError:
            name = f"0x{base:02X}"
        suffix = " response" if self.is_response else ""
        try:
            status = Status(self.status).name
        except ValueError:
            status = f"0x{self.status:02X}"
        return f"{name}{suffix} seq={self.seq} status={status}"


def encode_message(
    command: int,
    seq: int,
    items: Sequence[tuple[Tag, Any]] | Iterable[tuple[Tag, Any]] = (),
    *,
    status: int = Status.OK,
    version: int = PROTOCOL_VERSION,
) -> bytes:
    return bytes([version, command, seq & 0xFF, status]) + encode_fields(items)


def decode_message(data: bytes) -> Message:
    if len(data) < HEADER_LEN:
        raise ProtocolError(f"message of {len(data)} bytes is shorter than the {HEADER_LEN}-byte header")
    version, command, seq, status = data[0], data[1], data[2], data[3]
    return Message(command, seq, status, decode_fields(data[HEADER_LEN:]), version)


# -- enum <-> text (the names used in models, JSON and scenario files) ------
def enum_text(enum_cls: type[enum.IntEnum], value: int) -> str:
    """``PaperState.OUT`` -> "out"; unknown numbers -> "unknown-<n>" (newer terminals)."""
    try:
        return enum_cls(value).name.lower().replace("_", "-")
    except ValueError:
        return f"unknown-{value}"


def enum_from_text(enum_cls: type[enum.IntEnum], text: str) -> enum.IntEnum:
    key = str(text).strip().upper().replace("-", "_")
    try:
        return enum_cls[key]
    except KeyError:
        choices = ", ".join(m.name.lower().replace("_", "-") for m in enum_cls)
        raise ValueError(f"{text!r} is not one of: {choices}") from None
