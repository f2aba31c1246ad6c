"""pyserial URL handler for ``sim://SCENARIO``: the built-in simulated terminal.

``sim://healthy`` serves the shipped scenario ``healthy`` on a thread of this
process; ``sim:///path/to/file.toml`` serves a scenario file. Options:
``?fresh`` starts the terminal anew from its file instead of reaching the one
already plugged in this process.
"""

from __future__ import annotations

import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from ..sim.scenario import ScenarioError
from ..sim.server import InProcessLink, terminal_for


def parse_sim_url(url: str) -> tuple[str, bool]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "sim":
        raise SerialException(f"expected sim://SCENARIO, got {url!r}")
    name = parts.netloc + parts.path
    if not name:
        raise SerialException("sim:// needs a scenario name or file, e.g. sim://healthy")
    options = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - {"fresh"}
    if unknown:
        raise SerialException(f"unknown sim:// option(s): {', '.join(sorted(unknown))}; known: fresh")
    return name, "fresh" in options


class Serial(SerialBase):
    """A serial port whose other end is an in-process simulated terminal."""

    def open(self) -> None:
        if self.is_open:
            raise SerialException("port is already open")
        if self._port is None:
            raise SerialException("port must be configured before it can be used")
        name, fresh = parse_sim_url(self._port)
        try:
            terminal = terminal_for(name, fresh=fresh)
        except ScenarioError as err:
            raise SerialException(str(err)) from err
        self._sim = InProcessLink(terminal, lambda: self._baudrate)
        self._end = self._sim.laptop_end
        self.is_open = True

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            self._sim.close()
        super().close()

    def _reconfigure_port(self) -> None:
        pass  # the baud rate is read by the simulator when it matters

    def _check(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()

    def _io(self, operation):
        self._check()
        try:
            return operation()
        except ConnectionResetError as err:  # the simulated cable was pulled
            raise SerialException(f"device disconnected: {err}") from err

    @property
    def in_waiting(self) -> int:
        return self._io(lambda: self._end.in_waiting)

    def wait_readable(self, seconds: float) -> bool:
        """True as soon as the terminal has sent a byte, False after ``seconds`` (drivers.framing waits with it)."""
        return self._io(lambda: self._end.wait_readable(seconds))

    def read(self, size: int = 1) -> bytes:
        self._end.timeout = self._timeout
        return self._io(lambda: self._end.read(size))

    def write(self, data) -> int:
        return self._io(lambda: self._end.write(bytes(data)))

    def reset_input_buffer(self) -> None:
        self._io(lambda: self._end.rx.get(1 << 20, 0))

    def reset_output_buffer(self) -> None:
        self._check()

    @property
    def out_waiting(self) -> int:
        return 0

    def _update_break_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
