"""Registry of terminal drivers, imported lazily by name.

A terminal protocol (cup-maint, zvt) is added by writing its module
under ``drivers/`` and one line here; nothing in ``techapp/`` or ``ui/``
changes. A driver whose optional dependency is missing raises
:class:`DriverNotAvailable` only when asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import DriverNotAvailable

if TYPE_CHECKING:
    from .base import TerminalDriver


@dataclass(frozen=True)
class DriverEntry:
    name: str
    module: str
    cls: str
    description: str


DRIVERS: dict[str, DriverEntry] = {
    e.name: e
    for e in [
        DriverEntry(
            "cup-maint",
            "drivers.maint.driver",
            "MaintenanceDriver",
            "CUP-style maintenance protocol over UnionPay ECR framing (STX/LEN/ETX/LRC)",
        ),
        DriverEntry(
            "zvt",
            "drivers.zvt.driver",
            "ZvtDriver",
            "ZVT (ECR interface of German/Austrian/Swiss terminals) over serial (DLE framing, 9600 8N2) or TCP 20007",
        ),
    ]
}
DEFAULT_DRIVER = "cup-maint"


def driver_class(name: str = DEFAULT_DRIVER) -> type[TerminalDriver]:
    entry = DRIVERS.get(name)
    if entry is None:
        raise DriverNotAvailable(f"unknown driver {name!r}; available: {', '.join(sorted(DRIVERS))}")
    try:
        module = importlib.import_module(entry.module)
    except ImportError as err:
        raise DriverNotAvailable(f"driver {name!r} cannot be loaded: {err}") from err
    return getattr(module, entry.cls)


def open_terminal(port: Any, driver: str = DEFAULT_DRIVER, **options: Any) -> TerminalDriver:
    """Open ``port`` (name, URL or open byte port) with the named driver."""
    return driver_class(driver)(port, **options)


def hidden_imports() -> list[str]:
    """Modules PyInstaller cannot see (imported by name only)."""
    return sorted({e.module for e in DRIVERS.values()} | {"drivers.urlhandler.protocol_sim"})


def default_baudrate(name: str = DEFAULT_DRIVER) -> int:
    """The line speed the named driver opens a serial port at when none is given (115200; ZVT 9600)."""
    return driver_class(name).default_baudrate
