"""Serial port discovery: what is plugged in, and is it a terminal?

:func:`list_ports` wraps pyserial's ``comports()`` and recognises devices by
their USB vendor/product IDs: a payment terminal that enumerates as a USB CDC
device under its maker's vendor ID is a ``"terminal"``; a known USB-serial
chip (the adapter inside most RS-232 cables, or inside some terminals' own
cradles) is a ``"usb-serial bridge"``; anything else is ``"unknown"``.

The list is only a suggestion. pyserial finds ports by globbing a few device
name patterns (``/dev/ttyS*``, ``/dev/ttyUSB*``, ``/dev/ttyACM*``, ... on
Linux; the registry on Windows), so pseudo-terminals (``/dev/pts/N``, which is
what ``socat`` and the simulator create) never appear in it. The app must
therefore always accept a port typed as a path or a pyserial URL
(``socket://``, ``loop://``, the simulator's URL scheme) that is not listed.

:func:`port_info_from` is a pure function of one ``ListPortInfo`` so the
recognition and sorting can be tested without hardware.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from serial.tools import list_ports as _list_ports
from serial.tools.list_ports_common import ListPortInfo

PortKind = Literal["terminal", "usb-serial bridge", "unknown"]
TERMINAL: PortKind = "terminal"
BRIDGE: PortKind = "usb-serial bridge"
UNKNOWN: PortKind = "unknown"

#: Payment terminal makers, by USB vendor ID (any product ID).
TERMINAL_VENDORS: dict[int, str] = {
    0x2FB8: "PAX",
    0x11CA: "Verifone",
    0x0B00: "Ingenico",
    0x079B: "Sagem/Ingenico",
    0x1EAB: "Newland",
    0x0CA6: "Castles",
}

#: USB-serial bridge chips, by (vendor ID, product ID).
BRIDGES: dict[tuple[int, int], str] = {
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x7522): "WCH CH340",
    (0x1A86, 0x5523): "WCH CH341",
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x10C4, 0xEA61): "Silicon Labs CP210x",
    (0x10C4, 0xEA63): "Silicon Labs CP210x",
    (0x10C4, 0xEA70): "Silicon Labs CP210x",
    (0x10C4, 0xEA71): "Silicon Labs CP210x",
    (0x0403, 0x6001): "FTDI",
    (0x0403, 0x6010): "FTDI",
    (0x0403, 0x6011): "FTDI",
    (0x0403, 0x6014): "FTDI",
    (0x0403, 0x6015): "FTDI",
    (0x067B, 0x2303): "Prolific PL2303",
    (0x067B, 0x23A3): "Prolific PL2303",
}

_KIND_ORDER: dict[str, int] = {TERMINAL: 0, BRIDGE: 1, UNKNOWN: 2}
_HEX_ID = re.compile(r"(?:0x)?([0-9a-f]{1,4})", re.IGNORECASE)


def parse_usb_id(value: int | str | None) -> int | None:
    """A USB vendor or product ID from an int or a hex string (``"2fb8"``, ``"0x2FB8"``).

    ``None`` stays ``None``; anything else that is not a 16-bit ID raises ``ValueError``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a USB ID: {value!r}")
    if isinstance(value, int):
        if 0 <= value <= 0xFFFF:
            return value
        raise ValueError(f"USB ID {value} is outside 0..0xFFFF")
    match = _HEX_ID.fullmatch(str(value).strip())
    if match is None:
        raise ValueError(f"not a hexadecimal USB ID: {value!r}")
    return int(match.group(1), 16)


def recognise(vid: int | str | None, pid: int | str | None) -> tuple[str | None, PortKind]:
    """``(vendor name or None, kind)`` for a USB vendor/product ID pair.

    IDs may be ints or hex strings in either case. A terminal maker's vendor ID
    wins whatever the product ID; bridges need the exact pair.
    """
    v = parse_usb_id(vid)
    p = parse_usb_id(pid)
    if v is None:
        return None, UNKNOWN
    if v in TERMINAL_VENDORS:
        return TERMINAL_VENDORS[v], TERMINAL
    if p is not None and (v, p) in BRIDGES:
        return BRIDGES[(v, p)], BRIDGE
    return None, UNKNOWN


@dataclass(frozen=True)
class PortInfo:
    """One serial port as discovered, with what it was recognised as."""

    device: str
    description: str
    hwid: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    manufacturer: str | None
    vendor: str | None
    kind: PortKind

    @property
    def usb_id(self) -> str | None:
        """``"VVVV:PPPP"`` in upper-case hex, or None for a non-USB port."""
        if self.vid is None:
            return None
        return f"{self.vid:04X}:{(self.pid or 0):04X}"

    @property
    def label(self) -> str:
        """One line for a port picker, e.g. ``/dev/ttyACM0 - PAX terminal (2FB8:0001)``."""
        parts = [self.device]
        if self.kind == TERMINAL:
            parts.append(f"- {self.vendor} terminal")
        elif self.kind == BRIDGE:
            parts.append(f"- USB-serial adapter ({self.vendor})")
        elif self.description and self.description not in ("n/a", self.device):
            parts.append(f"- {self.description}")
        if self.usb_id:
            parts.append(f"({self.usb_id})")
        return " ".join(parts)


def port_info_from(port: ListPortInfo) -> PortInfo:
    """Convert one pyserial ``ListPortInfo`` (pure: no I/O)."""
    vendor, kind = recognise(port.vid, port.pid)
    return PortInfo(
        device=port.device,
        description=port.description or "",
        hwid=port.hwid or "",
        vid=port.vid,
        pid=port.pid,
        serial_number=port.serial_number,
        manufacturer=port.manufacturer,
        vendor=vendor,
        kind=kind,
    )


def _natural(text: str) -> list[tuple[int, int | str]]:
    """Sort key that puts ``ttyUSB2`` before ``ttyUSB10`` (and ``COM2`` before ``COM10``)."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part]


def sort_key(port: PortInfo) -> tuple[int, list[tuple[int, int | str]]]:
    """Terminals first, then bridges, then the rest; by device name within each."""
    return _KIND_ORDER[port.kind], _natural(port.device)


def sorted_ports(ports: Iterable[PortInfo], *, include_unknown: bool = True) -> list[PortInfo]:
    return sorted((p for p in ports if include_unknown or p.kind != UNKNOWN), key=sort_key)


def list_ports(include_unknown: bool = True) -> list[PortInfo]:
    """The serial ports present now, terminals first (see the module docstring for ptys)."""
    return sorted_ports((port_info_from(p) for p in _list_ports.comports()), include_unknown=include_unknown)
