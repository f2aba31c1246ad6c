"""Scenario files: the world a simulated terminal lives in (TOML).

The format is documented in ``docs/scenarios.md``. A scenario may
``extends = "other"`` to start from another shipped scenario and change only
what differs. Unknown keys and bad values are refused with the file, the key
and what was expected (:class:`ScenarioError`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..addr import hostport, same_address
from ..resources import is_path, toml_value
from ..safeio import InputFileError, is_file, loads_toml, read_text
from .catalog import list_scenarios, scenario_dirs  # listed without pydantic there (the window), re-exported

FORMAT_VERSION = 1


class ScenarioError(ValueError):
    """A scenario file is missing, unreadable or invalid. The message names file and key."""


class _Strict(BaseModel):
    # strict: `primary_port = true` or `tls = "yes"` is a mistake in the file, not a value to coerce
    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)


DeviceStateText = Literal["ok", "fault", "absent"]


def _local(value: datetime) -> datetime:
    if value.tzinfo is not None:
        raise ValueError("write the terminal's local time without an offset (a terminal clock has no time zone)")
    return value


#: A time relative to the terminal's clock: "now", "-2h", "+10m", "-1d6h", "today 08:02", "-1d 18:42:07".
RELATIVE_TIME = re.compile(
    r"^(?:(?P<now>now)|(?P<day>today|yesterday)|(?P<sign>[+-])(?P<terms>(?:\d+[smhdw])+))"
    r"(?:\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})(?::(?P<ss>\d{2}))?)?$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
RELATIVE_HELP = (
    "write a TOML date-time without quotes (2026-11-25T08:02:11) or a time relative to the terminal's clock: "
    '"now", "-2h", "-3d", "+10m", "-1d6h", "today 08:02", "yesterday 18:42:07", "-2d 09:15"'
)


def relative_time(text: str, now: datetime) -> datetime:
    """``text`` (see :data:`RELATIVE_TIME`) as a date-time, counted from ``now`` (the terminal's clock).

    A time of day goes with a whole number of days ("today", "yesterday", "-3d"): that day at that time.
    Raises ValueError with what to write instead.
    """
    match = RELATIVE_TIME.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(RELATIVE_HELP)
    if match["now"]:
        if match["hh"] is not None:
            raise ValueError(f'"now" takes no time of day; write "today {match["hh"]}:{match["mm"]}"')
        return now
    if match["day"]:
        if match["hh"] is None:
            raise ValueError(f'"{match["day"]}" needs a time of day, e.g. "{match["day"]} 08:02"')
        seconds = 0 if match["day"] == "today" else -86400
    else:
        terms = re.findall(r"(\d+)([smhdw])", match["terms"])
        seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in terms)
        seconds = -seconds if match["sign"] == "-" else seconds
    moment = now + timedelta(seconds=seconds)
    if match["hh"] is None:
        return moment
    if seconds % 86400:
        raise ValueError(f'a time of day goes with whole days ("-1d 08:00"), not with {match["sign"]}{match["terms"]}')
    hh, mm, ss = int(match["hh"]), int(match["mm"]), int(match["ss"] or 0)
    if hh > 23 or mm > 59 or ss > 59:
        raise ValueError(f"{hh:02d}:{mm:02d}:{ss:02d} is not a time of day")
    return moment.replace(hour=hh, minute=mm, second=ss)


def _relative(value: Any, info: ValidationInfo) -> Any:
    """A string in a date-time key: a time relative to the terminal's clock when the file was loaded."""
    if not isinstance(value, str):
        return value
    now = (info.context or {}).get("now") or datetime.now().replace(microsecond=0)
    try:
        return relative_time(value, now)
    except ValueError as err:
        text = value.strip().lower()
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            raise ValueError(
                "a quoted date-time is text: write it without quotes (2026-11-25T08:02:11), or a time relative to "
                'the terminal\'s clock such as "-2h" or "yesterday 08:02"'
            ) from None
        if re.fullmatch(r"(?:\d+[smhdw])+", text):
            raise ValueError(
                f'a relative time needs its sign: "-{text}" ({text} ago) or "+{text}" (in {text})'
            ) from None
        raise ValueError(f"not a time: {err}") from None


LocalDateTime = Annotated[datetime, BeforeValidator(_relative), AfterValidator(_local)]
HexKey = Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$")]


class Identity(_Strict):
    vendor: str
    model: str
    serial_number: str = Field(min_length=1)
    hardware_revision: str = ""
    os_version: str = ""
    firmware_version: str = ""
    app_name: str = ""
    app_version: str = ""
    emv_contact_kernel: str = ""
    emv_contactless_kernel: str = ""


class Parameters(_Strict):
    """Values as stored in the terminal. Deliberately lenient (a faulty
    terminal may hold a blank TID); the terminal's own write path enforces
    the formats."""

    tid: str = ""
    mid: str = ""
    merchant_name: str = ""
    acquirer_id: str = ""
    primary_host: str = ""
    primary_port: int = Field(default=0, ge=0, le=65535)
    backup_host: str = ""
    backup_port: int = Field(default=0, ge=0, le=65535)
    tls: bool = False
    tpdu: str = Field(default="6000030000", pattern=r"^[0-9A-Fa-f]{10}$")
    header_status: Literal["normal", "test"] = "normal"
    comm_mode: Literal["ethernet", "wifi", "cellular", "dialup"] = "ethernet"
    apn: str = ""
    wifi_ssid: str = ""
    dns_primary: str = ""
    dns_secondary: str = ""
    connect_timeout_s: int = Field(default=30, ge=0, le=3600)
    response_timeout_s: int = Field(default=60, ge=0, le=3600)
    stan: int = Field(default=1, ge=0, le=999999)
    batch: int = Field(default=1, ge=0, le=999999)


class TmkSlot(_Strict):
    index: int = Field(ge=0, le=99)
    key: HexKey  # clear key: lives only in the simulator


class WorkingKey(_Strict):
    type: Literal["pik", "mak", "tdk"]
    key: HexKey  # clear key: lives only in the simulator
    loaded_at: LocalDateTime | None = None


class Keys(_Strict):
    scheme: Literal["ms-single", "ms-double", "ms-double-tdk", "dukpt-tdes"] = "ms-double"
    active_tmk_index: int | None = Field(default=None, ge=0, le=99)  # None: no key index configured
    tmk: list[TmkSlot] = []
    working: list[WorkingKey] = []
    ksn: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{20}$")
    last_sign_on: LocalDateTime | None = None

    @model_validator(mode="after")
    def _unique_slots(self) -> Keys:
        indexes = [s.index for s in self.tmk]
        if len(indexes) != len(set(indexes)):
            raise ValueError("two [[keys.tmk]] entries use the same index")
        types = [w.type for w in self.working]
        if len(types) != len(set(types)):
            raise ValueError("two [[keys.working]] entries have the same type")
        if self.scheme == "dukpt-tdes" and not self.ksn:
            raise ValueError("scheme dukpt-tdes needs a ksn (20 hex digits)")
        return self


class Battery(_Strict):
    present: bool = True
    level_pct: int = Field(default=80, ge=0, le=100)
    health_pct: int = Field(default=95, ge=0, le=100)
    cycles: int = Field(default=120, ge=0)
    charging: bool = False


class Hardware(_Strict):
    printer: DeviceStateText = "ok"
    paper: Literal["ok", "low", "out"] = "ok"
    cover: Literal["closed", "open"] = "closed"
    head_temp_c: int = Field(default=35, ge=-40, le=150)
    magstripe: DeviceStateText = "ok"
    ic_reader: DeviceStateText = "ok"
    contactless: DeviceStateText = "ok"
    keypad: DeviceStateText = "ok"
    display: DeviceStateText = "ok"
    tamper: Literal["ok", "tampered"] = "ok"
    storage_total_kb: int = Field(default=65536, ge=1)
    storage_free_kb: int = Field(default=40000, ge=0)
    clock_offset_s: int = 0
    battery: Battery = Battery()

    @model_validator(mode="after")
    def _storage(self) -> Hardware:
        if self.storage_free_kb > self.storage_total_kb:
            raise ValueError("storage_free_kb is larger than storage_total_kb")
        return self


class Counters(_Strict):
    unsettled_transactions: int = Field(default=0, ge=0)
    unsettled_amount: int = Field(default=0, ge=0, le=999_999_999_999)  # their sum in fen (分), for settlement
    pending_reversal: bool = False
    transaction_log_used: int = Field(default=0, ge=0)
    transaction_log_capacity: int = Field(default=1500, ge=1)

    @model_validator(mode="after")
    def _log_fits(self) -> Counters:
        if self.transaction_log_used > self.transaction_log_capacity:
            raise ValueError("transaction_log_used is larger than transaction_log_capacity")
        return self


class LogEntry(_Strict):
    time: LocalDateTime
    code: str
    text: str = ""


class Logs(_Strict):
    response_codes: list[LogEntry] = []
    errors: list[LogEntry] = []


class Maintenance(_Strict):
    password: str = Field(min_length=1)
    max_attempts: int = Field(default=5, ge=1, le=20)
    lockout_s: int = Field(default=300, ge=1)
    session_timeout_s: int = Field(default=600, ge=10)
    kdf_iterations: int = Field(default=20000, ge=1000, le=1_000_000)


class PrinterTest(_Strict):
    duration_s: float = Field(default=2.0, ge=0, le=120)


class CardReaderTest(_Strict):
    present_after_s: float | None = Field(default=None, ge=0)  # None: nobody presents a card
    card: Literal["magstripe", "ic", "contactless"] = "magstripe"
    tracks: list[Literal[1, 2, 3]] = [1, 2, 3]


KEYPAD_KEYS = "0123456789*#CE"  # digits, star, hash, Cancel, Enter


class KeypadTest(_Strict):
    press_after_s: float | None = Field(default=None, ge=0)  # None: nobody presses keys
    stuck_keys: list[str] = []

    @field_validator("stuck_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        bad = [key for key in value if len(key) != 1 or key not in KEYPAD_KEYS]
        if bad:
            names = ", ".join(f'"{key}"' for key in bad)
            raise ValueError(f"not keys of the keypad: {names}; keys are {' '.join(KEYPAD_KEYS)} (C Cancel, E Enter)")
        return value


class SelfTests(_Strict):
    printer: PrinterTest = PrinterTest()
    card_reader: CardReaderTest = CardReaderTest()
    keypad: KeypadTest = KeypadTest()


class HostRule(_Strict):
    address: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # None: every port of that address
    result: Literal["ok", "refused", "timeout", "dns-failure", "reset"] = "ok"
    latency_ms: int = Field(default=60, ge=0, le=60000)


class Cellular(_Strict):
    """The mobile network around a terminal in comm mode ``cellular`` ([network.cellular])."""

    sim_present: bool = True
    registered: bool = True  # the SIM is registered with the operator's network
    operator: str = "中国移动 China Mobile"
    signal_dbm: int = Field(default=-85, ge=-140, le=-30)
    # the radio and its signal as the modem reports it (GET_HARDWARE): signal_dbm is the RSSI (2G/3G, also
    # reported on LTE), rsrp_dbm the LTE reference signal power; CSQ is derived from the RSSI (TS 27.007)
    radio: Literal["gsm", "wcdma", "lte"] = "lte"
    rsrp_dbm: int = Field(default=-95, ge=-140, le=-44)
    # the APN the operator opens a data session for on this SIM (case does not matter); "" = any non-blank APN
    apn: str = ""


class Wifi(_Strict):
    """The Wi-Fi around a terminal in comm mode ``wifi`` ([network.wifi])."""

    in_range: bool = True  # the network the terminal is set to (parameters.wifi_ssid) is in range
    password_accepted: bool = True  # False: the password stored in the terminal is not the network's
    signal_dbm: int = Field(default=-55, ge=-100, le=-20)


class Network(_Strict):
    """One side's view of the network: the terminal's ([network]) or the laptop's ([laptop_network])."""

    link_up: bool = True
    cellular: Cellular = Cellular()  # the terminal's radio only; ignored in [laptop_network]
    wifi: Wifi = Wifi()
    ip_address: str = "192.168.1.50"
    dns: dict[str, str] = {}  # host name -> address; a name not listed fails to resolve
    hosts: list[HostRule] = []
    default: Literal["ok", "refused", "timeout", "dns-failure", "reset"] = "timeout"

    @field_validator("dns")
    @classmethod
    def _dns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, address in value.items():
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"dns entry {name!r} must map to an IP address, got {address!r}") from None
        return value

    def rule_for(self, address: str, port: int) -> HostRule:
        """The first rule matching ``address:port`` (a rule without port matches every port)."""
        for rule in self.hosts:
            if same_address(rule.address, address) and rule.port in (None, port):
                return rule
        return HostRule(address=address, port=port, result=self.default, latency_ms=0)

    @field_validator("ip_address")
    @classmethod
    def _ip(cls, value: str) -> str:
        if value:
            ipaddress.ip_address(value)
        return value


class Faults(_Strict):
    seed: int = 1
    corrupt_rate: float = Field(default=0.0, ge=0, le=1)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    garbage_rate: float = Field(default=0.0, ge=0, le=1)
    spurious_nak_rate: float = Field(default=0.0, ge=0, le=1)
    # line noise per byte, on every byte that crosses the cable (see ports.ByteNoise)
    byte_corrupt_rate: float = Field(default=0.0, ge=0, le=0.5)
    byte_drop_rate: float = Field(default=0.0, ge=0, le=0.5)
    byte_insert_rate: float = Field(default=0.0, ge=0, le=0.5)
    byte_noise_direction: Literal["both", "to-laptop", "to-terminal"] = "both"
    disconnect_after_frames: int = Field(default=0, ge=0)
    silent_after_frames: int = Field(default=0, ge=0)


STANDARD_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


def _pace_default() -> bool:
    """Bytes take their time on the wire, as on a real cable; ``TECHAPP_SIM_PACE=0`` makes the default
    unpaced (the test suite: a scenario that says ``pace`` is never overridden)."""
    return os.environ.get("TECHAPP_SIM_PACE", "1").strip().lower() not in ("0", "false", "no", "off")


class Link(_Strict):
    line_baud: int = Field(default=115200, gt=0)
    pace: bool = Field(default_factory=_pace_default)
    processing_latency_ms: int = Field(default=5, ge=0, le=60000)
    command_latency_ms: dict[str, int] = {}
    reboot_s: float = Field(default=2.0, ge=0, le=120)
    faults: Faults = Faults()

    @field_validator("line_baud")
    @classmethod
    def _baud(cls, value: int) -> int:
        if value not in STANDARD_BAUDS:
            raise ValueError(f"{value} is not a standard rate; use one of {', '.join(map(str, STANDARD_BAUDS))}")
        return value

    @field_validator("command_latency_ms")
    @classmethod
    def _commands(cls, value: dict[str, int]) -> dict[str, int]:
        from ..maint.protocol import Command

        for name, ms in value.items():
            if name.upper() not in Command.__members__:
                raise ValueError(f"unknown command {name!r}; known: {', '.join(Command.__members__)}")
            if ms < 0:
                raise ValueError(f"latency for {name} must not be negative")
        return {k.upper(): v for k, v in value.items()}


HostBehaviour = Literal["normal", "down", "refusing", "no-answer", "slow", "close-mid-message", "garbage", "bad-key-cv"]


class AcquirerTerminal(_Strict):
    """A terminal record in the acquirer host's registry."""

    tid: str = Field(pattern=r"^[0-9A-Za-z]{8}$")
    mid: str = Field(pattern=r"^[0-9]{15}$")
    serial_number: str = ""  # the serial number the TID is bound to; "" = not bound
    tmk: HexKey  # the host's copy of the terminal master key (clear: simulator only)
    active: bool = True
    roles: list[Literal["production", "test"]] = ["production"]  # which host systems know this TID
    # the working keys the host holds for this TID: those the terminal holds ("current"), or newer ones it
    # issued since (the same TID signed on elsewhere): MAC-checked messages then fail A0 until a sign-on
    issued_keys: Literal["current", "newer"] = "current"
    # the host's record of the TID's open batch (count, amount in fen); None: what the terminal holds
    batch_count: int | None = Field(default=None, ge=0, le=999)
    batch_amount: int | None = Field(default=None, ge=0, le=999_999_999_999)


class AcquirerHost(_Strict):
    """One host server of the acquirer (production and test hosts are separate servers)."""

    role: Literal["production", "test"] = "production"
    address: str = Field(min_length=1)  # the address terminals dial; served on loopback by the simulator
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    behaviour: HostBehaviour = "normal"
    delay_ms: int = Field(default=0, ge=0, le=120000)  # answer delay ("slow", or always)
    processing_requirement: int = Field(default=0, ge=0, le=9)  # header nibble in every answer
    # TPDU destinations (NII, 4 hex digits) the front end routes to this host; others get no answer
    tpdu_destinations: list[Annotated[str, Field(pattern=r"^[0-9A-F]{4}$")]] = ["0003"]


class Acquirer(_Strict):
    """The acquirer's host side of the world. The terminal and techapp never read this table."""

    name: str = "示例收单行 Demo Acquirer"
    institution_id: str = Field(default="48020000", pattern=r"^[0-9]{1,11}$")
    check_serial_number: bool = False  # answer 97 when the sign-on's serial number is not the bound one
    # a production host and a message whose header says "test" (status 1): answer it as if normal ("accept"),
    # refuse it with test_status_code ("refuse"), or hand it to the test system ("route-to-test")
    test_status: Literal["accept", "refuse", "route-to-test"] = "accept"
    test_status_code: str = Field(default="12", pattern=r"^[0-9A-Z]{2}$")
    terminals: list[AcquirerTerminal] = []
    hosts: list[AcquirerHost] = []
    # DUKPT: the base derivation keys the host holds, by key-set id (10 hex digits -> 32 hex digits; test keys only)
    dukpt_bdks: dict[
        Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{10}$")], Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{32}$")]
    ] = {}

    @model_validator(mode="after")
    def _unique(self) -> Acquirer:
        tids = [t.tid for t in self.terminals]
        if len(tids) != len(set(tids)):
            raise ValueError("two [[acquirer.terminals]] entries have the same tid")
        ends = [(h.address, h.port) for h in self.hosts]
        if len(ends) != len(set(ends)):
            raise ValueError("two [[acquirer.hosts]] entries have the same address and port")
        return self


class Zvt(_Strict):
    """The terminal as a ZVT payment terminal (``protocol = "zvt"``; docs/scenarios.md, docs/zvt.md)."""

    #: terminal status byte of the Status-Enquiry (00 ready, 51 initialisation required, 62 date/time
    #: wrong, B2 merchant journal full, CC printer not ready, ...)
    status: int = Field(0, ge=0, le=255)
    terminal_id: str = Field("52523535", pattern=r"^[0-9]{8}$")
    device_name: str = "cVEND plug"
    software_version: str = "GER-APP-v2.0.9;cS02.01.01-10.10-2-2;CC26"
    serial_number: str = Field("17fd1e3c", pattern=r"^([0-9a-f]{2})+$")
    password: str = Field("000000", pattern=r"^[0-9]{6}$")
    #: False: Diagnosis and End-of-Day are refused with 6B until a Registration (06 00)
    registered: bool = True
    #: the result code of every host contact (Diagnosis, Initialisation, End-of-Day): 0 reached, A0 receiver
    #: not ready, A1 no response, A3 no connection
    host_result: int = Field(0, ge=0, le=255)


class Scenario(_Strict):
    format: int = FORMAT_VERSION
    #: the protocol the terminal speaks on its serial line / TCP port: "cup-maint" or "zvt"
    protocol: Literal["cup-maint", "zvt"] = "cup-maint"
    zvt: Zvt = Zvt()
    name: str
    description: str = ""
    training_notes: str = ""
    identity: Identity
    parameters: Parameters = Parameters()
    keys: Keys = Keys()
    hardware: Hardware = Hardware()
    counters: Counters = Counters()
    logs: Logs = Logs()
    maintenance: Maintenance
    self_tests: SelfTests = SelfTests()
    network: Network = Network()
    laptop_network: Network | None = None  # None: the laptop sees the network as the terminal does
    acquirer: Acquirer = Acquirer()
    # other acquirers' host systems, each with its own institution code, hosts and registry
    other_acquirers: list[Acquirer] = []
    link: Link = Field(default_factory=Link)  # built per scenario: its pace default reads the environment

    @model_validator(mode="after")
    def _hosts_unique_across_acquirers(self) -> Scenario:
        seen: dict[tuple[str, int], str] = {}
        for acquirer in (self.acquirer, *self.other_acquirers):
            for h in acquirer.hosts:
                if (h.address, h.port) in seen and seen[(h.address, h.port)] != acquirer.name:
                    other = seen[(h.address, h.port)]
                    raise ValueError(f"{hostport(h.address, h.port)} is a host of both {other!r} and {acquirer.name!r}")
                seen[(h.address, h.port)] = acquirer.name
        return self

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"this techapp reads scenario format {FORMAT_VERSION}, the file says {value}")
        return value


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def find_scenario(name: str, relative_to: Path | None = None) -> Path:
    """``NAME`` looked up as ``NAME.toml`` in :func:`scenario_dirs`, or a path.

    A path is taken relative to ``relative_to`` (the directory of a file that
    says ``extends``) when given, else to the current directory.
    """
    if is_path(name):
        candidate = Path(name)
        if relative_to is not None and not candidate.is_absolute():
            candidate = relative_to / candidate
        # is_file: False for a name the file system refuses (too long), not a traceback; something else that
        # exists there (a folder, a device, a FIFO) is returned for the reader to name what it is
        if is_file(candidate) or os.path.lexists(candidate):
            return candidate
        raise ScenarioError(f"{name}: scenario file not found (looked for {candidate.absolute()})")
    for directory in scenario_dirs():
        path = directory / f"{name}.toml"
        if is_file(path):
            return path
    known = [name for name, _ in list_scenarios()]
    raise ScenarioError(f"unknown scenario {name!r}; shipped scenarios: {', '.join(known) or 'none'}")


def _parent_path(parent: Any, child: Path | None, source: str) -> Path:
    """Resolve ``extends``; errors name the file that says ``extends``."""
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{source}: key 'extends': expected a scenario name such as \"healthy\", got {parent!r}")
    try:
        return find_scenario(parent, child.parent if child is not None else None)
    except ScenarioError as err:
        raise ScenarioError(f"{source}: key 'extends' = {parent!r}: {err}") from None


def _unset(data: dict[str, Any], keys: Any, source: str) -> None:
    """Apply ``unset = ["keys.last_sign_on", ...]``: remove inherited keys so their defaults apply."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ScenarioError(f"{source}: key 'unset': expected a list of dotted key names, got {keys!r}")
    for dotted in keys:
        *tables, leaf = dotted.split(".")
        node: Any = data
        for table in tables:
            node = node.get(table) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            raise ScenarioError(f"{source}: key 'unset': {dotted!r} is not set by the scenario it extends")
        del node[leaf]


def _resolve(data: dict[str, Any], path: Path | None, source: str, chain: tuple[Path, ...]) -> dict[str, Any]:
    parent = data.pop("extends", None)
    unset = data.pop("unset", None)
    if parent is None:
        if unset is not None:
            raise ScenarioError(f"{source}: key 'unset' only makes sense together with 'extends'")
        return data
    parent_path = _parent_path(parent, path, source)
    if parent_path.resolve() in chain:
        names = " -> ".join(p.name for p in (*chain, parent_path.resolve()))
        raise ScenarioError(f"{chain[0] if chain else source}: 'extends' makes a loop: {names}")
    base = _read_raw(parent_path, chain)
    if unset is not None:
        _unset(base, unset, source)
    return _merge(base, data)


def _read_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    try:  # a regular file of bounded size; deep nesting, huge integers and repeated keys are errors
        data = loads_toml(read_text(path, what="scenario"), what=str(path))
    except InputFileError as err:
        raise ScenarioError(str(err)) from err
    return _resolve(data, path, str(path), (*chain, path.resolve()))


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"key '{loc}': unknown key (see docs/scenarios.md for the keys of this table)"
    if err["type"] == "missing":
        return f"key '{loc}': required but missing"
    message = err["msg"].removeprefix("Value error, ")
    given = err.get("input")
    shown = "" if isinstance(given, dict) else f" (got {toml_value(given)})"
    return f"key '{loc}': {message}{shown}"


def terminal_now(raw: dict[str, Any]) -> datetime:
    """The terminal's clock now (the laptop's plus ``hardware.clock_offset_s``): what relative times count from."""
    offset = raw.get("hardware", {}).get("clock_offset_s", 0) if isinstance(raw.get("hardware"), dict) else 0
    if isinstance(offset, bool) or not isinstance(offset, int):
        offset = 0  # a wrong type is reported by the validation itself
    return datetime.now().replace(microsecond=0) + timedelta(seconds=offset)


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    path = find_scenario(str(name_or_path))
    raw = _read_raw(path)
    try:
        return Scenario.model_validate(raw, context={"now": terminal_now(raw)})
    except ValidationError as err:
        problems = "; ".join(_describe(e) for e in err.errors())
        raise ScenarioError(f"{path}: {problems}") from None


def load_scenario_text(text: str, *, source: str = "<text>") -> Scenario:
    """Validate a scenario given as TOML text (used by tests and the GUI's scenario editor)."""
    try:
        raw = loads_toml(text, what=source)
    except InputFileError as err:
        raise ScenarioError(str(err)) from err
    raw = _resolve(raw, None, source, ())
    try:
        return Scenario.model_validate(raw, context={"now": terminal_now(raw)})
    except ValidationError as err:
        raise ScenarioError(f"{source}: " + "; ".join(_describe(e) for e in err.errors())) from None


def published_password(scenario: Scenario) -> str | None:
    """The simulated terminal's own published password where its protocol has one (ZVT), else None."""
    return scenario.zvt.password if scenario.protocol == "zvt" else None
