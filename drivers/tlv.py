"""Binary TLV: ``TAG (1 byte) | LENGTH (2 bytes, big-endian) | VALUE``.

Generic and type-free: values are bytes here; the maintenance protocol gives
each tag its type (:mod:`drivers.maint.protocol`). A constructed value is
itself a TLV sequence.
"""

from __future__ import annotations

from .errors import ProtocolError

MAX_VALUE_LEN = 0xFFFF


class TLVError(ProtocolError):
    """Malformed TLV data."""


def encode(items: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for tag, value in items:
        if not 0 <= tag <= 0xFF:
            raise TLVError(f"tag {tag} does not fit in one byte")
        if len(value) > MAX_VALUE_LEN:
            raise TLVError(f"value of tag {tag:02X} is {len(value)} bytes, more than {MAX_VALUE_LEN}")
        out.append(tag)
        out += len(value).to_bytes(2, "big")
        out += value
    return bytes(out)


def decode(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into (tag, value) pairs; raise :class:`TLVError` when malformed."""
    items: list[tuple[int, bytes]] = []
    pos = 0
    end = len(data)
    while pos < end:
        if end - pos < 3:
            raise TLVError(f"truncated TLV header at offset {pos} ({end - pos} bytes left, 3 needed)")
        tag = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 3], "big")
        pos += 3
        if end - pos < length:
            raise TLVError(f"tag {tag:02X} at offset {pos - 3} declares {length} bytes, only {end - pos} remain")
        items.append((tag, bytes(data[pos : pos + length])))
        pos += length
    return items
