"""What a terminal reports, as typed values. Shared by every driver.

Enumerated states are kept as lower-case strings ("ok", "out", "tampered") so
that JSON output and the diagnosis read naturally; times are naive
``datetime`` in the terminal's local time, as the terminal reports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _Model:
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[arg-type]


@dataclass(frozen=True)
class HelloInfo(_Model):
    protocol_version: int
    max_frame: int
    logged_in: bool
    session_timeout_s: int | None


@dataclass(frozen=True)
class Identity(_Model):
    vendor: str
    model: str
    serial_number: str
    hardware_revision: str
    os_version: str
    firmware_version: str
    app_name: str
    app_version: str
    emv_contact_kernel: str
    emv_contactless_kernel: str


@dataclass(frozen=True)
class Parameters(_Model):
    tid: str
    mid: str
    merchant_name: str
    acquirer_id: str
    primary_host: str
    primary_port: int
    backup_host: str
    backup_port: int
    tls: bool
    tpdu: str  # 10 hex digits, e.g. "6000030000"
    header_status: str  # "normal" | "test"
    comm_mode: str  # "ethernet" | "wifi" | "cellular" | "dialup"
    apn: str
    wifi_ssid: str
    dns_primary: str
    dns_secondary: str
    connect_timeout_s: int
    response_timeout_s: int
    stan: int
    batch: int


@dataclass(frozen=True)
class TmkSlot(_Model):
    index: int
    key_length: int  # bytes: 8, 16 or 24
    check_value: str  # hex, 4 bytes (CUP style)


@dataclass(frozen=True)
class WorkingKey(_Model):
    key_type: str  # "pik" | "mak" | "tdk"
    check_value: str
    loaded_at: datetime | None


@dataclass(frozen=True)
class KeyStatus(_Model):
    scheme: str  # "ms-single" | "ms-double" | "ms-double-tdk" | "dukpt-tdes"
    active_tmk_index: int | None
    tmk_slots: list[TmkSlot]
    working_keys: list[WorkingKey]
    ksn: str | None  # hex, DUKPT only
    last_sign_on: datetime | None


@dataclass(frozen=True)
class Hardware(_Model):
    printer: str  # "ok" | "fault" | "absent"
    printer_paper: str  # "ok" | "low" | "out"
    printer_cover: str  # "closed" | "open"
    printer_head_temp_c: int | None
    magstripe: str
    ic_reader: str
    contactless: str
    keypad: str
    display: str
    battery_present: bool
    battery_level_pct: int | None
    battery_health_pct: int | None
    battery_cycles: int | None
    charging: bool
    storage_total_kb: int
    storage_free_kb: int
    tamper: str  # "ok" | "tampered"
    clock: datetime | None  # None: the terminal's clock is not set
    # the cellular modem (GET_HARDWARE, cellular terminals only; None otherwise): issue 17
    radio: str | None = None  # "gsm" | "wcdma" | "lte"
    signal_dbm: int | None = None  # RSSI
    csq: int | None = None  # 3GPP TS 27.007 +CSQ: 0..31 (99 unknown)
    rsrp_dbm: int | None = None  # LTE only


@dataclass(frozen=True)
class Counters(_Model):
    unsettled_transactions: int
    pending_reversal: bool
    transaction_log_used: int
    transaction_log_capacity: int


@dataclass(frozen=True)
class LogEntry(_Model):
    time: datetime
    code: str
    text: str


@dataclass(frozen=True)
class SelfTestResult(_Model):
    test: str  # "printer" | "card-reader" | "keypad"
    result: str  # "pass" | "fail" | "no-input" | "cancelled"
    detail: str
    card_type: str | None = None
    tracks_read: list[int] = field(default_factory=list)
    keys_seen: str = ""
    keys_missing: str = ""


@dataclass(frozen=True)
class Progress(_Model):
    percent: int
    text: str


@dataclass(frozen=True)
class HostReach(_Model):
    """One host as the terminal reached it (comm test) or tried to (sign-on)."""

    role: str  # "primary" | "backup"
    address: str
    port: int
    resolved: str
    outcome: str  # CommOutcome in words: "ok", "no-link", "dns-failure", "refused", "timeout", ...
    connect_ms: int | None = None
    tls: str = "off"  # "off", "ok", "not-yet-valid", "expired", "untrusted", "failed"
    detail: str = ""


@dataclass(frozen=True)
class CommTestResult(_Model):
    link_up: bool
    local_address: str
    hosts: list[HostReach]
    # the terminal's own link (absent from terminals that do not report it: None / "")
    link_failure: str | None = None  # LinkFailure in words: "none", "data-rejected", "wifi-auth-failed", ...
    network_name: str = ""  # cellular: the operator registered with; Wi-Fi: the network (SSID) in range
    signal_dbm: int | None = None  # radio signal strength; None for Ethernet or when not reported
    link_detail: str = ""  # why the link is down, in the terminal's words, with the network's own cause


@dataclass(frozen=True)
class SignOnCheck(_Model):
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HostExchange(_Model):
    """One TCP connection of a sign-on or settlement as it crossed the wire (HOST_EXCHANGE, protocol §6).

    Only when the laptop asked for it (``TerminalDriver.capture_host_traffic``).
    Times are milliseconds from when the terminal started the operation; the
    laptop dates them with its own clock (``started_ms``, Unix milliseconds,
    taken when it sent the maintenance request). ``sent``/``received`` are the
    bytes as written and read: 2-byte length, TPDU, header, ISO 8583 (inside
    TLS when ``tls`` is not "off").
    """

    role: str  # "primary" | "backup"
    local_address: str  # the terminal's own IP address
    local_port: int | None  # its source port; None when no connection stood
    remote_address: str  # the address dialled (HOST_ADDRESS, or what it resolved to)
    remote_port: int
    outcome: str  # CommOutcome in words, for this connection
    tls: str
    connect_at_ms: int  # when the terminal started the connection (its SYN)
    connect_ms: int  # until the connection stood, was refused, or the terminal gave up
    sent_at_ms: int | None
    sent: bytes
    received_at_ms: int | None
    received: bytes
    closed_at_ms: int
    started_ms: int = 0


@dataclass(frozen=True)
class SignOnResult(_Model):
    """The terminal's own account of a sign-on (0800/0810) to its host."""

    outcome: str  # "ok", "declined", "no-answer", "closed-mid-message", "garbage", "mismatch", ...
    response_code: str | None  # field 39 when a host answered
    host_role: str
    host_address: str
    host_port: int
    resolved: str
    stan: int
    sent_at: datetime | None
    elapsed_ms: int
    acquirer_id: str  # field 32 of the answer: who answered
    processing_requirement: int | None
    rrn: str
    keys_updated: bool
    clock_updated: bool
    host_batch: int | None
    detail: str
    attempts: list[HostReach]
    checks: list[SignOnCheck]
    #: the 0800/0810 as they crossed the wire, when asked for (``TerminalDriver.capture_host_traffic``)
    traffic: list[HostExchange] = field(default_factory=list)


@dataclass(frozen=True)
class SettlementResult(_Model):
    """The terminal's own account of a settlement (0500/0510, 批结算) with its host."""

    outcome: str  # "ok", "declined", "unbalanced", "no-answer", "mismatch", ... (CommOutcome in words)
    response_code: str | None  # field 39 when a host answered
    host_role: str
    host_address: str
    host_port: int
    resolved: str
    stan: int | None  # field 11 of the 0500; None when the batch was empty and nothing was sent
    sent_at: datetime | None
    elapsed_ms: int
    acquirer_id: str  # field 32 of the answer: who answered
    rrn: str
    batch: int  # the batch number settled (60.2 of the 0500)
    count: int  # transactions in it
    amount: int  # their total, in fen
    reconciliation: str | None  # "balanced", "unbalanced", "error" (field 48 of the 0510); None without one
    batch_after: int  # the terminal's batch number afterwards (one more once settled)
    unsettled_after: int  # unsettled transactions afterwards (0 once settled)
    detail: str
    attempts: list[HostReach]
    checks: list[SignOnCheck]
    #: the 0500/0510 as they crossed the wire, when asked for (``TerminalDriver.capture_host_traffic``)
    traffic: list[HostExchange] = field(default_factory=list)


#: The terminal's own state in words every driver maps its codes to (``DeviceStatus.condition``).
DEVICE_CONDITIONS = (
    "ready",
    "busy",
    "initialisation-required",
    "clock-wrong",
    "memory-full",
    "journal-full",
    "open-batch",
    "printer-not-ready",
    "low-voltage",
    "reader-defective",
    "out-of-order",
    "other",
)


@dataclass(frozen=True)
class DeviceStatus(_Model):
    """The terminal's own one-word state as its protocol reports it (e.g. a ZVT terminal status byte)."""

    code: str  # as the terminal sent it, e.g. "51"
    text: str  # its meaning, English
    condition: str  # one of DEVICE_CONDITIONS
