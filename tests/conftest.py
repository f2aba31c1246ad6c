"""Shared fixtures: the simulated world, served for real (pty, TCP, in-process).

Tests may look inside the simulator (``server.terminal``) to check what really
happened on the device; the app under test never does.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.maint.driver import MaintenanceDriver
from drivers.registry import open_terminal
from drivers.sim.scenario import Scenario, load_scenario, load_scenario_text
from drivers.sim.server import PtyServer, TcpServer, forget_terminals
from drivers.sim.terminal import SimulatedTerminal

# The simulated cable is paced by default (docs/scenarios.md); the tests run it unpaced unless a scenario
# says `pace = true` (tests/test_scenarios.py checks both), which saves minutes of wire time in the suite.
os.environ.setdefault("TECHAPP_SIM_PACE", "0")

DEMO_PASSWORD = "demo-2026"
DATA = Path(__file__).parent / "data"


def make_terminal(scenario: str | Scenario = "healthy", overrides: str = "") -> SimulatedTerminal:
    """A terminal from a shipped scenario, optionally with TOML overrides merged on top."""
    if isinstance(scenario, Scenario):
        return SimulatedTerminal(scenario)
    if overrides:
        return SimulatedTerminal(load_scenario_text(f'extends = "{scenario}"\n{overrides}', source="test"))
    return SimulatedTerminal(load_scenario(scenario))


@pytest.fixture
def connect() -> Iterator[Callable[..., MaintenanceDriver]]:
    """``connect(port, **options)`` opens the real driver; every driver is closed after the test."""
    drivers: list[MaintenanceDriver] = []

    def open_(port, **options) -> MaintenanceDriver:
        driver = open_terminal(port, **options)
        assert isinstance(driver, MaintenanceDriver)
        drivers.append(driver)
        return driver

    yield open_
    for driver in drivers:
        driver.close()


@pytest.fixture
def pty_sim() -> Iterator[Callable[..., PtyServer]]:
    """``pty_sim("healthy", overrides="...")`` serves a terminal on a real pty; stopped after the test."""
    servers: list[PtyServer] = []

    def start(scenario: str | Scenario = "healthy", overrides: str = "", **kw) -> PtyServer:
        server = PtyServer(make_terminal(scenario, overrides), **kw).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def tcp_sim() -> Iterator[Callable[..., TcpServer]]:
    """``tcp_sim("healthy")`` serves a terminal on 127.0.0.1:<free port>; use ``server.url``."""
    servers: list[TcpServer] = []

    def start(scenario: str | Scenario = "healthy", overrides: str = "") -> TcpServer:
        server = TcpServer(make_terminal(scenario, overrides)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sim_port(pty_sim, tcp_sim) -> Callable[..., tuple[PtyServer | TcpServer, str]]:
    """``sim_port("pty" | "tcp", scenario, overrides="")``: (server, the port to open: pty path or socket:// URL)."""

    def start(kind: str, scenario: str | Scenario = "healthy", overrides: str = "") -> tuple:
        server = (pty_sim if kind == "pty" else tcp_sim)(scenario, overrides)
        return server, (server.path if kind == "pty" else server.url)

    return start


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workplace rule: tests reach only 127.0.0.0/8 and ::1. Any other connect fails the test."""
    real = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "sendto")}

    def guard(name: str):
        def method(self, *args):
            address = args[-1]
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
                raise AssertionError(f"a test tried to reach {address!r}, which is not loopback")
            return real[name](self, *args)

        return method

    for name in real:
        monkeypatch.setattr(socket.socket, name, guard(name))
    monkeypatch.setenv("TECHAPP_LOOPBACK_ONLY", "1")


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Backups, the visit history and crash logs go to a fresh folder unless a test picks its own,
    never to the real user data directory (every `techapp diagnose` records a visit)."""
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def hopeless_waits_scaled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulated terminal waits out a time-out that nothing can end (a host that never answers)
    in 1/20 of its time, and still reports the whole time-out (drivers/timescale.py). Its own
    clock readings (a sign-on's elapsed_ms) are then the real, shorter ones: tests that check
    them do not use this."""
    monkeypatch.setenv("TECHAPP_SIM_TIME_SCALE", "0.05")


@pytest.fixture(autouse=True)
def _fresh_world_and_no_leaks() -> Iterator[None]:
    """Every test starts with no in-process terminals and must not leave threads running."""
    forget_terminals()
    before = set(threading.enumerate())
    yield
    forget_terminals()
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in leaked:
        t.join(timeout=5)
    leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"
