"""Tamper evidence: the canonical form, the SHA-256 fingerprint, the technician's Ed25519 signature.

Canonical form (docs/reports.md): the report object WITHOUT its ``fingerprint`` and ``signature``
members, serialised as JSON with keys sorted by Unicode code point at every level, no whitespace
(separators ``,`` and ``:``), non-ASCII characters as themselves (not ``\\u`` escapes), encoded as
UTF-8; Python: ``json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
allow_nan=False).encode("utf-8")``. Reports hold no floating-point numbers (counts are integers,
amounts are in fen), so there is no number formatting to agree on.

Fingerprint: lower-case hex SHA-256 of the canonical bytes.

Signature (optional): Ed25519 over the canonical bytes with the technician's key, stored as
``{"algorithm": "Ed25519", "public_key": <base64 raw 32 bytes>, "key_id": <first 16 hex of SHA-256 of
the raw public key>, "value": <base64 64-byte signature>}``. The key pair is made on first use in the
user data directory (``report-signing-key.pem``, mode 0600, PKCS#8 PEM, unencrypted); only the public
part ever leaves it (in the signature block, and ``techapp settings --public-key``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SEAL_KEYS = ("fingerprint", "signature")
KEY_FILE = "report-signing-key.pem"


def canonical_bytes(report: dict[str, Any]) -> bytes:
    body = {k: v for k, v in report.items() if k not in SEAL_KEYS}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def fingerprint(report: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(report)).hexdigest()


def key_path() -> Path:
    from ..backups import data_dir

    return data_dir() / KEY_FILE


def _load_or_create_key(path: Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # created 0600 from the start: never readable by others, not even for a moment
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another techapp made it just now: use that one
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            return key
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise ValueError(f"the signing key {path} cannot be read ({err}); move it away to make a new one") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"the signing key {path} is not an Ed25519 key; move it away to make a new one")
    return key


def _raw_public(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


def public_key_b64(path: Path | None = None) -> str:
    """The technician's public key (base64 of the raw 32 bytes); creates the key pair on first use."""
    return base64.b64encode(_raw_public(_load_or_create_key(path or key_path()).public_key())).decode("ascii")


def seal(report: dict[str, Any], *, sign: bool = False, key_file: Path | None = None) -> dict[str, Any]:
    """The report with its ``fingerprint`` (and ``signature`` when ``sign``); any old seal is replaced."""
    body = {k: v for k, v in report.items() if k not in SEAL_KEYS}
    sealed = {**body, "fingerprint": fingerprint(body)}
    if sign:
        key = _load_or_create_key(key_file or key_path())
        raw = _raw_public(key.public_key())
        sealed["signature"] = {
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(raw).decode("ascii"),
            "key_id": key_id(raw),
            "value": base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii"),
        }
    return sealed


Verdict = Literal["valid", "modified", "unsigned", "bad-signature"]


@dataclass(frozen=True)
class Verification:
    """What ``techapp verify`` says about a report (and the PDF beside it)."""

    verdict: Verdict  # valid: fingerprint and signature hold; unsigned: fingerprint holds, no signature
    fingerprint: str  # recomputed from the content
    stated: str  # the fingerprint written in the file
    key_id: str = ""
    own_key: bool = False  # signed with this machine's technician key
    pdf: Literal["matches", "differs", "no-fingerprint", "unreadable"] | None = None
    pdf_fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in ("valid", "unsigned") and self.pdf in (None, "matches")


def verify_report(report: dict[str, Any], *, own_key_file: Path | None = None) -> Verification:
    """Check the fingerprint against the content and the signature (when there is one) against both."""
    actual = fingerprint(report)
    stated = str(report.get("fingerprint", ""))
    sig = report.get("signature")
    if stated != actual:
        kid = str(sig.get("key_id", "")) if isinstance(sig, dict) else ""
        return Verification("modified", actual, stated, key_id=kid)
    if not sig:
        return Verification("unsigned", actual, stated)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
        if sig.get("algorithm") != "Ed25519":
            raise ValueError("algorithm")
        Ed25519PublicKey.from_public_bytes(raw).verify(value, canonical_bytes(report))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return Verification("bad-signature", actual, stated, key_id=str(sig.get("key_id", "")))
    own = False
    path = own_key_file or key_path()
    if path.exists():
        try:
            own = public_key_b64(path) == sig["public_key"]
        except ValueError:
            own = False
    return Verification("valid", actual, stated, key_id=key_id(raw), own_key=own)
