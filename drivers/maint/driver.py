"""The ``cup-maint`` driver: the maintenance protocol over ECR framing."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from .. import transport
from ..base import CAPABILITIES, ProgressFn, TerminalDriver, TraceFn
from ..errors import (
    AuthenticationFailed,
    Disconnected,
    LinkTimeout,
    LockedOut,
    ProtocolError,
    RefusedByTerminal,
    TerminalError,
)
from ..framing import FrameLink
from ..models import (
    CommTestResult,
    Counters,
    Hardware,
    HelloInfo,
    HostExchange,
    HostReach,
    Identity,
    KeyStatus,
    LogEntry,
    Parameters,
    Progress,
    SelfTestResult,
    SettlementResult,
    SignOnCheck,
    SignOnResult,
    TmkSlot,
    WorkingKey,
)
from . import auth
from .protocol import (
    PROTOCOL_VERSION,
    RESPONSE_BIT,
    SUPPORTED_VERSIONS,
    TIME_FORMAT,
    TIME_UNSET,
    CardType,
    Command,
    CommMode,
    CommOutcome,
    CoverState,
    DeviceState,
    Fields,
    HeaderStatus,
    HostRole,
    KeyScheme,
    KeyType,
    LinkFailure,
    LogKind,
    PaperState,
    RadioType,
    Reconciliation,
    Status,
    Tag,
    TamperState,
    TestKind,
    TestResult,
    TlsOutcome,
    decode_message,
    encode_message,
    enum_from_text,
    enum_text,
)

#: Seconds to wait for the answer to an ordinary request (after its ACK).
RESPONSE_TIMEOUT = 5.0
#: A request whose answer never comes is sent again (same SEQ, so the terminal
#: answers from its cache instead of executing twice) this many times in all.
REQUEST_TRIES = 2
#: Most log entries read_log() keeps (the newest ones); a terminal's logs hold a few hundred.
MAX_LOG_ENTRIES = 2000
#: Seconds close() waits for the LOGOUT's answer (one try): leaving must not hang on a dead link.
LOGOUT_TIMEOUT = 1.0
#: Longest silence accepted during a host operation: the terminal sends progress at least every
#: 0.5 s while it waits on the network, and a TLS handshake takes at most 5 s without progress.
HOST_SILENCE_GRACE = 10.0
#: Extra seconds granted beyond a self-test's own timeout before giving up.
SELF_TEST_GRACE = 5.0

#: Parameter name (as in :class:`Parameters`) -> tag.
PARAMETER_TAGS: dict[str, Tag] = {
    "tid": Tag.TID,
    "mid": Tag.MID,
    "merchant_name": Tag.MERCHANT_NAME,
    "acquirer_id": Tag.ACQUIRER_ID,
    "primary_host": Tag.PRIMARY_HOST,
    "primary_port": Tag.PRIMARY_PORT,
    "backup_host": Tag.BACKUP_HOST,
    "backup_port": Tag.BACKUP_PORT,
    "tls": Tag.TLS,
    "tpdu": Tag.TPDU,
    "header_status": Tag.HEADER_STATUS,
    "comm_mode": Tag.COMM_MODE,
    "apn": Tag.APN,
    "wifi_ssid": Tag.WIFI_SSID,
    "dns_primary": Tag.DNS_PRIMARY,
    "dns_secondary": Tag.DNS_SECONDARY,
    "connect_timeout_s": Tag.CONNECT_TIMEOUT,
    "response_timeout_s": Tag.RESPONSE_TIMEOUT,
    "stan": Tag.STAN,
    "batch": Tag.BATCH,
}
_TAG_PARAMETER = {tag: name for name, tag in PARAMETER_TAGS.items()}

#: What the laptop was doing when a request failed, as a stable id for the error's ``action_id``.
_ACTION_ID = {
    Command.HELLO: "greet",
    Command.LOGIN_CHALLENGE: "login",
    Command.LOGIN: "login",
    Command.LOGOUT: "logout",
    Command.GET_IDENTITY: "read-identity",
    Command.GET_PARAMETERS: "read-parameters",
    Command.GET_KEY_STATUS: "read-keys",
    Command.GET_HARDWARE: "read-hardware",
    Command.GET_COUNTERS: "read-counters",
    Command.GET_LOG: "read-log",
    Command.SELF_TEST: "self-test",
    Command.PARAM_BEGIN: "write-parameters",
    Command.PARAM_STAGE: "write-parameters",
    Command.PARAM_COMMIT: "write-parameters",
    Command.PARAM_ABORT: "write-parameters",
    Command.SET_CLOCK: "set-clock",
    Command.PRINT_TEXT: "print",
    Command.REBOOT: "reboot",
    Command.COMM_TEST: "comm-test",
    Command.SIGN_ON: "sign-on",
}


def _action_id(command: Command) -> str:
    name = getattr(command, "name", None)
    return _ACTION_ID.get(command) or (name.lower().replace("_", "-") if name else f"command-{int(command):02x}")


def _merged(ids: dict[str, Any], err: TerminalError) -> dict[str, Any]:
    """The request's action ids with the lower layer's parameters kept."""
    return {"action_id": ids["action_id"], "params": {**err.params, **ids["params"]}}


def parameter_to_wire(name: str, value: Any) -> tuple[Tag, Any]:
    """Convert a model value ("test", "6000030000") to its wire value; ValueError names the problem."""
    if name not in PARAMETER_TAGS:
        raise ValueError(f"unknown parameter {name!r}; known: {', '.join(PARAMETER_TAGS)}")
    tag = PARAMETER_TAGS[name]
    if name == "tpdu":
        text = str(value)
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"tpdu must be 10 hex digits, got {text!r}") from None
        if len(raw) != 5:
            raise ValueError(f"tpdu must be 10 hex digits (5 bytes), got {text!r}")
        return tag, raw
    if name == "header_status":
        return tag, int(enum_from_text(HeaderStatus, value))
    if name == "comm_mode":
        return tag, int(enum_from_text(CommMode, value))
    if name == "tls":
        if not isinstance(value, bool):
            raise ValueError(f"tls must be true or false, got {value!r}")
        return tag, value
    if name in ("primary_port", "backup_port", "connect_timeout_s", "response_timeout_s", "stan", "batch"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
        return tag, value
    return tag, str(value)


def _time(text: str | None) -> datetime | None:
    """A TIME field; None when absent or all zeros (the terminal's "not set")."""
    return datetime.strptime(text, TIME_FORMAT) if text and text != TIME_UNSET else None


def _epoch_ms() -> int:
    """The laptop's clock in Unix milliseconds (dates a HOST_EXCHANGE's offsets)."""
    return time.time_ns() // 1_000_000


class MaintenanceDriver(TerminalDriver):
    """Blocking client of the maintenance protocol.

    Args:
        port: a port name or URL (opened here) or an already open byte port.
        baudrate: line speed for real serial ports.
        response_timeout: seconds to wait for an ordinary answer.
        trace: ``trace(direction, kind, raw)`` sees every byte sequence on the link.
    """

    name = "cup-maint"
    display_name = "CUP maintenance"
    #: everything the maintenance protocol has: every reading and action except those it has no command for
    #: (its terminals report their state through the hardware reading; they initialise and register by sign-on)
    capabilities = CAPABILITIES - {"device-status", "initialise", "register"}

    def __init__(
        self,
        port: Any,
        *,
        baudrate: int = transport.DEFAULT_BAUDRATE,
        response_timeout: float = RESPONSE_TIMEOUT,
        trace: TraceFn | None = None,
        client_name: str = "techapp",
    ) -> None:
        self.port_name = port if isinstance(port, str) else getattr(port, "name", repr(port))
        self._port = transport.open_port(port, baudrate) if isinstance(port, str) else port
        self._link = FrameLink(self._port, trace=trace)
        self.response_timeout = response_timeout
        self.client_name = client_name
        self._seq = 0
        self._closed = False
        self._identity: Identity | None = None
        self._greeted = False  # HELLO answered on this port (since opening it or since a REBOOT)
        self._quiet_until = 0.0  # monotonic time before which nothing is sent (a REBOOT's REBOOT_SECONDS)
        self._logged_in = False  # a LOGIN succeeded and no LOGOUT/REBOOT since: close() logs out
        self._busy = 0  # requests in progress (another thread closing meanwhile does not talk on the link)
        self.logout_owed = False  # close() had to skip the LOGOUT (a request was in progress in another thread)

    # -- plumbing ----------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return not self._closed

    @property
    def link_stats(self) -> dict[str, int]:
        return dict(self._link.stats)

    @property
    def baudrate(self) -> int | None:
        """The line speed of the open port (None for a port without one)."""
        return getattr(self._port, "baudrate", None)

    @property
    def logged_in(self) -> bool:
        """True after a successful LOGIN until LOGOUT, REBOOT or the link closes."""
        return self._logged_in and not self._closed

    def close(self) -> None:
        """Log out when logged in (one short try: the login must not outlive the program), then close the port.

        A serial line cannot tell the terminal that the laptop left, so a login left open would
        stay until the terminal's session time-out; the next program on the port could then write
        parameters without the password. When another thread is in a request (a shutdown ending a
        blocked read) the port is closed without the LOGOUT.
        """
        if self._closed:
            return
        if self._logged_in and not self._busy:
            try:
                self._request(Command.LOGOUT, action="logging out of maintenance mode", timeout=LOGOUT_TIMEOUT, tries=1)
            except Exception:  # noqa: BLE001 - the link is going anyway; the terminal's time-out ends the login
                pass
        elif self._logged_in:
            # closed under a request in progress: the owner may log out on a new connection afterwards (on a
            # serial line the login is the terminal's and outlives the connection; LOGOUT needs no login)
            self.logout_owed = True
        self._logged_in = False
        self._closed = True
        try:
            self._port.close()
        except Exception:  # closing a port whose cable is gone may fail; it is closed anyway
            pass

    def _next_seq(self) -> int:
        self._seq = self._seq % 255 + 1
        return self._seq

    def _request(
        self,
        command: Command,
        items: list[tuple[Tag, Any]] | None = None,
        *,
        action: str,
        timeout: float | None = None,
        on_progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        action_params: dict[str, Any] | None = None,
        tries: int | None = None,
    ) -> Fields:
        ids: dict[str, Any] = {"action_id": _action_id(command), "params": dict(action_params or {})}
        if self._closed:
            raise Disconnected("the link is closed", action=action, msg_id="link-closed", **ids)
        # client rules (docs/protocol.md §3.5): silence during a reboot, HELLO before anything else
        while (quiet := self._quiet_until - time.monotonic()) > 0:
            time.sleep(min(quiet, 0.5))
        if command != Command.HELLO and not self._greeted:
            try:
                self._hello(action)  # a failure here is the failure of what the caller asked for
            except TerminalError as err:
                err.action_id = ids["action_id"]  # said as what the caller asked for (techapp.errors)
                err.params = {**err.params, **ids["params"]}
                raise
        seq = self._next_seq()
        raw = encode_message(command, seq, items or [])
        timeout = self.response_timeout if timeout is None else timeout
        if tries is None:
            tries = 1 if on_progress is not None or cancel is not None else REQUEST_TRIES
        self._busy += 1
        try:
            for attempt in range(tries):
                self._link.send(raw)
                try:
                    return self._await_response(command, seq, timeout, on_progress, cancel, action, ids)
                except LinkTimeout:
                    if attempt + 1 == tries:
                        raise
                    self._link.discard_input()
            raise AssertionError("unreachable")
        except Disconnected as err:
            self.close()
            raise Disconnected(err.message, action=action, msg_id=err.msg_id, **_merged(ids, err)) from err
        except LinkTimeout as err:
            noise = self._link.stats["garbage_bytes"]
            ids["params"].update(noise_bytes=noise, baud=getattr(self._port, "baudrate", None))
            raise LinkTimeout(
                f"the terminal did not answer ({err.message}){self._noise_hint()}",
                action=action,
                msg_id="no-answer-noise" if noise else "no-answer",
                **ids,
            ) from err
        except ProtocolError as err:
            raise ProtocolError(err.message, action=action, msg_id=err.msg_id, **_merged(ids, err)) from err
        finally:
            self._busy -= 1

    def _await_response(
        self,
        command: Command,
        seq: int,
        timeout: float,
        on_progress: ProgressFn | None,
        cancel: threading.Event | None,
        action: str,
        ids: dict[str, Any] | None = None,
    ) -> Fields:
        ids = ids or {"action_id": _action_id(command), "params": {}}
        deadline = time.monotonic() + timeout
        cancel_sent = False
        while True:
            if cancel is not None and cancel.is_set() and not cancel_sent:
                cancel_sent = True
                self._link.send(encode_message(Command.CANCEL, self._next_seq()))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkTimeout(f"no answer within {timeout:g} s")
            try:
                data = self._link.receive(min(remaining, 0.1) if cancel is not None else remaining)
            except LinkTimeout:
                continue
            msg = decode_message(data)
            if msg.command == Command.CANCEL | RESPONSE_BIT:
                continue
            if msg.command != command | RESPONSE_BIT or msg.seq != seq:
                continue  # a late answer to an earlier request; ignore it
            if msg.status == Status.IN_PROGRESS:
                if on_progress is not None:
                    on_progress(Progress(msg.fields.get(Tag.PROGRESS_PCT, 0), msg.fields.get(Tag.PROGRESS_TEXT, "")))
                deadline = time.monotonic() + timeout
                continue
            if msg.status != Status.OK:
                raise self._error_for(msg.status, msg.fields, action, ids)
            return msg.fields

    def _noise_hint(self) -> str:
        """Bytes that never made a frame point at the line settings, not at the terminal."""
        noise = self._link.stats["garbage_bytes"]
        if not noise:
            return ""
        baud = getattr(self._port, "baudrate", None)
        rate = f" (this port is at {baud} baud)" if baud else ""
        return f"; {noise} bytes of noise arrived instead: check the baud rate{rate} and the cable"

    @staticmethod
    def _error_for(status: int, fields: Fields, action: str, ids: dict[str, Any]) -> TerminalError:
        text = fields.get(Tag.ERROR_TEXT, "")
        if status == Status.AUTH_FAILED:
            left = fields.get(Tag.ATTEMPTS_LEFT)
            params = {**ids["params"], "attempts_left": left}
            return AuthenticationFailed(
                text or "wrong maintenance password",
                attempts_left=left,
                action=action,
                action_id=ids["action_id"],
                params=params,
            )
        if status == Status.LOCKED_OUT:
            secs = fields.get(Tag.LOCKOUT_SECONDS)
            params = {**ids["params"], "seconds_left": secs}
            return LockedOut(
                text or "maintenance mode is locked",
                seconds_left=secs,
                action=action,
                action_id=ids["action_id"],
                params=params,
            )
        try:
            name = Status(status).name
        except ValueError:
            name = f"0x{status:02X}"
        field_code = fields.get(Tag.ERROR_FIELD)
        field_name = None
        if field_code is not None:
            try:
                tag = Tag(field_code)
                field_name = _TAG_PARAMETER.get(tag, tag.name.lower())
            except ValueError:
                field_name = f"tag 0x{field_code:02X}"
        message = text or name.lower().replace("_", " ")
        params = {**ids["params"], "code_name": name, "field": field_name}
        return RefusedByTerminal(
            message,
            code=status,
            code_name=name,
            field=field_name,
            action=action,
            msg_id=f"refused-{name.lower().replace('_', '-')}",
            action_id=ids["action_id"],
            params=params,
        )

    # -- session -----------------------------------------------------------
    def hello(self) -> HelloInfo:
        return self._hello("greeting the terminal")

    def _hello(self, action: str) -> HelloInfo:
        f = self._request(
            Command.HELLO,
            [(Tag.SUPPORTED_VERSIONS, bytes(SUPPORTED_VERSIONS)), (Tag.CLIENT_NAME, self.client_name)],
            action=action,
        )
        version = f.require(Tag.PROTOCOL_VERSION, "HELLO response")
        if version != PROTOCOL_VERSION:
            raise ProtocolError(
                f"terminal chose protocol version {version}",
                action=action,
                msg_id="protocol-version",
                action_id="greet",
                params={"version": version},
            )
        info = HelloInfo(
            protocol_version=version,
            max_frame=f.get(Tag.MAX_FRAME, 0),
            logged_in=f.get(Tag.LOGGED_IN, False),
            session_timeout_s=f.get(Tag.SESSION_TIMEOUT),
        )
        self._greeted = True
        return info

    def identity(self) -> Identity:
        f = self._request(Command.GET_IDENTITY, action="reading the terminal identity")
        self._identity = Identity(
            vendor=f.get(Tag.VENDOR, ""),
            model=f.get(Tag.MODEL, ""),
            serial_number=f.require(Tag.SERIAL_NUMBER, "identity"),
            hardware_revision=f.get(Tag.HARDWARE_REVISION, ""),
            os_version=f.get(Tag.OS_VERSION, ""),
            firmware_version=f.get(Tag.FIRMWARE_VERSION, ""),
            app_name=f.get(Tag.APP_NAME, ""),
            app_version=f.get(Tag.APP_VERSION, ""),
            emv_contact_kernel=f.get(Tag.EMV_CONTACT_KERNEL, ""),
            emv_contactless_kernel=f.get(Tag.EMV_CONTACTLESS_KERNEL, ""),
        )
        return self._identity

    def login(self, password: str) -> None:
        action = "logging in to maintenance mode"
        challenge = self._request(Command.LOGIN_CHALLENGE, action=action)
        nonce_t = challenge.require(Tag.NONCE_TERMINAL, "login challenge")
        serial = challenge.require(Tag.SERIAL_NUMBER, "login challenge")
        iterations = challenge.get(Tag.KDF_ITERATIONS, auth.DEFAULT_KDF_ITERATIONS)
        if len(nonce_t) != auth.NONCE_LEN or not 1 <= iterations <= auth.MAX_KDF_ITERATIONS:
            raise ProtocolError(
                "login challenge has a bad nonce or iteration count",
                action=action,
                msg_id="login-proof-bad",
                action_id="login",
            )
        floor = auth.kdf_floor()
        if iterations < floor:
            # answering would hand out a proof that gives the password away to offline guessing
            raise ProtocolError(
                f"the terminal asked for a key derivation of only {iterations} PBKDF2 iterations; this laptop "
                f"answers no fewer than {floor} (protocol minimum {auth.MIN_KDF_ITERATIONS}; "
                f"${auth.KDF_FLOOR_ENV} raises it), so no login proof was sent: the device on this port may not "
                "be a genuine terminal",
                action=action,
                msg_id="kdf-too-weak",
                action_id="login",
                params={"iterations": iterations, "floor": floor},
            )
        key = auth.derive_key(password, serial, iterations)
        nonce_c = auth.new_nonce()
        answer = self._request(
            Command.LOGIN,
            [
                (Tag.NONCE_CLIENT, nonce_c),
                (Tag.CLIENT_PROOF, auth.client_proof(key, nonce_t, nonce_c)),
            ],
            action=action,
        )
        # the terminal holds the login from here on, whatever follows: close() must log out
        self._logged_in = True
        proof = answer.require(Tag.TERMINAL_PROOF, "login response")
        if not auth.proofs_equal(proof, auth.terminal_proof(key, nonce_t, nonce_c)):
            raise ProtocolError(
                "the terminal accepted the login but could not prove it knows the password",
                action=action,
                msg_id="login-proof-bad",
                action_id="login",
            )

    def logout(self) -> None:
        try:
            self._request(Command.LOGOUT, action="logging out of maintenance mode")
        finally:
            self._logged_in = False

    # -- reads ---------------------------------------------------------------
    def parameters(self) -> Parameters:
        f = self._request(Command.GET_PARAMETERS, action="reading the payment parameters")
        tpdu = f.get(Tag.TPDU, b"")
        return Parameters(
            tid=f.get(Tag.TID, ""),
            mid=f.get(Tag.MID, ""),
            merchant_name=f.get(Tag.MERCHANT_NAME, ""),
            acquirer_id=f.get(Tag.ACQUIRER_ID, ""),
            primary_host=f.get(Tag.PRIMARY_HOST, ""),
            primary_port=f.get(Tag.PRIMARY_PORT, 0),
            backup_host=f.get(Tag.BACKUP_HOST, ""),
            backup_port=f.get(Tag.BACKUP_PORT, 0),
            tls=f.get(Tag.TLS, False),
            tpdu=tpdu.hex().upper(),
            header_status=enum_text(HeaderStatus, f.get(Tag.HEADER_STATUS, 0)),
            comm_mode=enum_text(CommMode, f.get(Tag.COMM_MODE, 0)),
            apn=f.get(Tag.APN, ""),
            wifi_ssid=f.get(Tag.WIFI_SSID, ""),
            dns_primary=f.get(Tag.DNS_PRIMARY, ""),
            dns_secondary=f.get(Tag.DNS_SECONDARY, ""),
            connect_timeout_s=f.get(Tag.CONNECT_TIMEOUT, 0),
            response_timeout_s=f.get(Tag.RESPONSE_TIMEOUT, 0),
            stan=f.get(Tag.STAN, 0),
            batch=f.get(Tag.BATCH, 0),
        )

    def key_status(self) -> KeyStatus:
        f = self._request(Command.GET_KEY_STATUS, action="reading the key status")
        slots = [
            TmkSlot(
                index=s.require(Tag.SLOT_INDEX, "TMK slot"),
                key_length=s.get(Tag.KEY_LENGTH, 0),
                check_value=s.get(Tag.CHECK_VALUE, b"").hex().upper(),
            )
            for s in f.all(Tag.TMK_SLOT)
        ]
        working = [
            WorkingKey(
                key_type=enum_text(KeyType, w.require(Tag.KEY_TYPE, "working key")),
                check_value=w.get(Tag.CHECK_VALUE, b"").hex().upper(),
                loaded_at=_time(w.get(Tag.LOADED_AT)),
            )
            for w in f.all(Tag.WORKING_KEY)
        ]
        ksn = f.get(Tag.KSN)
        return KeyStatus(
            scheme=enum_text(KeyScheme, f.require(Tag.KEY_SCHEME, "key status")),
            active_tmk_index=f.get(Tag.ACTIVE_TMK_INDEX),
            tmk_slots=slots,
            working_keys=working,
            ksn=ksn.hex().upper() if ksn else None,
            last_sign_on=_time(f.get(Tag.LAST_SIGN_ON)),
        )

    def hardware(self) -> Hardware:
        f = self._request(Command.GET_HARDWARE, action="reading the hardware status")
        present = f.get(Tag.BATTERY_PRESENT, False)
        return Hardware(
            printer=enum_text(DeviceState, f.get(Tag.PRINTER_STATE, 0)),
            printer_paper=enum_text(PaperState, f.get(Tag.PRINTER_PAPER, 0)),
            printer_cover=enum_text(CoverState, f.get(Tag.PRINTER_COVER, 0)),
            printer_head_temp_c=f.get(Tag.PRINTER_HEAD_TEMP),
            magstripe=enum_text(DeviceState, f.get(Tag.MAGSTRIPE_STATE, 0)),
            ic_reader=enum_text(DeviceState, f.get(Tag.IC_STATE, 0)),
            contactless=enum_text(DeviceState, f.get(Tag.CONTACTLESS_STATE, 0)),
            keypad=enum_text(DeviceState, f.get(Tag.KEYPAD_STATE, 0)),
            display=enum_text(DeviceState, f.get(Tag.DISPLAY_STATE, 0)),
            battery_present=present,
            battery_level_pct=f.get(Tag.BATTERY_LEVEL) if present else None,
            battery_health_pct=f.get(Tag.BATTERY_HEALTH) if present else None,
            battery_cycles=f.get(Tag.BATTERY_CYCLES) if present else None,
            charging=f.get(Tag.CHARGING, False),
            storage_total_kb=f.get(Tag.STORAGE_TOTAL_KB, 0),
            storage_free_kb=f.get(Tag.STORAGE_FREE_KB, 0),
            tamper=enum_text(TamperState, f.get(Tag.TAMPER_STATE, 0)),
            clock=_time(f.get(Tag.CLOCK)),
            **_radio(f),
        )

    def counters(self) -> Counters:
        f = self._request(Command.GET_COUNTERS, action="reading the counters")
        return Counters(
            unsettled_transactions=f.get(Tag.UNSETTLED_COUNT, 0),
            pending_reversal=f.get(Tag.PENDING_REVERSAL, False),
            transaction_log_used=f.get(Tag.TXN_LOG_USED, 0),
            transaction_log_capacity=f.get(Tag.TXN_LOG_CAPACITY, 0),
        )

    def read_log(self, kind: str) -> list[LogEntry]:
        """Read a whole log, chunk by chunk (``kind``: "response-codes" or "errors")."""
        log_kind = enum_from_text(LogKind, kind)
        action = f"reading the {kind} log"
        entries: list[LogEntry] = []
        total = None
        start = 0  # offset of the first entry read: a log longer than MAX_LOG_ENTRIES is read from its newest part
        while total is None or start + len(entries) < total:
            f = self._request(
                Command.GET_LOG,
                [(Tag.LOG_KIND, int(log_kind)), (Tag.LOG_OFFSET, start + len(entries))],
                action=action,
                action_params={"log": kind},
            )
            total = f.require(Tag.LOG_TOTAL, "log chunk")
            if total - start > MAX_LOG_ENTRIES:
                # never trust the count: a terminal (or a fake) claiming millions would fill memory
                if start == 0:
                    start, entries = total - MAX_LOG_ENTRIES, []
                    continue
                total = start + MAX_LOG_ENTRIES  # it grew again meanwhile: stop at the bound
            chunk = f.all(Tag.LOG_ENTRY)[: total - start - len(entries)]
            if not chunk and start + len(entries) < total:
                raise ProtocolError(
                    f"log ended after {len(entries)} of {total} entries",
                    action=action,
                    msg_id="log-truncated",
                    action_id="read-log",
                    params={"log": kind, "read": len(entries), "total": total},
                )
            for e in chunk:
                entries.append(
                    LogEntry(
                        time=_time(e.require(Tag.ENTRY_TIME, "log entry")),
                        code=e.get(Tag.ENTRY_CODE, ""),
                        text=e.get(Tag.ENTRY_TEXT, ""),
                    )
                )
        return entries

    # -- self-tests ----------------------------------------------------------
    def self_test(
        self,
        test: str,
        *,
        timeout_s: int = 30,
        on_progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> SelfTestResult:
        kind = enum_from_text(TestKind, test)
        f = self._request(
            Command.SELF_TEST,
            [(Tag.TEST_KIND, int(kind)), (Tag.TEST_TIMEOUT, int(timeout_s))],
            action=f"running the {test} test",
            action_params={"test": test},
            timeout=timeout_s + SELF_TEST_GRACE,
            on_progress=on_progress or (lambda p: None),
            cancel=cancel,
        )
        card = f.get(Tag.CARD_TYPE)
        return SelfTestResult(
            test=enum_text(TestKind, kind),
            result=enum_text(TestResult, f.require(Tag.TEST_RESULT, "self-test result")),
            detail=f.get(Tag.TEST_DETAIL, ""),
            card_type=enum_text(CardType, card) if card is not None else None,
            tracks_read=list(f.get(Tag.CARD_TRACKS, b"")),
            keys_seen=f.get(Tag.KEYS_SEEN, ""),
            keys_missing=f.get(Tag.KEYS_MISSING, ""),
        )

    # -- writes --------------------------------------------------------------
    def set_parameters(self, changes: dict[str, Any]) -> Parameters:
        """Apply ``changes`` all-or-nothing; return the parameters read back after the commit.

        Raises ValueError (before anything is sent) for an unknown name or a
        value of the wrong form, and :class:`RefusedByTerminal` when the
        terminal refuses (open batch, invalid value). On any failure before
        the commit the staged changes are discarded and nothing is written.
        """
        if not changes:
            raise ValueError("no parameter changes given")
        items = [parameter_to_wire(name, value) for name, value in changes.items()]
        action = "writing the payment parameters"
        txn = self._request(Command.PARAM_BEGIN, action=action).require(Tag.TXN_ID, "PARAM_BEGIN")
        try:
            self._request(Command.PARAM_STAGE, [(Tag.TXN_ID, txn), *items], action=action)
        except (RefusedByTerminal, LinkTimeout, ProtocolError):
            self._abort_quietly(txn, action)
            raise
        try:
            self._request(Command.PARAM_COMMIT, [(Tag.TXN_ID, txn)], action=action)
        except RefusedByTerminal:
            self._abort_quietly(txn, action)
            raise
        except (LinkTimeout, Disconnected, ProtocolError) as err:
            # the commit may have happened with only its answer lost: say so, never guess
            raise type(err)(
                f"{err.message}; the commit was sent but not confirmed, so the terminal holds either "
                "all the new values or all the old ones: read the parameters back to see which",
                action=action,
                msg_id=err.msg_id,
                action_id=err.action_id,
                params={**err.params, "commit_unconfirmed": True},
            ) from err
        try:
            return self.parameters()
        except TerminalError as err:
            # the terminal confirmed the commit: it holds the new values, only their read-back is missing
            err.params["commit_confirmed"] = True
            err.message = (
                f"{err.message}; the commit was confirmed, so the terminal holds the new values, "
                "but reading them back failed"
            )
            raise

    def _abort_quietly(self, txn: int, action: str) -> None:
        if self.is_open:
            try:
                self._request(Command.PARAM_ABORT, [(Tag.TXN_ID, txn)], action=action)
            except TerminalError:
                pass  # the terminal discards an uncommitted transaction on its own

    def set_clock(self, when: datetime) -> None:
        self._request(Command.SET_CLOCK, [(Tag.CLOCK, when)], action="setting the terminal clock")

    def print_text(self, lines: list[str]) -> None:
        self._request(
            Command.PRINT_TEXT,
            [(Tag.TEXT_LINE, line) for line in lines],
            action="printing on the terminal",
            timeout=self.response_timeout + 0.5 * len(lines),
        )

    # -- host link -------------------------------------------------------------------------
    def _host_timeout(self) -> float:
        """Silence allowed between progress frames of a comm test or sign-on."""
        return self.response_timeout + HOST_SILENCE_GRACE

    @staticmethod
    def _reach(entry: Fields) -> HostReach:
        return HostReach(
            role=enum_text(HostRole, entry.get(Tag.HOST_ROLE, 1)),
            address=entry.get(Tag.HOST_ADDRESS, ""),
            port=entry.get(Tag.HOST_PORT, 0),
            resolved=entry.get(Tag.RESOLVED_ADDRESS, ""),
            outcome=enum_text(CommOutcome, entry.require(Tag.OUTCOME, "host result")),
            connect_ms=entry.get(Tag.CONNECT_MS),
            tls=enum_text(TlsOutcome, entry.get(Tag.TLS_OUTCOME, 0)),
            detail=entry.get(Tag.DETAIL, ""),
        )

    def comm_test(self, *, on_progress: ProgressFn | None = None) -> CommTestResult:
        """The terminal tests its own link and its primary and backup hosts (DNS, TCP, TLS)."""
        f = self._request(
            Command.COMM_TEST,
            action="running the terminal's comm test",
            timeout=self._host_timeout(),
            on_progress=on_progress or (lambda p: None),
        )
        return CommTestResult(
            link_up=f.get(Tag.LINK_UP, False),
            local_address=f.get(Tag.LOCAL_ADDRESS, ""),
            hosts=[self._reach(h) for h in f.all(Tag.HOST_RESULT)],
            link_failure=enum_text(LinkFailure, f.get(Tag.LINK_FAILURE)) if Tag.LINK_FAILURE in f else None,
            network_name=f.get(Tag.NETWORK_NAME, ""),
            signal_dbm=f.get(Tag.SIGNAL_DBM),
            link_detail=f.get(Tag.LINK_DETAIL, ""),
        )

    def sign_on(self, *, on_progress: ProgressFn | None = None) -> SignOnResult:
        """The terminal signs on to its host (0800/0810) and reports what happened.

        This changes the terminal: it takes the next STAN and, when approved
        and verified, loads new working keys, sets its clock and batch.
        """
        started_ms = _epoch_ms()
        f = self._request(
            Command.SIGN_ON,
            self._traffic_request(),
            action="signing on to the host",
            timeout=self._host_timeout(),
            on_progress=on_progress or (lambda p: None),
        )
        return SignOnResult(
            outcome=enum_text(CommOutcome, f.require(Tag.OUTCOME, "sign-on result")),
            response_code=f.get(Tag.RESPONSE_CODE),
            host_role=enum_text(HostRole, f.get(Tag.HOST_ROLE, 1)),
            host_address=f.get(Tag.HOST_ADDRESS, ""),
            host_port=f.get(Tag.HOST_PORT, 0),
            resolved=f.get(Tag.RESOLVED_ADDRESS, ""),
            stan=f.get(Tag.STAN, 0),
            sent_at=_time(f.get(Tag.SENT_AT)),
            elapsed_ms=f.get(Tag.ELAPSED_MS, 0),
            acquirer_id=f.get(Tag.ACQUIRER_ID_ANSWERED, ""),
            processing_requirement=f.get(Tag.PROCESSING_REQUIREMENT),
            rrn=f.get(Tag.RRN, ""),
            keys_updated=f.get(Tag.KEYS_UPDATED, False),
            clock_updated=f.get(Tag.CLOCK_UPDATED, False),
            host_batch=f.get(Tag.HOST_BATCH),
            detail=f.get(Tag.DETAIL, ""),
            attempts=[self._reach(h) for h in f.all(Tag.HOST_RESULT)],
            checks=[
                SignOnCheck(c.get(Tag.CHECK_NAME, ""), c.get(Tag.CHECK_OK, False), c.get(Tag.DETAIL, ""))
                for c in f.all(Tag.CHECK)
            ],
            traffic=self._traffic(f, started_ms),
        )

    #: frames resent or refused on this link before a sign-on or settlement at which the host
    #: traffic is no longer asked for: its answer (about 600 bytes) would rarely cross a noisy cable
    #: whole, and the run would fail on the cable for the sake of evidence
    TRAFFIC_NOISE_LIMIT = 1

    def _traffic_request(self) -> list[tuple[Tag, Any]] | None:
        """Ask for the host traffic when wanted, unless the cable has already shown noise."""
        self.host_traffic_withheld = ""
        if not self.capture_host_traffic:
            return None
        stats = self._link.stats
        noise = stats.get("retransmissions", 0) + stats.get("naks_sent", 0)
        if noise >= self.TRAFFIC_NOISE_LIMIT:
            self.host_traffic_withheld = (
                f"not asked for: the maintenance cable needed {noise} resent or refused frames before it"
            )
            return None
        return [(Tag.HOST_TRAFFIC, True)]

    def _traffic(self, f: Fields, started_ms: int) -> list[HostExchange]:
        """HOST_EXCHANGE entries of a SIGN_ON / SETTLE response (absent unless asked for)."""
        out = []
        for x in f.all(Tag.HOST_EXCHANGE):
            out.append(
                HostExchange(
                    role=enum_text(HostRole, x.get(Tag.HOST_ROLE, 1)),
                    local_address=x.get(Tag.LOCAL_ADDRESS, ""),
                    local_port=x.get(Tag.LOCAL_PORT),
                    remote_address=x.get(Tag.RESOLVED_ADDRESS, ""),
                    remote_port=x.get(Tag.HOST_PORT, 0),
                    outcome=enum_text(CommOutcome, x.get(Tag.OUTCOME, 0)),
                    tls=enum_text(TlsOutcome, x.get(Tag.TLS_OUTCOME, 0)),
                    connect_at_ms=x.get(Tag.CONNECT_AT_MS, 0),
                    connect_ms=x.get(Tag.CONNECT_MS, 0),
                    sent_at_ms=x.get(Tag.SENT_AT_MS),
                    sent=x.get(Tag.SENT_BYTES, b""),
                    received_at_ms=x.get(Tag.RECEIVED_AT_MS),
                    received=x.get(Tag.RECEIVED_BYTES, b""),
                    closed_at_ms=x.get(Tag.CLOSED_AT_MS, 0),
                    started_ms=started_ms,
                )
            )
        return out

    def settle(self, *, on_progress: ProgressFn | None = None) -> SettlementResult:
        """The terminal settles its open batch with its host (0500/0510, 批结算) and reports what happened.

        This changes the terminal: a balanced settlement closes the batch (no
        unsettled transactions, the batch number one higher); every message
        takes the next STAN. An empty batch is not sent to the host.
        """
        started_ms = _epoch_ms()
        f = self._request(
            Command.SETTLE,
            self._traffic_request(),
            action="settling the batch",
            timeout=self._host_timeout(),
            on_progress=on_progress or (lambda p: None),
        )
        reconciliation = f.get(Tag.RECONCILIATION)
        return SettlementResult(
            outcome=enum_text(CommOutcome, f.require(Tag.OUTCOME, "settlement result")),
            response_code=f.get(Tag.RESPONSE_CODE),
            host_role=enum_text(HostRole, f.get(Tag.HOST_ROLE, 1)),
            host_address=f.get(Tag.HOST_ADDRESS, ""),
            host_port=f.get(Tag.HOST_PORT, 0),
            resolved=f.get(Tag.RESOLVED_ADDRESS, ""),
            stan=f.get(Tag.STAN),
            sent_at=_time(f.get(Tag.SENT_AT)),
            elapsed_ms=f.get(Tag.ELAPSED_MS, 0),
            acquirer_id=f.get(Tag.ACQUIRER_ID_ANSWERED, ""),
            rrn=f.get(Tag.RRN, ""),
            batch=f.require(Tag.SETTLED_BATCH, "settlement result"),
            count=f.get(Tag.SETTLED_COUNT, 0),
            amount=f.get(Tag.SETTLED_AMOUNT, 0),
            reconciliation=enum_text(Reconciliation, reconciliation) if reconciliation is not None else None,
            batch_after=f.require(Tag.BATCH, "settlement result"),
            unsettled_after=f.require(Tag.UNSETTLED_COUNT, "settlement result"),
            detail=f.get(Tag.DETAIL, ""),
            attempts=[self._reach(h) for h in f.all(Tag.HOST_RESULT)],
            checks=[
                SignOnCheck(c.get(Tag.CHECK_NAME, ""), c.get(Tag.CHECK_OK, False), c.get(Tag.DETAIL, ""))
                for c in f.all(Tag.CHECK)
            ],
            traffic=self._traffic(f, started_ms),
        )

    def reboot(self) -> int:
        """Ask the terminal to restart; returns the seconds it says it needs. The session ends."""
        f = self._request(Command.REBOOT, action="rebooting the terminal")
        self._logged_in = False  # a restart ends the login
        seconds = f.get(Tag.REBOOT_SECONDS, 0)
        # the terminal is dark for REBOOT_SECONDS: the next request waits them out, then greets it again
        self._quiet_until = time.monotonic() + seconds
        self._greeted = False
        return seconds


def _radio(f) -> dict:
    """The cellular modem's signal from GET_HARDWARE (RADIO_TYPE, SIGNAL_DBM, CSQ, RSRP_DBM); empty when none."""
    kind = f.get(Tag.RADIO_TYPE, 0)
    if not kind:
        return {}
    return {
        "radio": enum_text(RadioType, kind),
        "signal_dbm": f.get(Tag.SIGNAL_DBM),
        "csq": f.get(Tag.CSQ),
        "rsrp_dbm": f.get(Tag.RSRP_DBM),
    }
