"""Key check values with the ``cryptography`` package (TDES-ECB of zero blocks).

Only check values ever leave the simulator; this module is also what techapp
uses to compare a key sheet with what a terminal reports.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _primitives() -> tuple[Any, Any, Any]:
    """``(Cipher, modes, TripleDES)``, imported on the first use rather than with this module: a diagnosis
    that computes no key (most of them: the terminal reports check values) never loads ``cryptography``
    (docs/performance.md). Only the classes are kept, never a key."""
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    try:  # cryptography >= 43 keeps TripleDES among the "decrepit" algorithms
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
    return Cipher, modes, TripleDES


def _tdes_ecb(key: bytes) -> Any:
    cipher, modes, tdes = _primitives()
    return cipher(tdes(_full_length(key)), modes.ECB())


def _full_length(key: bytes) -> bytes:
    if len(key) == 8:
        return key * 3  # single DES as K1K1K1
    if len(key) == 16:
        return key + key[:8]  # K1K2K1
    if len(key) == 24:
        return key
    raise ValueError(f"a DES/TDES key is 8, 16 or 24 bytes, not {len(key)}")


def tdes_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    if len(data) % 8:
        raise ValueError("TDES-ECB data must be a multiple of 8 bytes")
    enc = _tdes_ecb(key).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    if len(data) % 8:
        raise ValueError("TDES-ECB data must be a multiple of 8 bytes")
    dec = _tdes_ecb(key).decryptor()
    return dec.update(data) + dec.finalize()


def check_value(key: bytes, length: int = 4) -> bytes:
    """KCV: the first ``length`` bytes of the key encrypting 8 zero bytes (CUP uses 4)."""
    return tdes_ecb_encrypt(key, bytes(8))[:length]
