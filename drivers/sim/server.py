"""Serving a simulated terminal: over a pty, over TCP on loopback, or in-process.

Only loopback is ever bound or dialled; every other address in a scenario is
emulated from its ``[network]`` rules.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..framing import FrameLink
from .ports import ConditionedPort, FdPort, QueuePort, SocketPort, cable
from .scenario import load_scenario
from .terminal import MaintState, Session, SimulatedTerminal

_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)

PTY_UNAVAILABLE = (
    "a pseudo-terminal (--pty) needs Linux or macOS; here serve the simulated terminal over TCP "
    "(`techapp sim SCENARIO --tcp 7000`, then connect to socket://127.0.0.1:7000) or connect to sim://SCENARIO"
)


class PtyUnavailable(OSError):
    """This system has no pseudo-terminals (Windows): :data:`PTY_UNAVAILABLE` says what to use instead."""

    def __init__(self) -> None:
        super().__init__(PTY_UNAVAILABLE)


def _posix_tty():
    """``termios`` and ``tty``, imported only when a pty is served (they do not exist on Windows)."""
    try:
        import termios
        import tty
    except ImportError:
        raise PtyUnavailable() from None
    if not hasattr(os, "openpty"):
        raise PtyUnavailable()
    return termios, tty


SessionEnd = str  # "disconnected" (client left), "fault" (scenario pulled the cable), "stopped"


def run_session(
    terminal: SimulatedTerminal,
    raw_port,
    stop: threading.Event,
    client_baud: Callable[[], int | None] = lambda: None,
    state: MaintState | None = None,
    framing: str = "serial",
) -> SessionEnd:
    """Serve one connection until the client leaves, a fault cuts it, or ``stop``.

    ``state`` None: a serial line, whose maintenance session (login, staged values, duplicate
    cache) is the terminal's own and outlives the connection (docs/protocol.md §3.5); a
    transport that reports its end (TCP) passes a fresh :class:`MaintState` per connection.
    """
    port = ConditionedPort(
        raw_port, terminal.scenario.link, client_baud, muted=lambda: time.monotonic() < terminal.busy_until
    )
    faults = terminal.scenario.link.faults
    cut = False

    def on_frame(count: int) -> bool:
        nonlocal cut
        if faults.silent_after_frames and count >= faults.silent_after_frames:
            port.silent = True
        if faults.disconnect_after_frames and count >= faults.disconnect_after_frames:
            cut = True
            return False
        return True

    if terminal.scenario.protocol == "zvt":  # the same line and faults, the ZVT terminal behind them
        from .zvt import serve_zvt

        end = serve_zvt(terminal, port, stop, framing, on_frame)
        return "fault" if cut else end
    link = FrameLink(port, refuse_good_frame=port.refuse_good_frame)
    session = Session(terminal, link, state)
    session.serve(stop, on_frame)
    if stop.is_set():
        return "stopped"
    return "fault" if cut else "disconnected"


class PtyServer:
    """Serves a terminal on a pseudo-terminal; the laptop opens :attr:`path`.

    When a fault pulls the cable the pty is destroyed (the laptop sees the
    device vanish) and a new one is made, as when a USB adapter re-enumerates.
    ``link`` (optional) is a symlink kept pointing at the current pty.
    """

    def __init__(
        self,
        terminal: SimulatedTerminal,
        link: str | os.PathLike[str] | None = None,
        on_new_path: Callable[[str], None] | None = None,
    ) -> None:
        self._termios, self._tty = _posix_tty()
        self._bauds = {getattr(self._termios, f"B{r}"): r for r in _BAUDS if hasattr(self._termios, f"B{r}")}
        self.terminal = terminal
        self.link = Path(link) if link else None
        self.on_new_path = on_new_path
        self.stop_event = threading.Event()
        self.master = -1
        self.path = ""
        self._open_pty()
        self.thread = threading.Thread(target=self._run, name="sim-pty", daemon=True)

    def _open_pty(self) -> None:
        termios, tty = self._termios, self._tty
        master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        speed = getattr(termios, f"B{self.terminal.scenario.link.line_baud}", termios.B115200)
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.master, self.path = master, os.ttyname(slave)
        os.close(slave)  # the client opens it; EIO on the master then means "nobody connected"
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.path)
            tmp.replace(self.link)
        if self.on_new_path is not None:
            self.on_new_path(self.path)

    def _client_baud(self) -> int | None:
        try:
            return self._bauds.get(self._termios.tcgetattr(self.master)[5])
        except self._termios.error:
            return None

    def start(self) -> PtyServer:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.is_set():
            end = run_session(self.terminal, FdPort(self.master), self.stop_event, self._client_baud)
            if end == "fault":
                os.close(self.master)
                self._open_pty()
            elif end == "disconnected":
                time.sleep(0.05)  # EIO: no client has the slave open (yet)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        if self.link is not None:  # the name goes first: never a moment when it names a freed pty
            self.link.unlink(missing_ok=True)
        self.terminal.close()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


def _check_loopback(host: str) -> None:
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise ValueError(f"the simulator only listens on loopback (127.0.0.0/8, ::1), not {host!r}")


class TcpServer:
    """Serves a terminal on TCP (one client at a time), for ``socket://HOST:PORT``."""

    def __init__(self, terminal: SimulatedTerminal, port: int = 0, host: str = "127.0.0.1") -> None:
        _check_loopback(host)
        self.terminal = terminal
        self.stop_event = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(1)
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()[:2]
        self.thread = threading.Thread(target=self._run, name="sim-tcp", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"socket://{host}:{self.port}"

    def start(self) -> TcpServer:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            port = SocketPort(client)
            try:
                # the login ends with the TCP connection (a transport that reports its end)
                run_session(self.terminal, port, self.stop_event, state=MaintState(), framing="tcp")
            finally:
                port.close()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        self.terminal.close()
        self.sock.close()


class InProcessLink:
    """A terminal served on a thread, reached through an in-process cable."""

    def __init__(self, terminal: SimulatedTerminal, client_baud: Callable[[], int | None]) -> None:
        self.laptop_end, self._terminal_end = cable()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(terminal, client_baud), name="sim-inproc", daemon=True)
        self.thread.start()

    def _run(self, terminal: SimulatedTerminal, client_baud: Callable[[], int | None]) -> None:
        try:
            run_session(terminal, self._terminal_end, self.stop_event, client_baud)
        finally:
            self._terminal_end.close()  # a fault or the end of the session pulls the cable

    def close(self) -> None:
        self.stop_event.set()
        self.laptop_end.close()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=5)


# -- the in-process world: one terminal per scenario, kept across reconnects ---------
_terminals: dict[str, SimulatedTerminal] = {}
_terminals_lock = threading.Lock()


def terminal_for(name: str, *, fresh: bool = False) -> SimulatedTerminal:
    """The in-process terminal for scenario ``name`` (made on first use).

    Reopening ``sim://NAME`` reaches the same terminal, with what was written
    to it, like plugging the cable back into the same device.
    """
    with _terminals_lock:
        if fresh or name not in _terminals:
            if name in _terminals:
                _terminals[name].close()
            _terminals[name] = SimulatedTerminal(load_scenario(name))
        return _terminals[name]


def forget_terminals() -> None:
    """Drop every in-process terminal (tests start from the scenario files), stopping their acquirers."""
    with _terminals_lock:
        for terminal in _terminals.values():
            terminal.close()
        _terminals.clear()


__all__ = [
    "InProcessLink",
    "PTY_UNAVAILABLE",
    "PtyServer",
    "PtyUnavailable",
    "QueuePort",
    "TcpServer",
    "forget_terminals",
    "run_session",
    "terminal_for",
]
