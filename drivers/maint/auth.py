"""Maintenance login by challenge-response; the password never crosses the wire.

Both ends derive ``K = PBKDF2-HMAC-SHA256(password, "techapp-maint-v1|" + serial,
iterations)``. The terminal sends a 16-byte nonce Nt; the client answers with
its own nonce Nc and ``HMAC-SHA256(K, "CLIENT" | Nt | Nc)``; the terminal
answers with ``HMAC-SHA256(K, "TERMINAL" | Nc | Nt)`` so the client knows it
talks to a terminal that holds the same password (mutual authentication).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

NONCE_LEN = 16
DEFAULT_KDF_ITERATIONS = 20_000
#: The protocol's range for KDF_ITERATIONS (docs/protocol.md): a challenge below the floor is refused
#: unanswered, since a proof made with a cheap derivation lets its holder guess the password offline.
MIN_KDF_ITERATIONS = 1_000
MAX_KDF_ITERATIONS = 1_000_000
#: Environment variable that raises the floor (never below MIN_KDF_ITERATIONS).
KDF_FLOOR_ENV = "TECHAPP_KDF_MIN_ITERATIONS"


def kdf_floor() -> int:
    """The fewest PBKDF2 iterations this laptop answers: MIN_KDF_ITERATIONS, or more via $TECHAPP_KDF_MIN_ITERATIONS.

    A value that is not a whole number, or is below the protocol minimum, leaves the minimum in force
    (the variable can only raise the floor).
    """
    raw = os.environ.get(KDF_FLOOR_ENV, "").strip()
    try:
        wanted = int(raw) if raw and len(raw) <= 8 else 0
    except ValueError:
        wanted = 0
    return min(max(MIN_KDF_ITERATIONS, wanted), MAX_KDF_ITERATIONS)


SALT_PREFIX = b"techapp-maint-v1|"


def derive_key(password: str, serial_number: str, iterations: int = DEFAULT_KDF_ITERATIONS) -> bytes:
    salt = SALT_PREFIX + serial_number.encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_LEN)


def client_proof(key: bytes, terminal_nonce: bytes, client_nonce: bytes) -> bytes:
    return hmac.new(key, b"CLIENT" + terminal_nonce + client_nonce, hashlib.sha256).digest()


def terminal_proof(key: bytes, terminal_nonce: bytes, client_nonce: bytes) -> bytes:
    return hmac.new(key, b"TERMINAL" + client_nonce + terminal_nonce, hashlib.sha256).digest()


def proofs_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
