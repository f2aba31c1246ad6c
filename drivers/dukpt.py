"""TDES DUKPT (ANSI X9.24-1:2009): key-set ids, the initial key, transaction keys and their PIN variant.

The **key serial number** (KSN, 80 bits, 20 hex digits) is the initial KSN
(59 bits) and a 21-bit transaction counter. The initial KSN starts with the
**key-set id** (KSI): which base derivation key (BDK) the terminal's initial
key came from. techapp reads it as the KSN's first 10 hex digits (40 bits, the
common layout: KSI, then the device id, then the counter); the acquirer
profile lists the KSIs it uses (``dukpt_key_sets``). Comparing key-set ids
never needs a key.

The derivation below is what the simulated acquirer host uses to check a PIN
block's key; its golden values are the published X9.24-1 test data (BDK
``0123456789ABCDEFFEDCBA9876543210``, KSN ``FFFF9876543210E00000``: initial key
``6AC292FAA1315B4D858AB3A3D7D5933A``; tests/test_edges.py, docs/diagnosis.md).
"""

from __future__ import annotations

from .keycheck import tdes_ecb_decrypt, tdes_ecb_encrypt

KSI_DIGITS = 10  # the key-set id: the KSN's first 40 bits
COUNTER_MASK = 0x1FFFFF
_KEY_MASK = bytes.fromhex("C0C0C0C000000000C0C0C0C000000000")
_PIN_VARIANT = bytes.fromhex("00000000000000FF00000000000000FF")


def key_set_id(ksn: str) -> str:
    """The KSN's key-set id (upper-case hex): ``FFFF9876543210E00000`` -> ``FFFF987654``."""
    text = ksn.strip().upper()
    if len(text) != 20 or any(c not in "0123456789ABCDEF" for c in text):
        raise ValueError(f"a KSN is 20 hex digits, got {ksn!r}")
    return text[:KSI_DIGITS]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def initial_key(bdk: bytes, ksn: bytes) -> bytes:
    """X9.24-1 A.6: the initial PIN encryption key (IPEK) from the BDK and the KSN (counter cleared)."""
    iksn = bytearray(ksn[-10:][:8])
    iksn[7] &= 0xE0
    left = tdes_ecb_encrypt(bdk, bytes(iksn))
    right = tdes_ecb_encrypt(_xor(bdk, _KEY_MASK), bytes(iksn))
    return left + right


def _non_reversible(key: bytes, data: bytes) -> bytes:
    """X9.24-1 A.2 'non-reversible key generation' for one 16-byte key and 8 bytes of KSN register."""

    def half(k: bytes) -> bytes:
        left, right = k[:8], k[8:]
        msg = _xor(right, data)
        # single DES under the left half: TDES with K1 = K2 = K3
        return _xor(tdes_ecb_encrypt(left + left, msg), right)

    return half(_xor(key, _KEY_MASK)) + half(key)


def transaction_key(bdk: bytes, ksn: bytes) -> bytes:
    """The key the terminal used for the transaction with this KSN (derived from the IPEK bit by bit)."""
    key = initial_key(bdk, ksn)
    reg = bytearray(ksn[-8:])
    counter = int.from_bytes(ksn[-3:], "big") & COUNTER_MASK
    reg[5] &= 0xE0
    reg[6] = reg[7] = 0
    bit = 0x100000
    while bit:
        if counter & bit:
            value = int.from_bytes(reg[5:], "big") | bit
            reg[5:] = value.to_bytes(3, "big")
            key = _non_reversible(key, bytes(reg))
        bit >>= 1
    return key


def pin_key(bdk: bytes, ksn: bytes) -> bytes:
    """The transaction key's PIN encryption variant (X9.24-1: XOR with ``...FF...FF``)."""
    return _xor(transaction_key(bdk, ksn), _PIN_VARIANT)


def decrypt_pin_block(bdk: bytes, ksn: bytes, pin_block: bytes) -> bytes:
    return tdes_ecb_decrypt(pin_key(bdk, ksn), pin_block)


def encrypt_pin_block(bdk: bytes, ksn: bytes, clear_block: bytes) -> bytes:
    return tdes_ecb_encrypt(pin_key(bdk, ksn), clear_block)


def iso0_pin_block(pin: str, pan: str) -> bytes:
    """ISO 9564-1 format 0: ``0L PIN F...`` XOR ``0000`` + the PAN's 12 digits left of the check digit."""
    block = f"0{len(pin)}{pin}".ljust(16, "F")
    account = "0000" + pan[:-1][-12:]
    return _xor(bytes.fromhex(block), bytes.fromhex(account))


def pin_answer(bdks: dict[str, bytes], ksn_hex: str, pin_block: bytes, pan: str) -> str:
    """What an acquirer host answers a PIN message: ``00`` when the PIN block opens under the key of the
    KSN's key set into a valid ISO format-0 block, ``99`` (PIN error) otherwise (unknown key set, other BDK)."""
    bdk = bdks.get(key_set_id(ksn_hex))
    if bdk is None:
        return "99"
    clear = decrypt_pin_block(bdk, bytes.fromhex(ksn_hex), pin_block)
    plain = _xor(clear, bytes.fromhex("0000" + pan[:-1][-12:]))
    text = plain.hex().upper()
    length = int(text[1], 16) if text[0] == "0" and text[1] in "456789ABC" else 0
    ok = length and text[2 : 2 + length].isdigit() and set(text[2 + length :]) <= {"F"}
    return "00" if ok else "99"
