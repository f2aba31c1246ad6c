"""Registry of terminal drivers, imported lazily by name.

A terminal protocol (cup-maint, zvt) is added by writing its module
under ``drivers/`` and one line here; nothing in ``techapp/`` or ``ui/``
changes. A driver whose optional dependency is missing raises
:class:`DriverNotAvailable` only when asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
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
    #: module with ``secret_values(raw) -> list[bytes]`` (what in a frame gives a secret away) and
    #: ``describe(raw, mask) -> str | None`` (the frame decoded, secrets shown as ``mask``)
    trace: str = ""


DRIVERS: dict[str, DriverEntry] = {
    e.name: e
    for e in [
        DriverEntry(
            "cup-maint",
            "drivers.maint.driver",
            "MaintenanceDriver",
            "CUP-style maintenance protocol over UnionPay ECR framing (STX/LEN/ETX/LRC)",
            trace="drivers.maint.tracemask",
        ),
        DriverEntry(
            "zvt",
            "drivers.zvt.driver",
            "ZvtDriver",
            "ZVT (ECR interface of German/Austrian/Swiss terminals) over serial (DLE framing, 9600 8N2) or TCP 20007",
            trace="drivers.zvt.tracemask",
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
    modules = {e.module for e in DRIVERS.values()} | {e.trace for e in DRIVERS.values() if e.trace}
    return sorted(modules | {"drivers.urlhandler.protocol_sim"})


# -- traces: one masking for the CLI's --trace, the window's traffic log and the evidence bundle ----------
#: What replaces each secret byte in a trace's hex.
MASKED_BYTE = "**"


@cache  # asked for every traced frame
def _trace_modules() -> tuple[Any, ...]:
    """Every driver's trace module. A trace line is masked by all of them: the masking must not depend on
    knowing which protocol wrote it, and hiding more than needed is the safe mistake."""
    out = []
    for entry in DRIVERS.values():
        if entry.trace:
            try:
                out.append(importlib.import_module(entry.trace))
            except ImportError:  # pragma: no cover - a driver whose dependency is missing wrote no trace
                continue
    return tuple(out)


def trace_secrets(raw: bytes) -> list[bytes]:
    """The bytes of one traced frame that give a secret away (login proofs, a ZVT password and its CRC)."""
    return [value for module in _trace_modules() for value in module.secret_values(raw) if value]


def masked_hex(raw: bytes, extra: list[bytes] | None = None) -> str:
    """``raw`` as spaced upper-case hex with every secret byte (and every byte of ``extra``) shown as ``**``."""
    hexed = raw.hex(" ").upper()
    for secret in [*trace_secrets(raw), *(extra or [])]:
        if secret and secret in raw:
            hexed = hexed.replace(secret.hex(" ").upper(), " ".join([MASKED_BYTE] * len(secret)))
    return hexed


def describe_frame(raw: bytes, mask: str) -> str | None:
    """One traced frame decoded by the driver that knows it (secrets shown as ``mask``), else None."""
    for module in _trace_modules():
        text = module.describe(raw, mask)
        if text is not None:
            return text
    return None


def default_baudrate(name: str = DEFAULT_DRIVER) -> int:
    """The line speed the named driver opens a serial port at when none is given (115200; ZVT 9600)."""
    return driver_class(name).default_baudrate
