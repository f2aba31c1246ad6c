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
import secrets

NONCE_LEN = 16
DEFAULT_KDF_ITERATIONS = 20_000
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
