"""ZVT passwords hidden in traces: the CLI's ``--trace``, the window's traffic log, the evidence bundle.

ZVT has no login: the ECR sends the terminal's password (6 digits, 3 bytes BCD) at the start of
the data of every command that needs it (Registration 06 00, Status Enquiry 05 01, Initialisation
06 93, End-of-day 06 50, ...). A trace holding those bytes holds the password; a serial frame's
CRC over them would let anyone guess the 6 digits offline in a moment. So for a command that
carries the password, both the password bytes (as they appear on the wire: a DLE in them is doubled
in a serial frame) and the frame's CRC are secret. Everything else stays readable.
"""

from __future__ import annotations

from .codec import DLE, ETX, STX, decode_apdu

#: The commands (class, instruction) whose data starts with the password, as drivers/zvt/driver.py sends them.
PASSWORD_COMMANDS = frozenset(
    {
        (0x05, 0x01),  # Status Enquiry
        (0x06, 0x00),  # Registration
        (0x06, 0x1A),  # Print system configuration
        (0x06, 0x50),  # End-of-day
        (0x06, 0x79),  # Self-test
        (0x06, 0x91),  # Set date and time
        (0x06, 0x93),  # Initialisation
        (0x08, 0x11),  # Read file
    }
)


def _apdu_and_crc(raw: bytes) -> tuple[bytes, bytes, bool]:
    """(APDU, CRC, serial?) of a serial frame (DLE STX ... DLE ETX CRC) or a bare APDU (TCP)."""
    if raw[:2] == bytes([DLE, STX]) and len(raw) >= 6 and raw[-4:-2] == bytes([DLE, ETX]):
        return raw[2:-4].replace(bytes([DLE, DLE]), bytes([DLE])), raw[-2:], True
    return raw, b"", False


def secret_values(raw: bytes) -> list[bytes]:
    """The bytes of ``raw`` that give the password away (empty for any other frame, or noise)."""
    try:
        body, crc, serial = _apdu_and_crc(bytes(raw))
        apdu = decode_apdu(body)
    except Exception:  # noqa: BLE001 - noise, an ACK or another protocol: nothing of ours to hide
        return []
    if apdu.command not in PASSWORD_COMMANDS or len(apdu.data) < 3:
        return []
    password = apdu.data[:3]
    secrets = [password.replace(bytes([DLE]), bytes([DLE, DLE])) if serial else password]
    if crc:
        secrets.append(crc)
    return secrets


def describe(raw: bytes, mask: str) -> str | None:
    """ZVT frames are shown as hex only (None): a decoded view is not offered yet."""
    return None
