"""Login proofs hidden in traces, through ``drivers.registry.masked_hex`` (--trace, traffic log, bundle).

A trace line with the challenge (terminal nonce, serial number, iteration count) and both
HMAC proofs would let anyone holding the file guess the password offline. With the proofs
masked nothing in the trace depends on the password: the nonces, serial number and iteration
count are public and useless without a proof, so they stay readable for troubleshooting.
"""

from __future__ import annotations

from .protocol import Tag, decode_message

#: Fields of a maintenance message that are derived from the password.
SECRET_TAGS = frozenset({Tag.CLIENT_PROOF, Tag.TERMINAL_PROOF})


def secret_values(raw: bytes) -> list[bytes]:
    """The password-derived values in one maintenance message (empty when it is none or does not decode)."""
    try:
        msg = decode_message(raw)
    except Exception:  # noqa: BLE001 - noise or another protocol: nothing of ours to hide
        return []
    return [bytes(v) for tag, v in msg.fields if tag in SECRET_TAGS and isinstance(v, bytes | bytearray) and v]


def describe(raw: bytes, mask: str) -> str | None:
    """A maintenance message as its command and fields, the password-derived ones shown as ``mask``;
    None when ``raw`` is not a maintenance message (noise, another protocol)."""
    try:
        msg = decode_message(raw)
    except Exception:  # noqa: BLE001 - not ours to describe
        return None
    parts = []
    for tag, value in msg.fields:
        name = getattr(tag, "name", str(tag))
        if tag in SECRET_TAGS:
            parts.append(f"{name}={mask}")
        else:
            shown = value.hex().upper() if isinstance(value, bytes | bytearray) else str(value)
            parts.append(f"{name}={shown}")
    return msg.describe() + ("  " + ", ".join(parts) if parts else "")
