"""``rfc2217://`` works like any port: a terminal shared over the network by an RFC 2217 server.

The server here is pyserial's own ``PortManager`` in front of a real pty served
by the simulator, on loopback, as ``ser2net``-style bridges do on a bench.
"""

from __future__ import annotations

import socket
import threading

import pytest
import serial
import serial.rfc2217

from drivers.registry import open_terminal

PASSWORD = "demo-2026"
# pyserial 3.5's RFC 2217 client names and starts its reader with Thread.setName()/setDaemon()
pytestmark = pytest.mark.filterwarnings("ignore:set(Daemon|Name)\\(\\) is deprecated:DeprecationWarning")


class _PtySerial(serial.Serial):
    """A pty has no modem lines (ENOTTY): ignore line changes and report lines inactive, as ser2net does."""

    def _line(self, name: str) -> bool:
        try:
            return getattr(serial.Serial, name).fget(self)
        except OSError:
            return False

    def _update_dtr_state(self) -> None:
        try:
            super()._update_dtr_state()
        except OSError:
            pass

    def _update_rts_state(self) -> None:
        try:
            super()._update_rts_state()
        except OSError:
            pass

    cts = property(lambda self: self._line("cts"))
    dsr = property(lambda self: self._line("dsr"))
    ri = property(lambda self: self._line("ri"))
    cd = property(lambda self: self._line("cd"))


class _Writer:
    """PortManager writes its telnet answers with ``write``."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def write(self, data: bytes) -> None:
        self.conn.sendall(data)


class Rfc2217Bridge:
    """One-client RFC 2217 server on 127.0.0.1 in front of a serial device."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="rfc2217-bridge")
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(0.05)
        with _PtySerial(self.device, 115200, timeout=0.05) as ser, conn:
            manager = serial.rfc2217.PortManager(ser, _Writer(conn))
            while not self.stop.is_set():
                try:
                    data = conn.recv(4096)
                    if not data:
                        break
                    ser.write(b"".join(manager.filter(data)))
                except TimeoutError:
                    pass
                waiting = ser.in_waiting
                if waiting:
                    conn.sendall(b"".join(manager.escape(ser.read(waiting))))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()


def test_a_terminal_behind_an_rfc2217_server_reads_like_a_local_one(pty_sim):
    server = pty_sim("demo-97")
    bridge = Rfc2217Bridge(server.path)
    try:
        with open_terminal(f"rfc2217://127.0.0.1:{bridge.port}?timeout=2") as driver:
            assert driver.identity().serial_number == "82412345"
            driver.login(PASSWORD)
            assert driver.parameters().tid == "12345687"
            assert driver.set_parameters({"tid": "12345678"}).tid == "12345678"
    finally:
        bridge.close()
    assert server.terminal.commits == 1


def test_an_rfc2217_url_with_nobody_listening_is_port_not_available():
    from drivers.errors import PortNotAvailable

    with socket.create_server(("127.0.0.1", 0)) as s:
        free = s.getsockname()[1]  # closed again below: nobody listens there
    with pytest.raises(PortNotAvailable) as err:
        open_terminal(f"rfc2217://127.0.0.1:{free}")
    assert f"opening rfc2217://127.0.0.1:{free}" in str(err.value)


def test_a_tcp_listener_that_does_not_speak_rfc2217_is_port_not_available():
    """A plain TCP listener (no telnet negotiation): a clear refusal naming the URL, no hang."""
    from drivers.errors import PortNotAvailable

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(PortNotAvailable) as err:
            open_terminal(f"rfc2217://127.0.0.1:{port}?timeout=0.5")
    assert f"opening rfc2217://127.0.0.1:{port}?timeout=0.5" in str(err.value)
    assert "does not seem to support RFC2217" in str(err.value)
