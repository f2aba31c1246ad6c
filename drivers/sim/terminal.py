"""The simulated terminal: persistent state plus the maintenance-protocol server side.

:class:`SimulatedTerminal` is the device (parameters, keys, lockout counter,
clock) and survives reconnects. A :class:`Session` is one cable connection: it
reads frames through a :class:`~drivers.framing.FrameLink` and answers like a
real terminal, rules included (login before writes, lockout, format checks,
no edits with an open batch, all-or-nothing commits).
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ..errors import Disconnected, LinkTimeout, ProtocolError
from ..framing import MAX_DATA_LEN, FrameLink
from ..keycheck import check_value
from ..maint import auth
from ..maint.protocol import (
    NO_LOGIN_COMMANDS,
    RESPONSE_BIT,
    SUPPORTED_VERSIONS,
    TIME_FORMAT,
    WRITABLE_PARAMETERS,
    CardType,
    Command,
    CommMode,
    CoverState,
    DeviceState,
    Fields,
    HeaderStatus,
    KeyScheme,
    KeyType,
    LinkFailure,
    LogKind,
    PaperState,
    RadioType,
    Status,
    Tag,
    TamperState,
    TestKind,
    TestResult,
    decode_message,
    encode_fields,
    encode_message,
    enum_from_text,
)
from . import hostside
from .scenario import KEYPAD_KEYS, LogEntry, Scenario
from .world import SimWorld

PRINTER_OVERHEAT_C = 65  # thermal heads shut down around here
PRINTER_COLUMNS = 32  # characters per line on 58 mm paper
PRINT_SECONDS_PER_LINE = 0.02
MAX_PRINT_LINES = 200
PROGRESS_INTERVAL = 0.5
PROOF_LEN = 32  # HMAC-SHA256

TID_RE = re.compile(r"^[0-9A-Za-z]{8}$")
MID_RE = re.compile(r"^[0-9]{15}$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


class Refusal(Exception):
    """Raised by a handler: answer with ``status`` and a reason."""

    def __init__(self, status: Status, text: str, field: Tag | None = None, extra=()) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.field = field
        self.extra = list(extra)


def _shown(value: Any) -> str:
    """A value quoted in a refusal, cut short: the answer must fit in one frame."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(HOSTNAME_RE.fullmatch(value)) and not value.replace(".", "").isdigit()


def validate_parameter(tag: Tag, value: Any) -> str | None:
    """The terminal's own format rules for one parameter; returns the reason when invalid."""
    if tag == Tag.TID:
        return None if TID_RE.fullmatch(value) else f"TID must be 8 letters or digits, got {_shown(value)}"
    if tag == Tag.MID:
        return None if MID_RE.fullmatch(value) else f"MID must be 15 digits, got {_shown(value)}"
    if tag == Tag.MERCHANT_NAME:
        return None if 1 <= len(value) <= 40 else "merchant name must be 1 to 40 characters"
    if tag == Tag.ACQUIRER_ID:
        ok = value.isdigit() and len(value) <= 11 and value.isascii()
        return None if ok else f"acquirer ID must be up to 11 digits, got {_shown(value)}"
    if tag == Tag.PRIMARY_HOST:
        return None if _is_host(value) else f"primary host must be an IP address or host name, got {_shown(value)}"
    if tag == Tag.BACKUP_HOST:
        ok = value == "" or _is_host(value)
        return None if ok else f"backup host must be empty, an IP address or a host name, got {_shown(value)}"
    if tag == Tag.PRIMARY_PORT:
        return None if 1 <= value <= 65535 else f"primary port must be 1..65535, got {value}"
    if tag == Tag.BACKUP_PORT:
        return None if 0 <= value <= 65535 else f"backup port must be 0..65535, got {value}"
    if tag == Tag.TPDU:
        if len(value) != 5:
            return f"TPDU must be 5 bytes, got {len(value)}"
        return None if value[0] == 0x60 else f"TPDU must start with ID 60, got {value[0]:02X}"
    if tag == Tag.HEADER_STATUS:
        return None if value in (0, 1) else f"header status must be 0 (normal) or 1 (test), got {value}"
    if tag == Tag.COMM_MODE:
        return None if value in set(CommMode) else f"comm mode must be 1..4, got {value}"
    if tag == Tag.APN:
        return None if len(value) <= 63 else "APN must be at most 63 characters"
    if tag == Tag.WIFI_SSID:
        return None if len(value.encode()) <= 32 else "Wi-Fi SSID must be at most 32 bytes"
    if tag in (Tag.DNS_PRIMARY, Tag.DNS_SECONDARY):
        if value == "":
            return None
        try:
            ipaddress.ip_address(value)
            return None
        except ValueError:
            return f"DNS server must be an IP address, got {_shown(value)}"
    if tag in (Tag.CONNECT_TIMEOUT, Tag.RESPONSE_TIMEOUT):
        return None if 1 <= value <= 300 else f"timeout must be 1..300 seconds, got {value}"
    if tag in (Tag.STAN, Tag.BATCH):
        return None if 1 <= value <= 999999 else f"{tag.name} must be 1..999999, got {value}"
    if tag == Tag.TLS:
        return None
    return f"{tag.name} is not a writable parameter"


def validate_parameter_set(params: dict[Tag, Any]) -> tuple[Tag, str] | None:
    """Rules that involve more than one parameter, checked at commit."""
    if params[Tag.COMM_MODE] == CommMode.CELLULAR and not params[Tag.APN]:
        return Tag.APN, "cellular comm mode needs an APN"
    if params[Tag.COMM_MODE] == CommMode.WIFI and not params[Tag.WIFI_SSID]:
        return Tag.WIFI_SSID, "Wi-Fi comm mode needs an SSID"
    if params[Tag.BACKUP_HOST] and not params[Tag.BACKUP_PORT]:
        return Tag.BACKUP_PORT, "a backup host needs a backup port"
    return None


class SimulatedTerminal:
    """One simulated terminal's persistent state. Thread-safe via ``lock``."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.lock = threading.RLock()
        if scenario.protocol == "zvt":  # the ZVT side's own state (drivers.sim.zvt)
            from .zvt import ZvtState

            self.zvt = ZvtState(scenario)
        p = scenario.parameters
        self.params: dict[Tag, Any] = {
            Tag.TID: p.tid,
            Tag.MID: p.mid,
            Tag.MERCHANT_NAME: p.merchant_name,
            Tag.ACQUIRER_ID: p.acquirer_id,
            Tag.PRIMARY_HOST: p.primary_host,
            Tag.PRIMARY_PORT: p.primary_port,
            Tag.BACKUP_HOST: p.backup_host,
            Tag.BACKUP_PORT: p.backup_port,
            Tag.TLS: p.tls,
            Tag.TPDU: bytes.fromhex(p.tpdu),
            Tag.HEADER_STATUS: int(enum_from_text(HeaderStatus, p.header_status)),
            Tag.COMM_MODE: int(enum_from_text(CommMode, p.comm_mode)),
            Tag.APN: p.apn,
            Tag.WIFI_SSID: p.wifi_ssid,
            Tag.DNS_PRIMARY: p.dns_primary,
            Tag.DNS_SECONDARY: p.dns_secondary,
            Tag.CONNECT_TIMEOUT: p.connect_timeout_s,
            Tag.RESPONSE_TIMEOUT: p.response_timeout_s,
            Tag.STAN: p.stan,
            Tag.BATCH: p.batch,
        }
        hw = scenario.hardware
        self.tampered = hw.tamper == "tampered"
        self.tmk: dict[int, bytes] = {} if self.tampered else {s.index: bytes.fromhex(s.key) for s in scenario.keys.tmk}
        self.working: dict[str, tuple[bytes, datetime | None]] = (
            {} if self.tampered else {w.type: (bytes.fromhex(w.key), w.loaded_at) for w in scenario.keys.working}
        )
        self.last_sign_on = None if self.tampered else scenario.keys.last_sign_on
        self.response_log = list(scenario.logs.response_codes)
        self.error_log = list(scenario.logs.errors)
        self.world = SimWorld(scenario)
        self.clock_offset = timedelta(seconds=hw.clock_offset_s)
        self.unsettled = scenario.counters.unsettled_transactions
        self.unsettled_amount = scenario.counters.unsettled_amount
        self.txn_log_used = scenario.counters.transaction_log_used  # emptied by a balanced settlement
        self.failed_logins = 0
        self.locked_until = 0.0
        self.busy_until = 0.0
        self.next_txn = 1
        self.printed: list[list[str]] = []
        self.commits = 0
        self.maint = MaintState()  # the serial line's maintenance session (survives reconnects, not reboots)

    def scenario_scheme(self) -> KeyScheme:
        return enum_from_text(KeyScheme, self.scenario.keys.scheme)

    def log(self, which: str, code: str, text: str) -> None:
        """Append to the terminal's response-code or error log, stamped with its own clock."""
        entry = LogEntry(time=self.now(), code=code, text=text)
        (self.response_log if which == "response" else self.error_log).append(entry)

    def close(self) -> None:
        """Stop what the terminal started around it (its acquirer's servers)."""
        self.world.close()

    def now(self) -> datetime:
        return (datetime.now() + self.clock_offset).replace(microsecond=0)

    def lockout_left(self) -> int:
        left = self.locked_until - time.monotonic()
        return max(0, int(left + 0.999))

    def link_state(self) -> LinkState:
        """The terminal's own data link as its modem or Wi-Fi module sees it, from its parameters and the network.

        Cellular: a SIM, registration with an operator, an APN, and the operator
        accepting a data session for that APN. Wi-Fi: a network name, the network
        in range, the stored password accepted. Then the network's ``link_up``.
        """
        p, net = self.params, self.scenario.network
        mode = p[Tag.COMM_MODE]
        if mode == CommMode.CELLULAR:
            cell = net.cellular
            if not cell.sim_present:
                return LinkState(False, LinkFailure.NO_SIM, "cellular mode without a SIM card")
            if not cell.registered:
                return LinkState(
                    False,
                    LinkFailure.NOT_REGISTERED,
                    "the SIM is not registered with a mobile network (no service)",
                    signal_dbm=cell.signal_dbm,
                )
            name, signal = cell.operator, cell.signal_dbm
            if not p[Tag.APN]:
                why = "cellular mode without an APN: the modem has no data connection"
                return LinkState(False, LinkFailure.NO_APN, why, name, signal)
            if cell.apn and p[Tag.APN].strip().lower() != cell.apn.strip().lower():
                return LinkState(
                    False,
                    LinkFailure.DATA_REJECTED,
                    f"registered with {name} ({signal} dBm), but the network refused the data session for APN "
                    f"'{p[Tag.APN]}' (PDP context rejected, ESM cause 27: missing or unknown APN): no IP address",
                    name,
                    signal,
                )
            if not net.link_up:
                return LinkState(False, LinkFailure.NO_CARRIER, "no network link", name, signal)
            return LinkState(True, LinkFailure.NONE, "", name, signal)
        if mode == CommMode.WIFI:
            wifi, ssid = net.wifi, p[Tag.WIFI_SSID]
            if not ssid:
                return LinkState(False, LinkFailure.NO_SSID, "Wi-Fi mode without a network name (SSID)")
            if not wifi.in_range:
                return LinkState(False, LinkFailure.SSID_NOT_FOUND, f"Wi-Fi network '{ssid}' not found (not in range)")
            if not wifi.password_accepted:
                return LinkState(
                    False,
                    LinkFailure.WIFI_AUTH_FAILED,
                    f"Wi-Fi network '{ssid}' found ({wifi.signal_dbm} dBm), but it refused the terminal's password "
                    "(4-way handshake failed): not associated",
                    ssid,
                    wifi.signal_dbm,
                )
            if not net.link_up:
                return LinkState(False, LinkFailure.NO_CARRIER, "no network link", ssid, wifi.signal_dbm)
            return LinkState(True, LinkFailure.NONE, "", ssid, wifi.signal_dbm)
        if not net.link_up:
            return LinkState(False, LinkFailure.NO_CARRIER, "no network link")
        return LinkState(True, LinkFailure.NONE, "")


class LinkState(NamedTuple):
    """The terminal's data link: up, or why not (COMM_TEST LINK_UP, LINK_FAILURE ... LINK_DETAIL)."""

    up: bool
    failure: LinkFailure
    detail: str  # empty while up
    network_name: str = ""  # the operator registered with, or the Wi-Fi network in range
    signal_dbm: int | None = None  # None: no radio, or nothing received


SendFn = Callable[[bytes], None]


class MaintState:
    """The terminal's maintenance session (docs/protocol.md §3.5): login, challenge, staged values, duplicate cache.

    On a serial line the terminal cannot see a laptop come or go (no modem lines), so this
    state belongs to the terminal, not to a cable connection: it ends only with LOGOUT, a
    failed or new LOGIN, REBOOT (volatile memory) or SESSION_TIMEOUT seconds without a
    request. A transport that does report its end (a TCP connection) gets a state of its own.
    """

    def __init__(self) -> None:
        self.logged_in = False
        self.challenge: bytes | None = None
        self.last_activity = time.monotonic()
        self.staged: dict[int, dict[Tag, Any]] = {}
        self.cache: tuple[int, bytes, bytes] | None = None  # seq, request, final response

    def end(self) -> None:
        """The session ends: no login, no challenge, nothing staged, no cached answer."""
        self.logged_in = False
        self.challenge = None
        self.staged.clear()
        self.cache = None


def _shared(name: str) -> property:
    return property(lambda s: getattr(s.state, name), lambda s, value: setattr(s.state, name, value))


class Session:
    """One stretch of serving a link; the maintenance state it works on is :class:`MaintState`."""

    logged_in = _shared("logged_in")
    challenge = _shared("challenge")
    last_activity = _shared("last_activity")
    staged = _shared("staged")

    def __init__(self, terminal: SimulatedTerminal, link: FrameLink, state: MaintState | None = None) -> None:
        self.t = terminal
        self.link = link
        # a serial line (pty, in-process cable) shares the terminal's one session across reconnects
        self.state = terminal.maint if state is None else state
        self.frames_received = 0
        self.host_traffic = False  # the laptop asked for HOST_EXCHANGE (SIGN_ON / SETTLE with HOST_TRAFFIC)
        self.handlers: dict[int, Callable[[Fields], list[tuple[Tag, Any]]]] = {
            Command.HELLO: self._hello,
            Command.LOGIN_CHALLENGE: self._challenge,
            Command.LOGIN: self._login,
            Command.LOGOUT: self._logout,
            Command.GET_IDENTITY: self._identity,
            Command.GET_PARAMETERS: self._parameters,
            Command.GET_KEY_STATUS: self._key_status,
            Command.GET_HARDWARE: self._hardware,
            Command.GET_COUNTERS: self._counters,
            Command.GET_LOG: self._log,
            Command.SELF_TEST: self._self_test,
            Command.CANCEL: lambda f: [],
            Command.PARAM_BEGIN: self._param_begin,
            Command.PARAM_STAGE: self._param_stage,
            Command.PARAM_COMMIT: self._param_commit,
            Command.PARAM_ABORT: self._param_abort,
            Command.SET_CLOCK: self._set_clock,
            Command.PRINT_TEXT: self._print_text,
            Command.REBOOT: self._reboot,
            Command.COMM_TEST: self._comm_test,
            Command.SIGN_ON: self._sign_on,
            Command.SETTLE: self._settle,
        }
        self._current: tuple[int, int, bytes] | None = None  # command, seq, raw request being handled
        self.reboot_pending: float | None = None

    # -- loop ------------------------------------------------------------------
    def serve(self, stop: threading.Event, on_frame: Callable[[int], bool] | None = None) -> None:
        """Answer requests until the link drops or ``stop`` is set.

        ``on_frame(count)`` is called for every frame received; returning False
        ends the session without answering (a fault: cable pulled).
        """
        while not stop.is_set():
            try:
                data = self.link.receive(0.2)
            except LinkTimeout:
                continue
            except Disconnected:
                return
            self.frames_received += 1
            if on_frame is not None and not on_frame(self.frames_received):
                return
            if time.monotonic() < self.t.busy_until:
                continue  # rebooting: nobody listens
            try:
                self.dispatch(data)
            except Disconnected:
                return

    def _send(self, command: int, seq: int, items, status: Status = Status.OK) -> bytes:
        raw = encode_message(command | RESPONSE_BIT, seq, items, status=status)
        if len(raw) > MAX_DATA_LEN:  # never happens with sane data; answer rather than stay silent
            raw = encode_message(
                command | RESPONSE_BIT,
                seq,
                [(Tag.ERROR_TEXT, f"answer of {len(raw)} bytes exceeds the frame limit")],
                status=Status.INTERNAL_ERROR,
            )
        try:
            self.link.send(raw)
        except (LinkTimeout, ProtocolError):
            pass  # the client will ask again with the same SEQ and get the cached answer
        return raw

    def dispatch(self, data: bytes) -> None:
        if len(data) < 3 or data[1] & RESPONSE_BIT:
            return  # too short to answer, or not a request
        if data[0] not in SUPPORTED_VERSIONS:
            # checked before the fields: a newer version's body need not parse as v1
            self._send(
                data[1],
                data[2],
                [
                    (Tag.ERROR_TEXT, f"protocol version {data[0]} not supported"),
                    (Tag.SUPPORTED_VERSIONS, bytes(SUPPORTED_VERSIONS)),
                ],
                Status.UNSUPPORTED_VERSION,
            )
            return
        try:
            msg = decode_message(data)
            if msg.status != Status.OK:
                raise ProtocolError(f"STATUS byte of a request must be 00, not {msg.status:02X}")
        except ProtocolError as err:
            self._send(data[1], data[2], [(Tag.ERROR_TEXT, f"malformed request: {err.message}")], Status.MALFORMED)
            return
        state = self.state
        now = time.monotonic()
        if now - state.last_activity > self.t.scenario.maintenance.session_timeout_s:
            # an unattended session lapses whole: login, challenge, staged values and the cached answer
            # (a late retry must not be answered with what only a login could read)
            state.end()
        state.last_activity = now
        if msg.command == Command.HELLO:
            state.cache = None  # HELLO starts a conversation: never answered from an earlier program's cache
        if state.cache and state.cache[0] == msg.seq and state.cache[1] == data:
            try:
                self.link.send(state.cache[2])  # a retry: answer again, do not act twice
            except (LinkTimeout, ProtocolError):
                pass
            return
        known = msg.command in Command._value2member_map_
        latency = self.t.scenario.link.command_latency_ms.get(
            Command(msg.command).name if known else "", self.t.scenario.link.processing_latency_ms
        )
        if latency:
            self.link.service(latency / 1000)
        handler = self.handlers.get(msg.command)
        self._current = (msg.command, msg.seq, data)
        try:
            if handler is None:
                raise Refusal(Status.UNKNOWN_COMMAND, f"unknown command 0x{msg.command:02X}")
            if msg.command not in NO_LOGIN_COMMANDS and not self.logged_in:
                raise Refusal(Status.LOGIN_REQUIRED, "log in to maintenance mode first")
            with self.t.lock:
                items = handler(msg.fields)
            raw = self._send(msg.command, msg.seq, items)
        except Refusal as r:
            items = [(Tag.ERROR_TEXT, r.text), *r.extra]
            if r.field is not None:
                items.append((Tag.ERROR_FIELD, int(r.field)))
            raw = self._send(msg.command, msg.seq, items, r.status)
        except (Disconnected, LinkTimeout):
            raise
        except Exception as err:  # a bug in the simulator must not look like a dead terminal
            text = f"internal error: {type(err).__name__}: {err}"[:200]
            raw = self._send(msg.command, msg.seq, [(Tag.ERROR_TEXT, text)], Status.INTERNAL_ERROR)
        state.cache = (msg.seq, data, raw)
        if self.reboot_pending is not None:  # the answer is out; now the terminal goes dark
            self.t.busy_until = time.monotonic() + self.reboot_pending
            self.reboot_pending = None
            state.end()  # RAM does not survive a restart: a REBOOT sent afterwards is a new request

    def progress(self, percent: int, text: str) -> None:
        assert self._current is not None
        cmd, seq, _ = self._current
        self._send(cmd, seq, [(Tag.PROGRESS_PCT, percent), (Tag.PROGRESS_TEXT, text)], Status.IN_PROGRESS)

    def wait_or_cancel(self, seconds: float) -> bool:
        """Let time pass while a test runs; True when the client sent CANCEL."""
        end = time.monotonic() + seconds
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return False
            try:
                data = self.link.receive(min(remaining, 0.05))
            except LinkTimeout:
                continue
            try:
                msg = decode_message(data)
            except ProtocolError:
                continue
            if msg.command == Command.CANCEL:
                self._send(msg.command, msg.seq, [])
                return True
            if self._current is not None and data == self._current[2]:
                continue  # the running request again (its ACK was lost): it is being answered
            self._send(msg.command, msg.seq, [(Tag.ERROR_TEXT, "a self-test is running")], Status.BUSY)

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _need(fields: Fields, tag: Tag) -> Any:
        if tag not in fields:
            raise Refusal(Status.MISSING_FIELD, f"field {tag.name} is required", tag)
        return fields.get(tag)

    def _refuse_if_tampered(self) -> None:
        """A tamper-locked terminal reads and reboots but acts on nothing (docs/protocol.md, TamperState).

        Refused: SELF_TEST, PARAM_BEGIN, SET_CLOCK, PRINT_TEXT, COMM_TEST, SIGN_ON, SETTLE.
        """
        if self.t.tampered:
            raise Refusal(Status.DEVICE_FAULT, "terminal is tamper-locked; keys erased, service required")

    # -- handlers --------------------------------------------------------------
    def _hello(self, f: Fields):
        offered = set(f.get(Tag.SUPPORTED_VERSIONS, b"\x01"))
        common = offered & set(SUPPORTED_VERSIONS)
        if not common:
            raise Refusal(
                Status.UNSUPPORTED_VERSION,
                f"no common protocol version (terminal speaks {list(SUPPORTED_VERSIONS)})",
                extra=[(Tag.SUPPORTED_VERSIONS, bytes(SUPPORTED_VERSIONS))],
            )
        return [
            (Tag.PROTOCOL_VERSION, max(common)),
            (Tag.MAX_FRAME, MAX_DATA_LEN),
            (Tag.LOGGED_IN, self.logged_in),
            (Tag.SESSION_TIMEOUT, self.t.scenario.maintenance.session_timeout_s),
        ]

    def _locked(self) -> None:
        left = self.t.lockout_left()
        if left:
            raise Refusal(
                Status.LOCKED_OUT,
                f"maintenance locked after too many wrong passwords; try again in {left} s",
                extra=[(Tag.LOCKOUT_SECONDS, left)],
            )

    def _challenge(self, f: Fields):
        self._locked()
        self.challenge = auth.new_nonce()
        m = self.t.scenario.maintenance
        return [
            (Tag.NONCE_TERMINAL, self.challenge),
            (Tag.SERIAL_NUMBER, self.t.scenario.identity.serial_number),
            (Tag.KDF_ITERATIONS, m.kdf_iterations),
        ]

    def _login(self, f: Fields):
        # any LOGIN ends the login in force first: after AUTH_FAILED nobody is logged in, whoever was before
        self.logged_in = False
        self.staged.clear()
        self._locked()
        if self.challenge is None:
            raise Refusal(Status.NO_CHALLENGE, "ask for a login challenge first")
        nonce_t, self.challenge = self.challenge, None  # one use only
        nonce_c = self._need(f, Tag.NONCE_CLIENT)
        proof = self._need(f, Tag.CLIENT_PROOF)
        # a malformed LOGIN is not a guess at the password: refused, no attempt counted
        if len(nonce_c) != auth.NONCE_LEN:
            why = f"NONCE_CLIENT must be {auth.NONCE_LEN} bytes, not {len(nonce_c)}"
            raise Refusal(Status.INVALID_VALUE, why, Tag.NONCE_CLIENT)
        if len(proof) != PROOF_LEN:
            why = f"CLIENT_PROOF must be {PROOF_LEN} bytes, not {len(proof)}"
            raise Refusal(Status.INVALID_VALUE, why, Tag.CLIENT_PROOF)
        m = self.t.scenario.maintenance
        key = auth.derive_key(m.password, self.t.scenario.identity.serial_number, m.kdf_iterations)
        if not auth.proofs_equal(proof, auth.client_proof(key, nonce_t, nonce_c)):
            self.t.failed_logins += 1
            left = m.max_attempts - self.t.failed_logins
            if left <= 0:
                self.t.failed_logins = 0
                self.t.locked_until = time.monotonic() + m.lockout_s
                self._locked()
            raise Refusal(
                Status.AUTH_FAILED,
                f"wrong maintenance password; {left} attempt(s) left",
                extra=[(Tag.ATTEMPTS_LEFT, left)],
            )
        self.t.failed_logins = 0
        self.logged_in = True
        return [(Tag.TERMINAL_PROOF, auth.terminal_proof(key, nonce_t, nonce_c))]

    def _logout(self, f: Fields):
        self.logged_in = False
        self.staged.clear()
        return []

    def _identity(self, f: Fields):
        i = self.t.scenario.identity
        return [
            (Tag.VENDOR, i.vendor),
            (Tag.MODEL, i.model),
            (Tag.SERIAL_NUMBER, i.serial_number),
            (Tag.HARDWARE_REVISION, i.hardware_revision),
            (Tag.OS_VERSION, i.os_version),
            (Tag.FIRMWARE_VERSION, i.firmware_version),
            (Tag.APP_NAME, i.app_name),
            (Tag.APP_VERSION, i.app_version),
            (Tag.EMV_CONTACT_KERNEL, i.emv_contact_kernel),
            (Tag.EMV_CONTACTLESS_KERNEL, i.emv_contactless_kernel),
        ]

    def _parameters(self, f: Fields):
        return list(self.t.params.items())

    def _key_status(self, f: Fields):
        k = self.t.scenario.keys
        items: list[tuple[Tag, Any]] = [(Tag.KEY_SCHEME, int(enum_from_text(KeyScheme, k.scheme)))]
        if k.active_tmk_index is not None:
            items.append((Tag.ACTIVE_TMK_INDEX, k.active_tmk_index))
        for index, key in sorted(self.t.tmk.items()):
            items.append(
                (
                    Tag.TMK_SLOT,
                    [
                        (Tag.SLOT_INDEX, index),
                        (Tag.KEY_LENGTH, len(key)),
                        (Tag.CHECK_VALUE, check_value(key)),
                    ],
                )
            )
        for name, (key, loaded) in self.t.working.items():
            entry = [(Tag.KEY_TYPE, int(enum_from_text(KeyType, name))), (Tag.CHECK_VALUE, check_value(key))]
            if loaded is not None:
                entry.append((Tag.LOADED_AT, loaded))
            items.append((Tag.WORKING_KEY, entry))
        if k.ksn:
            items.append((Tag.KSN, bytes.fromhex(k.ksn)))
        if self.t.last_sign_on is not None:
            items.append((Tag.LAST_SIGN_ON, self.t.last_sign_on))
        return items

    def _hardware(self, f: Fields):
        h = self.t.scenario.hardware
        b = h.battery
        items: list[tuple[Tag, Any]] = [
            (Tag.PRINTER_STATE, int(enum_from_text(DeviceState, h.printer))),
            (Tag.PRINTER_PAPER, int(enum_from_text(PaperState, h.paper))),
            (Tag.PRINTER_COVER, int(enum_from_text(CoverState, h.cover))),
            (Tag.PRINTER_HEAD_TEMP, h.head_temp_c),
            (Tag.MAGSTRIPE_STATE, int(enum_from_text(DeviceState, h.magstripe))),
            (Tag.IC_STATE, int(enum_from_text(DeviceState, h.ic_reader))),
            (Tag.CONTACTLESS_STATE, int(enum_from_text(DeviceState, h.contactless))),
            (Tag.KEYPAD_STATE, int(enum_from_text(DeviceState, h.keypad))),
            (Tag.DISPLAY_STATE, int(enum_from_text(DeviceState, h.display))),
            (Tag.BATTERY_PRESENT, b.present),
        ]
        if b.present:
            items += [
                (Tag.BATTERY_LEVEL, b.level_pct),
                (Tag.BATTERY_HEALTH, b.health_pct),
                (Tag.BATTERY_CYCLES, b.cycles),
            ]
        items += [
            (Tag.CHARGING, b.charging),
            (Tag.STORAGE_TOTAL_KB, h.storage_total_kb),
            (Tag.STORAGE_FREE_KB, h.storage_free_kb),
            (Tag.TAMPER_STATE, int(TamperState.TAMPERED if self.t.tampered else TamperState.OK)),
            (Tag.CLOCK, self.t.now()),
        ]
        return items + radio_items(self.t)

    def _counters(self, f: Fields):
        c = self.t.scenario.counters
        return [
            (Tag.UNSETTLED_COUNT, self.t.unsettled),
            (Tag.PENDING_REVERSAL, c.pending_reversal),
            (Tag.TXN_LOG_USED, self.t.txn_log_used),
            (Tag.TXN_LOG_CAPACITY, c.transaction_log_capacity),
        ]

    def _log(self, f: Fields):
        kind = self._need(f, Tag.LOG_KIND)
        offset = f.get(Tag.LOG_OFFSET, 0)
        if kind == LogKind.RESPONSE_CODES:
            entries = self.t.response_log
        elif kind == LogKind.ERRORS:
            entries = self.t.error_log
        else:
            raise Refusal(Status.INVALID_VALUE, f"unknown log kind {kind}", Tag.LOG_KIND)
        if offset > len(entries):
            raise Refusal(Status.INVALID_VALUE, f"offset {offset} beyond the {len(entries)} entries", Tag.LOG_OFFSET)
        items: list[tuple[Tag, Any]] = [(Tag.LOG_TOTAL, len(entries)), (Tag.LOG_OFFSET, offset)]
        size = 4 + len(encode_fields(items)) + 16  # header, fields so far, margin
        for entry in entries[offset:]:
            item = (
                Tag.LOG_ENTRY,
                [(Tag.ENTRY_TIME, entry.time), (Tag.ENTRY_CODE, entry.code), (Tag.ENTRY_TEXT, entry.text)],
            )
            grown = len(encode_fields([item]))
            if size + grown > MAX_DATA_LEN:
                break
            items.append(item)
            size += grown
        return items

    def _self_test(self, f: Fields):
        self._refuse_if_tampered()
        try:
            kind = TestKind(self._need(f, Tag.TEST_KIND))
        except ValueError:
            raise Refusal(Status.INVALID_VALUE, "unknown self-test", Tag.TEST_KIND) from None
        timeout = f.get(Tag.TEST_TIMEOUT, 30)
        if not 1 <= timeout <= 600:
            raise Refusal(Status.INVALID_VALUE, "test timeout must be 1..600 s", Tag.TEST_TIMEOUT)
        # a test holds the terminal; release the state lock so other sessions are not stuck
        self.t.lock.release()
        try:
            return {TestKind.PRINTER: self._printer_test, TestKind.CARD_READER: self._card_test}.get(
                kind, self._keypad_test
            )(timeout)
        finally:
            self.t.lock.acquire()

    def _result(self, result: TestResult, detail: str, *extra) -> list[tuple[Tag, Any]]:
        return [(Tag.TEST_RESULT, int(result)), (Tag.TEST_DETAIL, detail), *extra]

    def _printer_problem(self) -> str | None:
        h = self.t.scenario.hardware
        if h.printer != "ok":
            return f"printer {h.printer}"
        if h.paper == "out":
            return "printer out of paper"
        if h.cover == "open":
            return "printer cover open"
        if h.head_temp_c >= PRINTER_OVERHEAT_C:
            return f"print head overheated ({h.head_temp_c} °C); let it cool down"
        return None

    def _printer_test(self, timeout: int):
        problem = self._printer_problem()
        if problem:
            return self._result(TestResult.FAIL, problem)
        duration = self.t.scenario.self_tests.printer.duration_s
        steps = max(1, int(duration / PROGRESS_INTERVAL))
        for i in range(steps):
            self.progress(int(100 * i / steps), "printing test page")
            if self.wait_or_cancel(duration / steps):
                return self._result(TestResult.CANCELLED, "cancelled by the operator")
        self.t.printed.append(["*** PRINTER TEST ***", self.t.now().strftime("%Y-%m-%d %H:%M:%S")])
        return self._result(TestResult.PASS, "test page printed")

    def _wait_for_person(self, timeout: int, after: float | None, prompt: str) -> TestResult | None:
        """Count down until the scenario's person acts; None when they did, else the result."""
        start = time.monotonic()
        while True:
            elapsed = time.monotonic() - start
            if after is not None and elapsed >= after:
                return None
            if elapsed >= timeout:
                return TestResult.NO_INPUT
            left = timeout - elapsed
            self.progress(int(100 * elapsed / timeout), f"{prompt} ({int(left + 0.999)} s left)")
            step = min(PROGRESS_INTERVAL, left, (after - elapsed) if after is not None else left)
            if self.wait_or_cancel(max(step, 0.01)):
                return TestResult.CANCELLED

    def _card_test(self, timeout: int):
        spec = self.t.scenario.self_tests.card_reader
        outcome = self._wait_for_person(timeout, spec.present_after_s, "present a card: swipe, insert or tap")
        if outcome is not None:
            detail = "no card presented" if outcome == TestResult.NO_INPUT else "cancelled by the operator"
            return self._result(outcome, detail)
        card = enum_from_text(CardType, spec.card)
        reader = {"magstripe": "magstripe", "ic": "ic_reader", "contactless": "contactless"}[spec.card]
        state = getattr(self.t.scenario.hardware, reader)
        if state != "ok":
            return self._result(
                TestResult.FAIL, f"{spec.card} reader {state}: card not read", (Tag.CARD_TYPE, int(card))
            )
        if card == CardType.MAGSTRIPE:
            tracks = sorted(set(spec.tracks))
            extra = [(Tag.CARD_TYPE, int(card)), (Tag.CARD_TRACKS, bytes(tracks))]
            if 2 not in tracks:
                read = ", ".join(map(str, tracks)) or "none"
                return self._result(TestResult.FAIL, f"track 2 not read (tracks read: {read})", *extra)
            return self._result(TestResult.PASS, f"tracks {', '.join(map(str, tracks))} read", *extra)
        return self._result(
            TestResult.PASS, f"{spec.card} card answered (ATR/ATQ received)", (Tag.CARD_TYPE, int(card))
        )

    def _keypad_test(self, timeout: int):
        spec = self.t.scenario.self_tests.keypad
        outcome = self._wait_for_person(timeout, spec.press_after_s, "press every key once")
        if outcome is not None:
            detail = "no keys pressed" if outcome == TestResult.NO_INPUT else "cancelled by the operator"
            return self._result(outcome, detail)
        if self.t.scenario.hardware.keypad != "ok":
            return self._result(TestResult.FAIL, "keypad does not respond", (Tag.KEYS_MISSING, KEYPAD_KEYS))
        missing = "".join(k for k in KEYPAD_KEYS if k in spec.stuck_keys)
        seen = "".join(k for k in KEYPAD_KEYS if k not in missing)
        extra = [(Tag.KEYS_SEEN, seen), (Tag.KEYS_MISSING, missing)]
        if missing:
            return self._result(TestResult.FAIL, f"keys not registered: {' '.join(missing)}", *extra)
        return self._result(TestResult.PASS, "all keys registered", *extra)

    def _txn(self, f: Fields) -> dict[Tag, Any]:
        txn = self._need(f, Tag.TXN_ID)
        if txn not in self.staged:
            raise Refusal(Status.NO_TRANSACTION, f"no open parameter transaction {txn}", Tag.TXN_ID)
        return self.staged[txn]

    def _refuse_if_unsettled(self) -> None:
        if self.t.unsettled:
            raise Refusal(
                Status.UNSETTLED_TRANSACTIONS,
                f"{self.t.unsettled} unsettled transaction(s): settle the batch before changing parameters",
                extra=[(Tag.UNSETTLED_COUNT, self.t.unsettled)],
            )

    def _param_begin(self, f: Fields):
        self._refuse_if_tampered()
        self._refuse_if_unsettled()
        txn = self.t.next_txn
        self.t.next_txn += 1
        self.staged = {txn: {}}  # one open transaction per session
        return [(Tag.TXN_ID, txn)]

    def _param_stage(self, f: Fields):
        staged = self._txn(f)
        changes = [(tag, value) for tag, value in f if tag != Tag.TXN_ID]
        if not changes:
            raise Refusal(Status.MISSING_FIELD, "no parameters to stage")
        tags = [tag for tag, _ in changes]
        for tag in tags:
            if tags.count(tag) > 1:
                raise Refusal(Status.INVALID_VALUE, f"{tag.name} given more than once", tag)
        for tag, value in changes:
            if tag not in WRITABLE_PARAMETERS:
                raise Refusal(Status.INVALID_VALUE, f"{tag.name} is not a writable parameter", tag)
            problem = validate_parameter(tag, value)
            if problem:
                raise Refusal(Status.INVALID_VALUE, problem, tag)
        staged.update(changes)
        return [(Tag.TXN_ID, self._need(f, Tag.TXN_ID))]

    def _param_commit(self, f: Fields):
        staged = self._txn(f)
        self._refuse_if_unsettled()
        merged = {**self.t.params, **staged}
        problem = validate_parameter_set(merged)
        if problem:
            raise Refusal(Status.INVALID_VALUE, problem[1], problem[0])
        self.t.params = merged  # one assignment: all or nothing
        self.t.commits += 1
        self.staged.clear()
        return []

    def _param_abort(self, f: Fields):
        self._txn(f)
        self.staged.clear()
        return []

    def _set_clock(self, f: Fields):
        self._refuse_if_tampered()
        text = self._need(f, Tag.CLOCK)
        try:
            when = datetime.strptime(text, TIME_FORMAT)
        except ValueError:
            raise Refusal(Status.INVALID_VALUE, f"{text} is not a valid date and time", Tag.CLOCK) from None
        if not 2000 <= when.year <= 2099:
            raise Refusal(Status.INVALID_VALUE, "year must be 2000..2099", Tag.CLOCK)
        # keep the sub-second part: a clock set to hh:mm:ss reads hh:mm:ss right after, as a real RTC does
        self.t.clock_offset = when - datetime.now()
        return []

    def _print_text(self, f: Fields):
        self._refuse_if_tampered()  # a locked device prints nothing (no slip can pass for a receipt)
        lines = f.all(Tag.TEXT_LINE)
        if not lines:
            raise Refusal(Status.MISSING_FIELD, "nothing to print", Tag.TEXT_LINE)
        if len(lines) > MAX_PRINT_LINES:
            raise Refusal(Status.INVALID_VALUE, f"at most {MAX_PRINT_LINES} lines per request", Tag.TEXT_LINE)
        problem = self._printer_problem()
        if problem:
            raise Refusal(Status.DEVICE_FAULT, problem)
        page: list[str] = []
        for line in lines:
            page += [line[i : i + PRINTER_COLUMNS] for i in range(0, max(len(line), 1), PRINTER_COLUMNS)]
        self.link.service(PRINT_SECONDS_PER_LINE * len(page))
        self.t.printed.append(page)
        return []

    def _reboot(self, f: Fields):
        seconds = self.t.scenario.link.reboot_s
        self.reboot_pending = seconds
        self.logged_in = False
        self.challenge = None
        self.staged.clear()
        return [(Tag.REBOOT_SECONDS, int(seconds + 0.999))]

    # -- host link ---------------------------------------------------------------------
    def wait_serviced(self, seconds: float) -> None:
        """Let ``seconds`` pass while keeping the line alive: ACKs, and progress for the laptop."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.link.service(min(left, PROGRESS_INTERVAL))
            if end - time.monotonic() > 0:
                self.progress(0, "waiting for the network")

    def _comm_test(self, f: Fields):
        self._refuse_if_tampered()
        self.t.lock.release()  # network waits must not block other users of the terminal state
        try:
            return hostside.comm_test(self)
        finally:
            self.t.lock.acquire()

    def _sign_on(self, f: Fields):
        self._refuse_if_tampered()
        self.host_traffic = bool(f.get(Tag.HOST_TRAFFIC, False))  # HOST_EXCHANGE in the answer (hostside)
        self.t.lock.release()
        try:
            return hostside.sign_on(self)
        finally:
            self.t.lock.acquire()

    def _settle(self, f: Fields):
        self._refuse_if_tampered()
        self.host_traffic = bool(f.get(Tag.HOST_TRAFFIC, False))
        self.t.lock.release()
        try:
            return hostside.settle(self)
        finally:
            self.t.lock.acquire()


def csq_from_rssi(rssi_dbm: int) -> int:
    """3GPP TS 27.007 §8.5 +CSQ: 0 = -113 dBm or less, 1 = -111 dBm, 2..30 = -109..-53 dBm, 31 = -51 dBm or more."""
    return max(0, min(31, (rssi_dbm + 113) // 2))


def radio_items(t) -> list:
    """GET_HARDWARE's modem fields for a cellular terminal with a SIM (issue 17); nothing otherwise."""
    if t.params[Tag.COMM_MODE] != CommMode.CELLULAR or not t.scenario.network.cellular.sim_present:
        return []
    cell = t.scenario.network.cellular
    kind = {"gsm": RadioType.GSM, "wcdma": RadioType.WCDMA, "lte": RadioType.LTE}[cell.radio]
    items = [(Tag.RADIO_TYPE, int(kind)), (Tag.SIGNAL_DBM, cell.signal_dbm), (Tag.CSQ, csq_from_rssi(cell.signal_dbm))]
    if kind == RadioType.LTE:
        items.append((Tag.RSRP_DBM, cell.rsrp_dbm))
    return items
