"""Parameter backups: the full parameter set saved before every write, so any change can be undone.

A backup is one JSON file (schema ``techapp.backup/1``) in the user data
directory (``platformdirs``; ``TECHAPP_DATA_DIR`` overrides it), named after
the terminal's serial number and the time. It is written to a temporary file
and renamed, so a backup is either complete or absent. Backups hold payment
parameters (TID, MID, hosts), never keys or passwords.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.base import TerminalDriver
from drivers.models import Identity, Parameters

SCHEMA = "techapp.backup/1"


class BackupError(ValueError):
    """A backup cannot be written, read, or does not belong to this terminal. The message says which."""


def data_dir() -> Path:
    override = os.environ.get("TECHAPP_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("techapp", appauthor=False))


def backup_dir() -> Path:
    return data_dir() / "backups"


def save_backup(params: Parameters, identity: Identity | None, *, reason: str, directory: Path | None = None) -> Path:
    """Write ``params`` as a backup file and return its path; :class:`BackupError` if it cannot be written."""
    directory = directory or backup_dir()
    serial = identity.serial_number if identity else "unknown"
    stamp = datetime.now()
    doc = {
        "schema": SCHEMA,
        "saved_at": stamp.isoformat(timespec="seconds"),
        "reason": reason,
        "terminal": {
            "serial_number": serial,
            "vendor": identity.vendor if identity else "",
            "model": identity.model if identity else "",
        },
        "parameters": params.to_dict(),
    }
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in serial)
    path = directory / f"{safe}-{stamp:%Y%m%d-%H%M%S-%f}.json"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".backup-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(doc, out, ensure_ascii=False, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise BackupError(f"cannot write the parameter backup in {directory}: {err.strerror or err}") from err
    return path


def load_backup(path: str | Path) -> tuple[dict[str, Any], Parameters]:
    """The backup's header and its parameters; :class:`BackupError` naming the file and the problem."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise BackupError(f"{path}: cannot read ({err.strerror or err})") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BackupError(f"{path}: not a techapp backup (not valid JSON: {err})") from err
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BackupError(f"{path}: not a techapp backup (schema {SCHEMA} expected)")
    raw = doc.get("parameters")
    names = [f.name for f in fields(Parameters)]
    if not isinstance(raw, dict) or sorted(raw) != sorted(names):
        raise BackupError(f"{path}: the parameter set is incomplete or has unknown fields")
    try:
        params = Parameters(**raw)
    except TypeError as err:
        raise BackupError(f"{path}: {err}") from err
    return doc, params


def restore_backup(driver: TerminalDriver, path: str | Path, *, identity: Identity) -> dict[str, tuple[Any, Any]]:
    """Write back every parameter that differs from the backup; returns {name: (now, restored)}.

    Refuses a backup of another terminal (serial number), so a restore never
    lands on the wrong device. ``driver`` must be logged in.
    """
    doc, saved = load_backup(path)
    serial = doc.get("terminal", {}).get("serial_number")
    if serial != identity.serial_number:
        raise BackupError(
            f"{path}: this backup is of terminal SN {serial}, the connected terminal is SN {identity.serial_number}"
        )
    current = driver.parameters()
    changes = {
        f.name: (getattr(current, f.name), getattr(saved, f.name))
        for f in fields(Parameters)
        if getattr(current, f.name) != getattr(saved, f.name)
    }
    if changes:
        driver.set_parameters({k: after for k, (_, after) in changes.items()})
    return changes
