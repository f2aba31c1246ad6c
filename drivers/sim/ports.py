"""Byte ports for the simulator's side of a link, and the link conditioner.

Each port offers what :class:`~drivers.framing.FrameLink` needs (``timeout``,
``in_waiting``, ``read``, ``write``, ``close``). :class:`ConditionedPort`
wraps one and applies the scenario's ``[link]`` behaviour: pacing at the
line's baud rate, garbling when the client's baud rate differs, and injected
faults (corrupted or dropped bytes, noise, silence), per frame and per byte.
"""

from __future__ import annotations

import os
import random
import select
import socket
import threading
import time
from collections.abc import Callable

from .scenario import Faults, Link

GARBLE_MASK = 0x5A


class _BufferedPort:
    """Common buffering: ``_fill(wait)`` appends what the OS has to ``_buf``."""

    def __init__(self) -> None:
        self.timeout: float | None = 0.02
        self._buf = bytearray()
        self.closed = False

    def _fill(self, wait: float) -> None:
        raise NotImplementedError

    @property
    def in_waiting(self) -> int:
        if not self._buf:
            self._fill(0)
        return len(self._buf)

    def wait_readable(self, seconds: float) -> bool:
        """True as soon as a byte can be read, False after ``seconds`` without one."""
        if not self._buf:
            self._fill(max(seconds, 0.0))
        return bool(self._buf)

    def read(self, size: int = 1) -> bytes:
        if not self._buf:
            self._fill(self.timeout or 0)
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


class FdPort(_BufferedPort):
    """The master side of a pty. OSError (EIO once the client closes the slave) propagates."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def _fill(self, wait: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if ready:
            data = os.read(self.fd, 4096)
            if not data:
                raise OSError("pty closed")
            self._buf += data

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        return len(data)

    def close(self) -> None:
        self.closed = True


class SocketPort(_BufferedPort):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock

    def _fill(self, wait: float) -> None:
        ready, _, _ = select.select([self.sock], [], [], wait)
        if ready:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionResetError("client closed the connection")
            self._buf += data

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class ByteQueue:
    """One direction of an in-process cable."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._cond = threading.Condition()
        self.closed = False

    def put(self, data: bytes) -> None:
        with self._cond:
            if self.closed:
                raise ConnectionResetError("cable pulled")
            self._buf += data
            self._cond.notify_all()

    def get(self, size: int, timeout: float) -> bytes:
        with self._cond:
            if not self._buf and not self.closed and timeout > 0:
                self._cond.wait(timeout)
            if not self._buf and self.closed:
                raise ConnectionResetError("cable pulled")
            out = bytes(self._buf[:size])
            del self._buf[:size]
            return out

    def wait(self, timeout: float) -> bool:
        """True as soon as bytes are queued, False after ``timeout`` without any."""
        with self._cond:
            if not self._buf and not self.closed and timeout > 0:
                self._cond.wait_for(lambda: self._buf or self.closed, timeout)
            if not self._buf and self.closed:
                raise ConnectionResetError("cable pulled")
            return bool(self._buf)

    def __len__(self) -> int:
        with self._cond:
            if not self._buf and self.closed:
                raise ConnectionResetError("cable pulled")
            return len(self._buf)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class QueuePort:
    """One end of an in-process cable made of two :class:`ByteQueue`."""

    def __init__(self, rx: ByteQueue, tx: ByteQueue) -> None:
        self.rx, self.tx = rx, tx
        self.timeout: float | None = 0.02

    @property
    def in_waiting(self) -> int:
        return len(self.rx)

    def wait_readable(self, seconds: float) -> bool:
        return self.rx.wait(seconds)

    def read(self, size: int = 1) -> bytes:
        return self.rx.get(size, self.timeout or 0)

    def write(self, data: bytes) -> int:
        self.tx.put(bytes(data))
        return len(data)

    def close(self) -> None:
        self.rx.close()
        self.tx.close()


def cable() -> tuple[QueuePort, QueuePort]:
    """An in-process cable: (laptop end, terminal end)."""
    a, b = ByteQueue(), ByteQueue()
    return QueuePort(a, b), QueuePort(b, a)


class ByteNoise:
    """Line noise per byte in one direction of the cable (``[link.faults]`` ``byte_*_rate``).

    Every byte that crosses is, independently: preceded by a random noise
    byte (``byte_insert_rate``), lost (``byte_drop_rate``) or received with
    one bit flipped (``byte_corrupt_rate``). ACK and NAK bytes are bytes like
    any other. The generator is seeded from the scenario's seed and the
    direction, so the same bytes meet the same noise every time.
    """

    def __init__(self, faults: Faults, direction: str) -> None:
        self.insert = faults.byte_insert_rate
        self.drop = faults.byte_drop_rate
        self.corrupt = faults.byte_corrupt_rate
        wanted = faults.byte_noise_direction in ("both", direction)
        self.active = wanted and bool(self.insert or self.drop or self.corrupt)
        self.rng = random.Random(f"{faults.seed}:{direction}")
        self.counts = {"inserted": 0, "dropped": 0, "corrupted": 0}

    def apply(self, data: bytes) -> bytes:
        if not self.active or not data:
            return data
        rng = self.rng
        out = bytearray()
        for byte in data:
            if self.insert and rng.random() < self.insert:
                out.append(rng.randrange(256))
                self.counts["inserted"] += 1
            if self.drop and rng.random() < self.drop:
                self.counts["dropped"] += 1
                continue
            if self.corrupt and rng.random() < self.corrupt:
                byte ^= 1 << rng.randrange(8)
                self.counts["corrupted"] += 1
            out.append(byte)
        return bytes(out)


class ConditionedPort:
    """Applies the scenario's link behaviour to the terminal's side of a cable.

    Args:
        raw: the terminal-side byte port.
        link: the scenario's ``[link]`` table.
        client_baud: returns the baud rate the laptop opened the port with,
            or None where the transport does not carry it (TCP).
        muted: True while the terminal is rebooting (it sends nothing, not even ACK).
    """

    def __init__(
        self,
        raw,
        link: Link,
        client_baud: Callable[[], int | None] = lambda: None,
        muted: Callable[[], bool] = lambda: False,
    ) -> None:
        self.raw = raw
        self.muted = muted
        self.link = link
        self.client_baud = client_baud
        self.rng = random.Random(link.faults.seed)
        self.silent = False
        self.noise_out = ByteNoise(link.faults, "to-laptop")  # what the terminal sends
        self.noise_in = ByteNoise(link.faults, "to-terminal")  # what the laptop sends

    @property
    def timeout(self) -> float | None:
        return self.raw.timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self.raw.timeout = value

    def _baud_mismatch(self) -> bool:
        baud = self.client_baud()
        return baud is not None and baud != self.link.line_baud

    @staticmethod
    def _garble(data: bytes) -> bytes:
        # at the wrong rate every byte arrives as a framing-error byte with the high bit set
        return bytes(0x80 | ((b ^ GARBLE_MASK) & 0x7F) for b in data)

    @property
    def in_waiting(self) -> int:
        return self.raw.in_waiting

    def wait_readable(self, seconds: float) -> bool:
        return self.raw.wait_readable(seconds)

    def read(self, size: int = 1) -> bytes:
        data = self.noise_in.apply(self.raw.read(size))
        if data and self._baud_mismatch():
            return self._garble(data)
        return data

    def write(self, data: bytes) -> int:
        if self.silent or self.muted():
            return len(data)  # hung or rebooting: nothing leaves the terminal
        out = bytes(data)
        f = self.link.faults
        if len(out) > 1:  # a frame, not a lone ACK/NAK
            if f.drop_rate and self.rng.random() < f.drop_rate:
                cut = self.rng.randrange(1, len(out))
                out = out[:cut] + out[cut + 1 :]
            if f.corrupt_rate and self.rng.random() < f.corrupt_rate:
                pos = self.rng.randrange(3, len(out))
                out = out[:pos] + bytes([out[pos] ^ (1 << self.rng.randrange(8))]) + out[pos + 1 :]
            if f.garbage_rate and self.rng.random() < f.garbage_rate:
                noise = bytes(
                    self.rng.choice((0x00, 0xFF, 0x7F, 0x41, 0x80, 0x99)) for _ in range(self.rng.randint(1, 8))
                )
                out = noise + out
        out = self.noise_out.apply(out)
        if self._baud_mismatch():
            out = self._garble(out)
        if self.link.pace:
            time.sleep(len(out) * 10 / self.link.line_baud)
        return self.raw.write(out)

    def refuse_good_frame(self) -> bool:
        rate = self.link.faults.spurious_nak_rate
        return bool(rate) and self.rng.random() < rate

    def close(self) -> None:
        self.raw.close()
