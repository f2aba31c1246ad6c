"""ZVT transports: the serial frame (DLE STX ... DLE ETX CRC, ACK/NAK) and TCP (raw APDUs).

Both carry whole APDUs (:class:`drivers.zvt.codec.Apdu`); the ECR-side flow lives in the driver.
Time-outs (PA00P016 §3.2, docs/zvt.md): T1 0.2 s between the bytes of a frame, T2 15 s for the
answer to a command, T3 5 s for an ACK, T4 180 s for the completion of a long command.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import Disconnected, LinkTimeout, ProtocolError
from .codec import ACK, DLE, ETX, NAK, STX, Apdu, apdu_length, decode_apdu, frame_crc

T1, T2, T3, T4 = 0.2, 15.0, 5.0, 180.0
TRIES = 3  # a frame is sent at most this many times (a NAK or no ACK: again)

TraceFn = Callable[[str, str, bytes], None]


def stuff(apdu: bytes) -> bytes:
    """The APDU with every DLE doubled."""
    return apdu.replace(bytes([DLE]), bytes([DLE, DLE]))


def serial_frame(apdu: bytes) -> bytes:
    return bytes([DLE, STX]) + stuff(apdu) + bytes([DLE, ETX]) + frame_crc(apdu)


class _Reader:
    def __init__(self, port, trace: TraceFn | None = None) -> None:
        self.port = port
        self.trace = trace
        self.stats = {"naks_sent": 0, "naks_received": 0, "retransmissions": 0, "garbage_bytes": 0}
        self._wait = getattr(port, "wait_readable", None)

    def _read(self, n: int, deadline: float) -> bytes:
        out = b""
        while len(out) < n:
            if time.monotonic() > deadline:
                return out
            try:
                chunk = self.port.read(n - len(out))
            except Exception as err:  # pyserial/OS: the cable or the peer went away
                raise Disconnected(str(err) or "the port failed", msg_id="link-lost") from err
            if chunk:
                out += chunk
            elif self._wait is not None:  # nothing yet: sleep until a byte comes, not in a busy loop
                try:
                    self._wait(max(0.0, min(0.05, deadline - time.monotonic())))
                except Exception as err:
                    raise Disconnected(str(err) or "the port failed", msg_id="link-lost") from err
        return out

    def _write(self, raw: bytes, kind: str) -> None:
        if self.trace is not None:
            self.trace("tx", kind, raw)
        try:
            self.port.write(raw)
            flush = getattr(self.port, "flush", None)
            if flush is not None:
                flush()
        except Exception as err:
            raise Disconnected(str(err) or "the port failed", msg_id="link-lost") from err


class SerialLink(_Reader):
    """DLE STX APDU DLE ETX CRC-lo CRC-hi, each frame answered by ACK (06) or NAK (15)."""

    framing = "serial"

    def __init__(self, port, trace: TraceFn | None = None, *, t1: float = T1, t3: float = T3) -> None:
        super().__init__(port, trace)
        self.t1 = t1
        self.t3 = t3

    def send(self, apdu: Apdu) -> None:
        raw = apdu.encode()
        frame = serial_frame(raw)
        for attempt in range(TRIES):
            if attempt:
                self.stats["retransmissions"] += 1
            self._write(frame, "frame")
            answer = self._read(1, time.monotonic() + self.t3)
            if answer == bytes([ACK]):
                return
            if answer == bytes([NAK]):
                self.stats["naks_received"] += 1
                continue
            if answer:
                self.stats["garbage_bytes"] += 1
        raise LinkTimeout(f"no ACK for {apdu.cls:02X} {apdu.instr:02X} after {TRIES} tries", msg_id="no-answer")

    def receive(self, timeout: float) -> Apdu:
        deadline = time.monotonic() + timeout
        bad = 0
        while True:
            first = self._read(1, deadline)
            if not first:
                raise LinkTimeout(f"no answer within {timeout:g} s", msg_id="no-answer")
            if first[0] != DLE:
                self.stats["garbage_bytes"] += 1
                continue
            second = self._read(1, time.monotonic() + self.t1)
            if second != bytes([STX]):
                self.stats["garbage_bytes"] += 1 + len(second)
                continue
            apdu = self._body()
            if apdu is not None:
                self._write(bytes([ACK]), "ack")
                if self.trace is not None:
                    self.trace("rx", "frame", serial_frame(apdu))
                return decode_apdu(apdu)
            bad += 1
            self.stats["naks_sent"] += 1
            self._write(bytes([NAK]), "nak")
            if bad >= TRIES:
                raise ProtocolError(f"{TRIES} damaged frames in a row", msg_id="frame-rejected")
            deadline = max(deadline, time.monotonic() + self.t3)

    def _body(self) -> bytes | None:
        """The unstuffed APDU up to DLE ETX and a matching CRC; None when damaged or cut short."""
        data = bytearray()
        while True:
            byte = self._read(1, time.monotonic() + self.t1)
            if not byte:
                return None
            if byte[0] != DLE:
                data += byte
                continue
            nxt = self._read(1, time.monotonic() + self.t1)
            if nxt == bytes([DLE]):
                data.append(DLE)
            elif nxt == bytes([ETX]):
                crc = self._read(2, time.monotonic() + self.t1)
                return bytes(data) if crc == frame_crc(bytes(data)) else None
            else:
                return None


class TcpLink(_Reader):
    """Raw APDUs on a TCP stream (no DLE framing, no CRC, no ACK byte: the ECR's ACK is the APDU 80 00 00)."""

    framing = "tcp"

    def send(self, apdu: Apdu) -> None:
        self._write(apdu.encode(), "frame")

    def receive(self, timeout: float) -> Apdu:
        deadline = time.monotonic() + timeout
        head = self._read(3, deadline)
        if len(head) < 3:
            raise LinkTimeout(f"no answer within {timeout:g} s", msg_id="no-answer")
        if head[2] == 0xFF:
            head += self._read(2, time.monotonic() + T2)
        known = apdu_length(head)
        if known is None:
            raise ProtocolError("APDU header cut short", msg_id="bad-message")
        n, size = known
        data = self._read(n, time.monotonic() + T2)
        if len(data) < n:
            raise ProtocolError(f"APDU cut short ({len(data)} of {n} bytes)", msg_id="bad-message")
        raw = head + data
        if self.trace is not None:
            self.trace("rx", "frame", raw)
        return decode_apdu(raw)
