"""The ZVT driver: techapp as the ECR (cash register) talking to a payment terminal (PT).

Flow of one command (docs/zvt.md): the ECR sends the command APDU; the PT acknowledges with
``80 00`` (or refuses with ``84 xx``); then it may send intermediate status ``04 FF``, status
information ``04 0F``, print lines ``06 D1`` and text blocks ``06 D3`` (each answered ``80 00``),
and ends with a completion ``06 0F`` or an abort ``06 1E`` (result code, TLV 1F16/1F17).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import transport
from ..base import ProgressFn, TerminalDriver, TraceFn
from ..errors import (
    AuthenticationFailed,
    Disconnected,
    LinkTimeout,
    NotSupported,
    ProtocolError,
    RefusedByTerminal,
    TerminalError,
)
from ..models import (
    CommTestResult,
    DeviceStatus,
    HelloInfo,
    HostReach,
    Identity,
    Progress,
    SelfTestResult,
    SettlementResult,
)
from .codec import (
    Apdu,
    Bmps,
    Tlv,
    decode_bmps,
    decode_status_completion,
    encode_bmp,
    find_tag,
    password_bytes,
    result_text,
    status_text,
)
from .link import T2, T4, SerialLink, TcpLink

#: terminal status byte -> drivers.models.DEVICE_CONDITIONS (docs/zvt.md §8, docs/diagnosis.md "Over ZVT")
STATUS_CONDITIONS = {
    0x00: "ready",
    0x9C: "busy",
    0x51: "initialisation-required",
    0xC2: "initialisation-required",
    0xC4: "initialisation-required",
    0xE4: "initialisation-required",
    0x62: "clock-wrong",
    0xB1: "memory-full",
    0xB2: "journal-full",
    0xF0: "open-batch",
    0xCC: "printer-not-ready",
    0xBF: "low-voltage",
    0xE2: "reader-defective",
    0xC0: "reader-defective",
    0xDF: "out-of-order",
}
#: result codes of a host contact (06 70) -> HostReach.outcome
REACH = {0xA0: "refused", 0xA1: "timeout", 0xA3: "no-link", 0x7D: "no-link", 0x9B: "no-link", 0x6B: "not-registered"}
DEFAULT_BAUDRATE = 9600
DEFAULT_TCP_PORT = 20007
ACK_APDU = Apdu(0x80, 0x00)
#: the config byte sent with Registration: ECR prints receipts, ECR controls payment/admin, no PT amount entry
REGISTRATION_CONFIG = 0xBA
#: Diagnosis types (TLV 1B) of 06 70
DIAGNOSIS_LINE, DIAGNOSIS_EXTENDED, DIAGNOSIS_CONFIG, DIAGNOSIS_EMV, DIAGNOSIS_EP2 = 1, 2, 3, 4, 5
#: Read File (08 11) file ids (TLV 2D/1D)
FILES = {"merchant-journal": 1, "application-log": 2, "ecr-log": 3, "comms-log": 4, "pinpad-log": 5}


@dataclass
class Outcome:
    """What one ZVT command came to."""

    completed: bool
    result_code: int = 0  # 0 on completion; the abort's (or a 04 0F's BMP 27) result code
    data: bytes = b""  # the completion's or abort's data
    status_infos: list[Bmps] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    error_text: str = ""  # TLV 1F17 of an abort
    error_code: bytes = b""  # TLV 1F16 of an abort

    @property
    def result(self) -> int:
        """The result code that matters: the abort's, else the last status information's BMP 27."""
        if not self.completed:
            return self.result_code
        for info in reversed(self.status_infos):
            code = info.get("result-code")
            if code is not None:
                return code
        return 0


class ZvtDriver(TerminalDriver):
    """ZVT over serial (``/dev/ttyUSB0``, a pty, ``sim://zvt-...``) or TCP (``socket://host:20007``).

    Args:
        port: a port name or URL (opened here) or an open byte port.
        baudrate: serial line speed (9600 by default; 8 data bits, no parity, 2 stop bits).
        framing: "serial" or "tcp"; by default "tcp" for ``socket://`` ports, else "serial".
        response_timeout: seconds for an ordinary command's completion (T2).
        completion_timeout: seconds for a long command's completion (T4: initialisation, end-of-day).
    """

    name = "zvt"
    display_name = "ZVT"
    default_baudrate = DEFAULT_BAUDRATE
    capabilities = frozenset(
        {"hello", "identity", "login", "device-status", "comm-test", "set-clock", "settle", "initialise", "register"}
    )
    password_first = True  # even the Status-Enquiry carries the password

    def __init__(
        self,
        port: Any,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        framing: str | None = None,
        response_timeout: float = T2,
        completion_timeout: float = T4,
        trace: TraceFn | None = None,
        t1: float | None = None,
        **_ignored: Any,
    ) -> None:
        self.port_name = port if isinstance(port, str) else getattr(port, "name", repr(port))
        if isinstance(port, str):
            self._port = transport.open_port(port, baudrate)
            try:
                self._port.stopbits = 2  # 8N2 (a socket or a simulated port has no stop bits to set)
            except Exception:  # noqa: BLE001 - a port without line settings
                pass
        else:
            self._port = port
        if framing is None:
            framing = "tcp" if self.port_name.startswith("socket://") else "serial"
        if framing == "tcp":
            self._link: SerialLink | TcpLink = TcpLink(self._port, trace)
        else:
            self._link = SerialLink(self._port, trace, **({"t1": t1} if t1 else {}))
        self.response_timeout = response_timeout
        self.completion_timeout = completion_timeout
        self._password: bytes = b"\x00\x00\x00"
        self._closed = False
        self._status = None  # the last Status-Enquiry
        self.printed: list[str] = []  # every print line / text block the PT sent (for the report)

    # -- plumbing -----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return not self._closed

    @property
    def link_stats(self) -> dict[str, int]:
        return dict(self._link.stats)

    @property
    def baudrate(self) -> int | None:
        return getattr(self._port, "baudrate", None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._port.close()
        except Exception:  # noqa: BLE001 - closing a port whose cable is gone may fail
            pass

    def command(
        self,
        apdu: Apdu,
        *,
        action: str,
        action_id: str = "",
        timeout: float | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Outcome:
        """Send ``apdu`` and follow the PT until its completion or abort (the ECR side of the flow)."""
        ids = {"action_id": action_id or None}
        if self._closed:
            raise Disconnected("the link is closed", action=action, msg_id="link-closed", **ids)
        try:
            self._link.send(apdu)
            first = self._link.receive(self.response_timeout)
            if first.cls == 0x84:
                code = first.instr
                raise RefusedByTerminal(
                    f"the terminal refused the command: {result_text(code)} ({code:02X})",
                    code=code,
                    code_name=result_text(code),
                    action=action,
                    **ids,
                )
            outcome = Outcome(False)
            message = first
            if first.command == (0x80, 0x00):
                message = None
            deadline_s = timeout or self.response_timeout
            while True:
                if message is None:
                    message = self._link.receive(deadline_s)
                done = self._handle(message, outcome, on_progress)
                message = None
                if done:
                    self.printed += outcome.printed
                    return outcome
        except (LinkTimeout, ProtocolError, Disconnected) as err:
            err.action = err.action or action
            err.action_id = err.action_id or action_id or None
            raise

    def _handle(self, m: Apdu, outcome: Outcome, on_progress: ProgressFn | None) -> bool:
        """Answer one PT message; True when it ended the command."""
        if m.command == (0x04, 0xFF):  # intermediate status: the first byte is its code
            self._link.send(ACK_APDU)
            if on_progress is not None and m.data:
                on_progress(Progress(0, f"terminal status {m.data[0]:02X}"))
            return False
        if m.command == (0x04, 0x0F):
            outcome.status_infos.append(decode_bmps(m.data))
            self._link.send(ACK_APDU)
            return False
        if m.command == (0x06, 0xD1):  # print line: attribute byte, text
            outcome.printed.append(m.data[1:].decode("latin-1").rstrip())
            self._link.send(ACK_APDU)
            return False
        if m.command == (0x06, 0xD3):  # text block: TLV 06 { 25 { 07 line ... } }
            for item in decode_bmps(m.data).tlv:
                self._collect_lines(item, outcome.printed)
            self._link.send(ACK_APDU)
            return False
        if m.command == (0x06, 0x0F):
            outcome.completed = True
            outcome.data = m.data
            self._link.send(ACK_APDU)
            return True
        if m.command == (0x06, 0x1E):
            outcome.completed = False
            outcome.result_code = m.data[0] if m.data else 0xFF
            outcome.data = m.data
            rest = decode_bmps(m.data[1:])
            code = find_tag(rest.tlv, 0x1F16)
            text = find_tag(rest.tlv, 0x1F17)
            outcome.error_code = code.raw if code is not None else b""
            outcome.error_text = text.value if text is not None else ""
            self._link.send(ACK_APDU)
            return True
        self._link.send(Apdu(0x84, 0x83))  # not understood here: "function not possible"
        return False

    def _collect_lines(self, item: Tlv, lines: list[str]) -> None:
        if item.tag == 0x07:
            lines.append(str(item.value).rstrip())
        elif isinstance(item.value, list):
            for sub in item.value:
                self._collect_lines(sub, lines)

    def _aborted(self, outcome: Outcome, action: str, action_id: str) -> RefusedByTerminal:
        code = outcome.result
        words = outcome.error_text or result_text(code)
        return RefusedByTerminal(
            f"{words} (result code {code:02X})",
            code=code,
            code_name=result_text(code),
            action=action,
            action_id=action_id,
            params={"result_code": f"{code:02X}"},
        )

    # -- readings -----------------------------------------------------------------------
    def status_enquiry(self, password: bytes | None = None) -> Any:
        """Status-Enquiry 05 01 with the TLV request (service byte 04): version, status, TID, name, serial."""
        data = (password or self._password) + encode_bmp("service-byte", 0x04)
        outcome = self.command(Apdu(0x05, 0x01, data), action="reading the terminal status", action_id="read-identity")
        if not outcome.completed:
            raise self._aborted(outcome, "reading the terminal status", "read-identity")
        try:
            self._status = decode_status_completion(outcome.data)
        except ValueError as err:
            raise ProtocolError(
                f"the status completion could not be read: {err}", action="reading the terminal status"
            ) from err
        return self._status

    def hello(self) -> HelloInfo:
        """A Status-Enquiry. Refused (a password not given yet, or wrong): the terminal did answer, so the
        greeting worked, not logged in; the login says whether the password is right."""
        try:
            self.status_enquiry()
        except RefusedByTerminal:
            return HelloInfo(protocol_version=0, max_frame=0xFFFF, logged_in=False, session_timeout_s=None)
        return HelloInfo(protocol_version=0, max_frame=0xFFFF, logged_in=True, session_timeout_s=None)

    def identity(self) -> Identity:
        s = self._status or self.status_enquiry()
        version = s.software_version or s.tag(0x1F41, "")
        return Identity(
            vendor="",
            model=s.tag(0x1F40, "") or "",
            serial_number=s.tag(0x1F42, "") or "",
            hardware_revision="",
            os_version="",
            firmware_version=version,
            app_name="ZVT",
            app_version=version,
            emv_contact_kernel="",
            emv_contactless_kernel="",
        )

    @property
    def terminal_status(self) -> int | None:
        return None if self._status is None else self._status.terminal_status

    def device_status(self) -> DeviceStatus:
        """The terminal status byte of a fresh Status-Enquiry, with its protocol-neutral condition."""
        code = self.status_enquiry().terminal_status
        return DeviceStatus(f"{code:02X}", status_text(code), STATUS_CONDITIONS.get(code, "other"))

    def login(self, password: str) -> None:
        """ZVT has no login: the password goes with each command. Check it with a Status-Enquiry."""
        try:
            pw = password_bytes(password)
        except ValueError as err:
            raise AuthenticationFailed(
                str(err), attempts_left=None, action="checking the ZVT password", msg_id="wrong-password"
            ) from err
        try:
            self.status_enquiry(pw)
        except RefusedByTerminal as err:
            raise AuthenticationFailed(
                f"the terminal refused the password: {err.message}",
                attempts_left=None,
                action="checking the ZVT password",
                msg_id="wrong-password",
            ) from err
        self._password = pw

    def logout(self) -> None:
        """Log-Off 06 02."""
        self.command(Apdu(0x06, 0x02), action="logging off")

    def comm_test(self, *, on_progress: ProgressFn | None = None) -> CommTestResult:
        """Diagnosis 06 70 (line diagnosis): the terminal contacts its host."""
        tlv = encode_bmp("tlv", [Tlv(0x1B, DIAGNOSIS_LINE)])
        outcome = self.command(
            Apdu(0x06, 0x70, tlv),
            action="running the terminal's diagnosis",
            action_id="comm-test",
            timeout=self.completion_timeout,
            on_progress=on_progress,
        )
        code = outcome.result
        reach = REACH
        if outcome.completed and code == 0:
            hosts = [HostReach("primary", "", 0, "", "ok", detail="diagnosis completed")]
            return CommTestResult(True, "", hosts)
        words = outcome.error_text or result_text(code)
        hosts = [HostReach("primary", "", 0, "", reach.get(code, "error"), detail=f"{words} ({code:02X})")]
        return CommTestResult(code not in (0xA3, 0x7D, 0x9B), "", hosts, link_detail=f"{words} ({code:02X})")

    def initialise(self, *, on_progress: ProgressFn | None = None) -> Outcome:
        """Initialisation 06 93: the terminal fetches its configuration from its host."""
        outcome = self.command(
            Apdu(0x06, 0x93, self._password),
            action="initialising the terminal",
            action_id="initialise",
            timeout=self.completion_timeout,
            on_progress=on_progress,
        )
        if not outcome.completed:
            raise self._aborted(outcome, "initialising the terminal", "initialise")
        self._status = None
        return outcome

    def register(self) -> Outcome:
        """Registration 06 00: password, config byte."""
        outcome = self.command(
            Apdu(0x06, 0x00, self._password + bytes([REGISTRATION_CONFIG])),
            action="registering with the terminal",
            action_id="register",
        )
        if not outcome.completed:
            raise self._aborted(outcome, "registering with the terminal", "register")
        return outcome

    def set_clock(self, when: datetime) -> None:
        """Set Date/Time 06 91: TLV 34 { 1F0E date YYYYMMDD, 1F0F time hhmmss } (the form 05 01 reports)."""
        tlv = encode_bmp("tlv", [Tlv(0x34, [Tlv(0x1F0E, f"{when:%Y%m%d}"), Tlv(0x1F0F, f"{when:%H%M%S}")])])
        outcome = self.command(
            Apdu(0x06, 0x91, self._password + tlv), action="setting the clock", action_id="set-clock"
        )
        if not outcome.completed:
            raise self._aborted(outcome, "setting the clock", "set-clock")
        self._status = None

    def print_configuration(self) -> list[str]:
        """Print System Configuration 06 1A; returns the lines the PT sent to the ECR's printer."""
        outcome = self.command(Apdu(0x06, 0x1A, self._password), action="printing the system configuration")
        if not outcome.completed:
            raise self._aborted(outcome, "printing the system configuration", "print")
        return outcome.printed

    def selftest(self) -> Outcome:
        """Selftest 06 79."""
        return self.command(
            Apdu(0x06, 0x79, self._password), action="running the self-test", timeout=self.completion_timeout
        )

    def end_of_day(self, *, on_progress: ProgressFn | None = None) -> Outcome:
        """End-of-Day 06 50."""
        return self.command(
            Apdu(0x06, 0x50, self._password),
            action="closing the day (end-of-day)",
            action_id="settle",
            timeout=self.completion_timeout,
            on_progress=on_progress,
        )

    def read_file(self, file: str) -> bytes:
        """Read File 08 11 (TLV 2D { 1D file id }); the completion's TLV file contents, raw."""
        tlv = encode_bmp("tlv", [Tlv(0x2D, [Tlv(0x1D, FILES[file])])])
        outcome = self.command(Apdu(0x08, 0x11, self._password + tlv), action=f"reading the {file}")
        if not outcome.completed:
            raise self._aborted(outcome, f"reading the {file}", "read-log")
        return outcome.data

    def abort(self) -> None:
        """Abort 06 B0."""
        self.command(Apdu(0x06, 0xB0), action="aborting")

    def settle(self, *, on_progress: ProgressFn | None = None) -> SettlementResult:
        outcome = self.end_of_day(on_progress=on_progress)
        code = outcome.result
        ok = outcome.completed and code == 0
        return SettlementResult(
            outcome="ok" if ok else "declined",
            response_code=None if ok else f"{code:02X}",
            host_role="primary",
            host_address="",
            host_port=0,
            resolved="",
            stan=None,
            sent_at=None,
            elapsed_ms=0,
            acquirer_id="",
            rrn="",
            batch=0,
            count=0,
            amount=0,
            reconciliation=None,
            batch_after=0,
            unsettled_after=0 if ok else -1,
            detail="end-of-day completed" if ok else (outcome.error_text or result_text(code)),
            attempts=[],
            checks=[],
        )

    # -- what ZVT cannot do (not in ``capabilities``) -------------------------------------
    def _no(self, what: str):
        raise NotSupported(f"ZVT cannot {what}", action=what, msg_id="not-supported")

    def parameters(self):
        self._no("read the payment parameters")

    def key_status(self):
        self._no("read the key status")

    def hardware(self):
        self._no("read the hardware state")

    def counters(self):
        self._no("read the counters")

    def read_log(self, kind: str):
        self._no(f"read the {kind} log")

    def self_test(
        self,
        test: str,
        *,
        timeout_s: int = 30,
        on_progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> SelfTestResult:
        self._no(f"run the {test} test")

    def set_parameters(self, changes: dict[str, Any]):
        self._no("write payment parameters")

    def print_text(self, lines: list[str]) -> None:
        self._no("print a text")

    def sign_on(self, *, on_progress: ProgressFn | None = None):
        self._no("sign on")

    def reboot(self) -> int:
        self._no("restart the terminal")


__all__ = ["ZvtDriver", "Outcome", "TerminalError"]
