"""UnionPay-style ECR framing: ``STX | LEN (2 bytes BCD) | DATA | ETX | LRC``.

LRC is the XOR of every byte from the first length byte up to and including
ETX. The receiver of a frame answers ACK (06) when the frame is intact and NAK
(15) when it is not; the sender retransmits on NAK or when no answer comes,
``MAX_TRIES`` times in all.

This module knows bytes and frames only, nothing about terminals:
:class:`Deframer` turns a byte stream into events and :class:`FrameLink` adds
the ACK/NAK handshake on top of anything with pyserial's ``read``/``write``/
``timeout`` interface.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .errors import Disconnected, LinkTimeout, ProtocolError

STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

#: Largest DATA part accepted, in bytes. Longer frames are refused (sending)
#: or dropped and NAKed (receiving). Large results are chunked above this layer.
MAX_DATA_LEN = 2048
#: A frame in progress is abandoned when its next byte takes longer than this.
INTER_BYTE_TIMEOUT = 0.5
#: How long the sender waits for ACK/NAK after a frame before retransmitting.
ACK_TIMEOUT = 1.0
#: Transmissions of one frame before giving up (first try included).
MAX_TRIES = 3
#: Granularity of blocking reads on ports the link cannot wait on directly (rfc2217://,
#: Windows COM ports): bounds how late a deadline is noticed there. Ports it can wait on
#: (``wait_readable``, a file descriptor, a socket) are woken by the first byte and by the
#: deadline itself, never rounded to a slice (see :func:`readable_waiter`).
READ_SLICE = 0.02


class BytePort(Protocol):
    """The part of ``serial.Serial`` the link needs."""

    timeout: float | None

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...


WaitFn = Callable[[float], bool]
"""wait(seconds) -> True as soon as the port has bytes to read, False when ``seconds`` passed without any."""


def readable_waiter(port: object) -> WaitFn | None:
    """How to wait on ``port`` until its first byte arrives, or None (then reads block one slice).

    Our own ports (the simulator's, ``sim://``) offer ``wait_readable(seconds)``; a pyserial
    POSIX port (a device, a pty) has a file descriptor and a ``socket://`` port a socket, both
    waited on with ``select``. rfc2217:// reads from a queue filled by its own thread and Windows
    ports have no descriptor: those keep the sliced reads.
    """
    wait = getattr(port, "wait_readable", None)
    if callable(wait):
        return wait
    target: object | None = None
    if type(port).__module__ == "serial.urlhandler.protocol_socket":
        target = getattr(port, "_socket", None)  # pyserial's socket:// reads straight from it
    elif type(port).__module__ == "serial.serialposix":
        try:
            target = port.fileno()  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            target = None
    if target is None:
        return None

    def wait_fd(seconds: float) -> bool:
        ready, _, _ = select.select([target], [], [], max(seconds, 0.0))
        return bool(ready)

    return wait_fd


def lrc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def _bcd_length(n: int) -> bytes:
    text = f"{n:04d}"
    return bytes([int(text[0:2], 16), int(text[2:4], 16)])


def _parse_bcd_length(two: bytes) -> int | None:
    digits = two.hex()
    return int(digits) if digits.isdigit() else None


def encode_frame(data: bytes, *, max_data: int = MAX_DATA_LEN) -> bytes:
    """Wrap ``data`` in STX/LEN/ETX/LRC."""
    if len(data) > max_data:
        raise ProtocolError(f"frame data of {len(data)} bytes exceeds the {max_data}-byte limit")
    body = _bcd_length(len(data)) + bytes(data) + bytes([ETX])
    return bytes([STX]) + body + bytes([lrc(body)])


@dataclass(frozen=True)
class Frame:
    data: bytes


@dataclass(frozen=True)
class Control:
    byte: int  # ACK or NAK


@dataclass(frozen=True)
class BadFrame:
    reason: str


@dataclass(frozen=True)
class Garbage:
    count: int


Event = Frame | Control | BadFrame | Garbage


class Deframer:
    """Incremental parser: feed bytes, get frames, control bytes and errors.

    Bytes before an STX are skipped (reported as :class:`Garbage`); a start
    that turns out not to be a frame (length not BCD, too long, no ETX where
    the length says) is reported as :class:`BadFrame` and scanning resumes at
    the next byte, so a real frame hidden behind noise is still found.
    """

    def __init__(self, max_data: int = MAX_DATA_LEN) -> None:
        self.max_data = max_data
        self._buf = bytearray()

    @property
    def in_frame(self) -> bool:
        """True while a frame has started but is not complete."""
        return bool(self._buf) and self._buf[0] == STX

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        events: list[Event] = []
        buf = self._buf
        while buf:
            first = buf[0]
            if first in (ACK, NAK):
                events.append(Control(first))
                del buf[0]
                continue
            if first != STX:
                n = 1
                while n < len(buf) and buf[n] not in (STX, ACK, NAK):
                    n += 1
                events.append(Garbage(n))
                del buf[:n]
                continue
            if len(buf) < 3:
                break
            length = _parse_bcd_length(bytes(buf[1:3]))
            if length is None:
                events.append(BadFrame(f"length bytes {bytes(buf[1:3]).hex()} are not BCD"))
                del buf[0]
                continue
            if length > self.max_data:
                events.append(BadFrame(f"frame of {length} bytes exceeds the {self.max_data}-byte limit"))
                del buf[0]
                continue
            total = length + 5
            if len(buf) < total:
                break
            if buf[3 + length] != ETX:
                events.append(BadFrame("no ETX where the length field says the frame ends"))
                del buf[0]
                continue
            body = bytes(buf[1 : 4 + length])
            if lrc(body) != buf[4 + length]:
                events.append(BadFrame(f"LRC mismatch (got {buf[4 + length]:02X}, computed {lrc(body):02X})"))
                del buf[:total]
                continue
            events.append(Frame(bytes(buf[3 : 3 + length])))
            del buf[:total]
        return events


TraceFn = Callable[[str, str, bytes], None]
"""trace(direction, kind, raw): direction 'tx'/'rx'; kind 'frame' (raw = the frame's DATA, without
STX/LEN/ETX/LRC), 'ack', 'nak' (the byte), 'bad' (raw = the reason, ASCII)."""


class FrameLink:
    """Reliable frame exchange over a byte port: ACK/NAK, retransmission, resync.

    Used by both ends: the driver on the laptop and the simulated terminal.
    ``port`` errors (``OSError`` and pyserial's ``SerialException``) become
    :class:`Disconnected`.
    """

    def __init__(
        self,
        port: BytePort,
        *,
        ack_timeout: float = ACK_TIMEOUT,
        inter_byte_timeout: float = INTER_BYTE_TIMEOUT,
        max_tries: int = MAX_TRIES,
        max_data: int = MAX_DATA_LEN,
        trace: TraceFn | None = None,
        refuse_good_frame: Callable[[], bool] | None = None,
    ) -> None:
        self.port = port
        self.ack_timeout = ack_timeout
        self.inter_byte_timeout = inter_byte_timeout
        self.max_tries = max_tries
        self.max_data = max_data
        self.trace = trace
        #: Fault injection hook for the simulator: NAK an intact frame.
        self.refuse_good_frame = refuse_good_frame
        self._deframer = Deframer(max_data)
        self._wait = readable_waiter(port)
        self._frames: list[bytes] = []
        self._controls: list[int] = []
        self._last_byte_at = 0.0
        self.stats = {"retransmissions": 0, "naks_sent": 0, "garbage_bytes": 0}

    # -- low level ---------------------------------------------------------
    def _trace(self, direction: str, kind: str, raw: bytes) -> None:
        if self.trace is not None:
            self.trace(direction, kind, raw)

    def _write(self, raw: bytes, kind: str, shown: bytes | None = None) -> None:
        self._trace("tx", kind, raw if shown is None else shown)
        try:
            self.port.write(raw)
        except Exception as err:  # SerialException, OSError, closed socket
            raise Disconnected(f"link lost while sending ({err})") from err

    def _pump(self, wait: float) -> None:
        """Read what is available and parse it; if nothing is, wait up to ``wait`` s for the first byte.

        Returns as soon as bytes arrive, or when ``wait`` has passed (or, inside a frame, when
        the inter-byte time-out falls due): no wait is rounded up to a read slice, except on
        ports :func:`readable_waiter` cannot wait on.
        """
        try:
            chunk = b""
            if self._wait is not None:
                if wait > 0 and self._deframer.in_frame:
                    due = self._last_byte_at + self.inter_byte_timeout - time.monotonic()
                    wait = min(wait, max(due, 0.0) + 0.001)
                if wait > 0 and self._wait(wait):
                    chunk = self.port.read(1)  # readable: returns at once (or raises on a hang-up)
            else:
                if self.port.timeout != READ_SLICE:
                    self.port.timeout = READ_SLICE
                if wait > 0:
                    chunk = self.port.read(1)
            waiting = self.port.in_waiting
            if waiting:
                chunk += self.port.read(waiting)
        except Exception as err:
            raise Disconnected(f"link lost while receiving ({err})") from err
        now = time.monotonic()
        if not chunk:
            if self._deframer.in_frame and now - self._last_byte_at > self.inter_byte_timeout:
                # Drop the whole partial frame, not only its STX: rescanning its tail for
                # another STX would NAK the same frame again and burn the sender's tries.
                self._deframer.reset()
                self._trace("rx", "bad", b"frame abandoned: inter-byte timeout")
                self._send_control(NAK)
            return
        self._last_byte_at = now
        self._handle(self._deframer.feed(chunk))

    def _handle(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Frame):
                if self.refuse_good_frame is not None and self.refuse_good_frame():
                    self._send_control(NAK)
                    continue
                self._trace("rx", "frame", event.data)
                self._send_control(ACK)
                self._frames.append(event.data)
            elif isinstance(event, Control):
                self._trace("rx", "ack" if event.byte == ACK else "nak", bytes([event.byte]))
                self._controls.append(event.byte)
            elif isinstance(event, BadFrame):
                self._trace("rx", "bad", event.reason.encode())
                self._send_control(NAK)
            else:
                self.stats["garbage_bytes"] += event.count

    def _send_control(self, byte: int) -> None:
        if byte == NAK:
            self.stats["naks_sent"] += 1
        self._write(bytes([byte]), "ack" if byte == ACK else "nak")

    # -- public ------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Send one frame and wait for its ACK, retransmitting on NAK or silence.

        Frames from the peer that arrive meanwhile are ACKed and kept for
        :meth:`receive`; they do not stand in for our ACK (the peer may be
        sending progress while our frame was lost). The ACK wait starts when
        the frame has left the wire at the port's baud rate.
        """
        raw = encode_frame(data, max_data=self.max_data)
        baud = getattr(self.port, "baudrate", None)
        wire_time = len(raw) * 10 / baud if isinstance(baud, int) and baud > 0 else 0.0
        last = "no answer"
        for attempt in range(self.max_tries):
            if attempt:
                self.stats["retransmissions"] += 1
            self._controls.clear()
            self._write(raw, "frame", data)
            deadline = time.monotonic() + wire_time + self.ack_timeout
            while True:
                if self._controls:
                    byte = self._controls.pop(0)
                    if byte == ACK:
                        return
                    last = "NAK"
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    last = "no answer"
                    break
                self._pump(remaining)
        if last == "NAK":
            raise ProtocolError(
                f"peer rejected the frame {self.max_tries} times (NAK)",
                msg_id="frame-rejected",
                params={"tries": self.max_tries},
            )
        raise LinkTimeout(f"no ACK after {self.max_tries} tries")

    def receive(self, timeout: float) -> bytes:
        """Wait up to ``timeout`` s for one intact frame (ACKed) and return its data."""
        deadline = time.monotonic() + timeout
        while not self._frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkTimeout(f"no frame within {timeout:g} s")
            self._pump(remaining)
        return self._frames.pop(0)

    def service(self, seconds: float) -> None:
        """Keep the line serviced for ``seconds`` (ACK what arrives, queue it) while busy with other work."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._pump(remaining)

    def poll(self) -> bytes | None:
        """Return a frame if one is already waiting or readable now, else None."""
        if not self._frames:
            self._pump(0)
        return self._frames.pop(0) if self._frames else None

    def discard_input(self) -> None:
        """Forget queued frames and partial input (after a timeout, before a retry)."""
        self._frames.clear()
        self._controls.clear()
        self._deframer.reset()
