"""The simulated terminal speaking ZVT (``protocol = "zvt"`` in a scenario): the PT side of docs/zvt.md.

It uses the same transports as the driver (``drivers.zvt.link``: they are symmetric, the side that
receives a frame sends the ACK) and the same fault injection (``ConditionedPort``: noise, baud
rate, ``silent_after_frames`` / ``disconnect_after_frames`` counted in received APDUs).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from ..errors import Disconnected, LinkTimeout, ProtocolError
from ..zvt.codec import Apdu, Tlv, bcd, decode_bmps, encode_bmp, find_tag, llvar, result_text
from ..zvt.link import SerialLink, TcpLink

ACK = Apdu(0x80, 0x00)
NOT_POSSIBLE = Apdu(0x84, 0x83)
#: terminal states an Initialisation (06 93) clears
CLEARED_BY_INIT = {0x51, 0xC2, 0xC4, 0xE4}
#: terminal states an End-of-Day (06 50) clears
CLEARED_BY_END_OF_DAY = {0xB1, 0xB2}


class ZvtState:
    """The PT's own state: survives reconnects (it is the terminal's, not the connection's)."""

    def __init__(self, scenario) -> None:
        z = scenario.zvt
        self.status = z.status
        self.registered = z.registered
        self.host_result = z.host_result
        self.clock_offset = timedelta(days=-400) if z.status == 0x62 else timedelta(0)
        self.lock = threading.Lock()
        self.commands: list[str] = []  # "05 01", "06 93", ... in the order received (tests read it)


def serve_zvt(terminal, port, stop: threading.Event, framing: str, on_frame) -> str:
    """Serve ZVT commands on ``port`` until the client leaves ("disconnected"), a fault ("fault") or ``stop``."""
    link = SerialLink(port) if framing == "serial" else TcpLink(port)
    state: ZvtState = terminal.zvt
    count = 0
    while not stop.is_set():
        try:
            apdu = link.receive(0.2)
        except LinkTimeout:
            continue
        except ProtocolError:
            continue  # damaged frames were NAKed; the ECR sends again
        except Disconnected:
            return "disconnected"
        count += 1
        if not on_frame(count):
            return "fault"
        try:
            with state.lock:
                state.commands.append(f"{apdu.cls:02X} {apdu.instr:02X}")
                _answer(terminal, state, link, apdu)
        except LinkTimeout:
            continue  # the ECR did not acknowledge: it will ask again
        except Disconnected:
            return "disconnected"
    return "stopped"


def _password_ok(terminal, apdu: Apdu) -> bool:
    return apdu.data[:3] == bcd(terminal.scenario.zvt.password)


def _abort(link, code: int, text: str = "") -> None:
    tlv = [Tlv(0x1F16, bytes([0xFF, 0, 0, 0x14, code])), Tlv(0x1F17, text or result_text(code))]
    link.send(Apdu(0x06, 0x1E, bytes([code]) + encode_bmp("tlv", tlv)))
    _ecr_ack(link)


def _ecr_ack(link) -> None:
    """The ECR answers every PT message with 80 00 (a TCP link has no other acknowledgement)."""
    link.receive(5.0)


def _send(link, apdu: Apdu) -> None:
    link.send(apdu)
    _ecr_ack(link)


def _status_info(terminal, code: int) -> Apdu:
    z = terminal.scenario.zvt
    return Apdu(0x04, 0x0F, encode_bmp("result-code", code) + encode_bmp("terminal-id", z.terminal_id))


def _complete(link, data: bytes = b"") -> None:
    _send(link, Apdu(0x06, 0x0F, data))


def _print(link, *lines: str) -> None:
    for line in lines:
        _send(link, Apdu(0x06, 0xD1, b"\x00" + line.encode("latin-1")))


def _answer(terminal, state: ZvtState, link, apdu: Apdu) -> None:
    z = terminal.scenario.zvt
    cmd = apdu.command
    if cmd == (0x06, 0xB0):  # Abort: only the acknowledgement
        link.send(ACK)
        return
    if cmd not in KNOWN:
        link.send(NOT_POSSIBLE)
        return
    if KNOWN[cmd] and not _password_ok(terminal, apdu):
        link.send(Apdu(0x84, 0x9A))  # wrong password: refused
        return
    link.send(ACK)
    if cmd == (0x05, 0x01):
        now = datetime.now() + state.clock_offset
        tlv = [
            Tlv(0x1F44, z.terminal_id),
            Tlv(
                0xE4,
                [
                    Tlv(0x1F40, z.device_name),
                    Tlv(0x1F41, z.software_version),
                    Tlv(0x1F42, z.serial_number),
                    Tlv(0x1F43, 0),
                ],
            ),
            Tlv(0x34, [Tlv(0x1F0E, f"{now:%Y%m%d}"), Tlv(0x1F0F, f"{now:%H%M%S}")]),
        ]
        data = llvar(z.software_version.encode("latin-1"), 3) + bytes([state.status]) + encode_bmp("tlv", tlv)
        _complete(link, data)
    elif cmd == (0x06, 0x00):
        state.registered = True
        _complete(link, encode_bmp("status-byte", 0))
    elif cmd == (0x06, 0x02):
        _complete(link)
    elif cmd == (0x06, 0x70):
        if not state.registered:
            _abort(link, 0x6B)
        elif state.host_result:
            _send(link, Apdu(0x04, 0xFF, b"\x0e"))  # intermediate status: connecting
            _send(link, _status_info(terminal, state.host_result))
            _abort(link, state.host_result)
        else:
            _send(link, _status_info(terminal, 0))
            _complete(link)
    elif cmd == (0x06, 0x93):
        if state.host_result:
            _abort(link, state.host_result)
            return
        _send(link, Apdu(0x04, 0xFF, b"\x0e"))
        _print(link, "INITIALISATION", f"TID {z.terminal_id}", "OK")
        if state.status in CLEARED_BY_INIT:
            state.status = 0
        _complete(link)
    elif cmd == (0x06, 0x91):
        tlv = decode_bmps(apdu.data[3:]).tlv
        date, time = find_tag(tlv, 0x1F0E), find_tag(tlv, 0x1F0F)
        try:
            when = datetime.strptime(f"{date.value}{time.value}", "%Y%m%d%H%M%S")
        except (AttributeError, ValueError):
            _abort(link, 0x83)
            return
        state.clock_offset = when - datetime.now()
        if state.status == 0x62:
            state.status = 0
        _complete(link)
    elif cmd == (0x06, 0x50):
        if not state.registered:
            _abort(link, 0x6B)
        elif state.host_result:
            _abort(link, state.host_result)
        else:
            _print(link, "END-OF-DAY", f"TID {z.terminal_id}", "TOTAL 0.00 EUR")
            if state.status in CLEARED_BY_END_OF_DAY:
                state.status = 0
            _complete(link)
    elif cmd == (0x06, 0x1A):
        _print(link, "SYSTEM CONFIGURATION", f"TID {z.terminal_id}", z.device_name, z.software_version)
        _complete(link)
    elif cmd == (0x06, 0x79):
        if state.status == 0xCC:
            _abort(link, 0xCC)
        else:
            _complete(link)
    elif cmd == (0x08, 0x11):
        _complete(link, encode_bmp("tlv", [Tlv(0x2D, [Tlv(0x1D, 1), Tlv(0x1F00, bytes(4))])]))


#: the commands the simulated PT knows -> whether they carry the password
KNOWN = {
    (0x05, 0x01): True,
    (0x06, 0x00): True,
    (0x06, 0x02): False,
    (0x06, 0x70): False,
    (0x06, 0x93): True,
    (0x06, 0x91): True,
    (0x06, 0x50): True,
    (0x06, 0x1A): True,
    (0x06, 0x79): True,
    (0x08, 0x11): True,
}
