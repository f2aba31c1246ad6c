"""The blocking API every terminal driver offers to the rest of the app."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .models import (
    CommTestResult,
    Counters,
    DeviceStatus,
    Hardware,
    HelloInfo,
    Identity,
    KeyStatus,
    LogEntry,
    Parameters,
    Progress,
    SelfTestResult,
    SettlementResult,
    SignOnResult,
)

TraceFn = Callable[[str, str, bytes], None]
ProgressFn = Callable[[Progress], None]

#: What a driver can read from its terminal (each a :class:`TerminalDriver` method or self-test).
READINGS = frozenset(
    {
        "hello",
        "identity",
        "login",
        "hardware",
        "parameters",
        "keys",
        "counters",
        "logs",
        "self-test.card-reader",
        "self-test.keypad",
        "comm-test",
        "sign-on",
        "device-status",
    }
)
#: What a driver can do to its terminal (the diagnosis offers only the actions its driver can carry out).
ACTIONS = frozenset({"set-parameters", "set-clock", "print", "settle", "reboot", "initialise", "register"})
#: Every capability a driver may declare.
CAPABILITIES = READINGS | ACTIONS


class TerminalDriver(abc.ABC):
    """One connected terminal. Blocking; not thread-safe (one worker owns it).

    Every method raises a :class:`drivers.errors.TerminalError` subclass that
    names the action that failed. ``close()`` is idempotent; drivers are
    context managers.
    """

    #: registry name, e.g. "cup-maint"
    name: str = ""
    #: the line speed a serial port is opened at when none is given
    default_baudrate: int = 115200
    #: the protocol's name as a person reads it ("not available over <display_name>")
    display_name: str = ""
    #: the readings and actions this driver can give (:data:`CAPABILITIES`); the rest raise
    #: :class:`drivers.errors.NotSupported` and the diagnosis never asks for them
    capabilities: frozenset[str] = CAPABILITIES
    #: the terminal wants the password with every command, the greeting included (ZVT has no login): a
    #: caller that has the password gives it (``login``) before ``hello``, and reports a refusal at its
    #: login step as usual
    password_first: bool = False
    #: ask the terminal for its host messages as they crossed the wire with every sign-on and
    #: settlement (``SignOnResult.traffic``; evidence bundles, ``--host-trace``); terminals that
    #: cannot give them leave the list empty
    capture_host_traffic: bool = False
    #: why the last sign-on or settlement came without its host traffic although it was wanted
    #: ("" when it was asked for, or not wanted)
    host_traffic_withheld: str = ""

    @abc.abstractmethod
    def hello(self) -> HelloInfo: ...

    @abc.abstractmethod
    def identity(self) -> Identity: ...

    @abc.abstractmethod
    def login(self, password: str) -> None: ...

    @abc.abstractmethod
    def logout(self) -> None: ...

    @abc.abstractmethod
    def parameters(self) -> Parameters: ...

    @abc.abstractmethod
    def key_status(self) -> KeyStatus: ...

    @abc.abstractmethod
    def hardware(self) -> Hardware: ...

    @abc.abstractmethod
    def counters(self) -> Counters: ...

    @abc.abstractmethod
    def read_log(self, kind: str) -> list[LogEntry]: ...

    @abc.abstractmethod
    def self_test(
        self,
        test: str,
        *,
        timeout_s: int = 30,
        on_progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> SelfTestResult: ...

    @abc.abstractmethod
    def set_parameters(self, changes: dict[str, Any]) -> Parameters: ...

    @abc.abstractmethod
    def set_clock(self, when: datetime) -> None: ...

    @abc.abstractmethod
    def print_text(self, lines: list[str]) -> None: ...

    @abc.abstractmethod
    def comm_test(self, *, on_progress: ProgressFn | None = None) -> CommTestResult: ...

    @abc.abstractmethod
    def sign_on(self, *, on_progress: ProgressFn | None = None) -> SignOnResult: ...

    @abc.abstractmethod
    def settle(self, *, on_progress: ProgressFn | None = None) -> SettlementResult: ...

    @abc.abstractmethod
    def reboot(self) -> int: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def is_open(self) -> bool: ...

    def can(self, capability: str) -> bool:
        """True when this driver declares ``capability`` (one of :data:`CAPABILITIES`)."""
        return capability in self.capabilities

    def initialise(self, *, on_progress: ProgressFn | None = None) -> Any:
        """Let the terminal fetch its configuration from its host (capability "initialise")."""
        from .errors import NotSupported

        raise NotSupported(f"{self.display_name or self.name} cannot initialise the terminal", action="initialising")

    def register(self) -> Any:
        """Register this laptop with the terminal as its cash register (capability "register")."""
        from .errors import NotSupported

        raise NotSupported(f"{self.display_name or self.name} has no registration", action="registering")

    def device_status(self) -> DeviceStatus:
        """The terminal's own state (capability "device-status")."""
        from .errors import NotSupported

        raise NotSupported(f"{self.display_name or self.name} reports no device status", action="reading the status")

    @property
    def link_stats(self) -> dict[str, int]:
        """Counts of link trouble so far (e.g. retransmissions, NAKs, garbage bytes); {} when not known."""
        return {}

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
