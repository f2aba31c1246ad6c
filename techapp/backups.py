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
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.base import TerminalDriver
from drivers.models import Identity, Parameters
from drivers.safeio import InputFileError, check_output_path, loads_json, private_dir, read_text

if TYPE_CHECKING:
    from .diagnosis.model import Text

SCHEMA = "techapp.backup/1"


def T(en: str, zh: str) -> Text:  # noqa: N802 - techapp.diagnosis imports this module: import Text late
    from .diagnosis.model import T as text

    return text(en, zh)


class BackupError(ValueError):
    """A backup cannot be written, read, or does not belong to this terminal. The message says which.

    ``explained`` is the same in plain words for a person, in both languages (:func:`techapp.errors.explain`).
    """

    def __init__(self, message: str, *, explained: Text | None = None) -> None:
        super().__init__(message)
        self.explained = explained


def _not_a_backup(path: Path, message: str) -> BackupError:
    return BackupError(
        f"{path}: {message}",
        explained=T(
            f"{path.name} is not a usable techapp backup (damaged or incomplete).",
            f"{path.name} 不是可用的 techapp 备份（已损坏或不完整）。",
        ),
    )


def write_json_whole(path: Path, doc: Any, *, prefix: str = ".techapp-") -> None:
    """Write ``doc`` as JSON to ``path`` whole or not at all: a synced temporary file beside it, then a rename.

    A failure leaves no temporary file and whatever was at ``path`` untouched; the ``OSError`` is the caller's
    (:class:`drivers.safeio.OutputPathError`, an ``OSError``, when ``path`` is a link, a device, a FIFO or a folder:
    never replaced). The file is created 0600.
    """
    path = check_output_path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".json.tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, ensure_ascii=False, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        private_dir(directory)  # 0700: backups name the merchant's TID, MID and hosts
        write_json_whole(path, doc, prefix=".backup-")
    except OSError as err:
        raise BackupError(
            f"cannot write the parameter backup in {directory}: {err.strerror or err}",
            explained=T(
                f"The parameter backup could not be saved in {directory}, so nothing was written to the terminal "
                "(the laptop's disk may be full or the folder read-only).",
                f"无法在 {directory} 中保存参数备份，因此没有向终端写入任何内容（笔记本磁盘可能已满或文件夹只读）。",
            ),
        ) from err
    return path


def load_backup(path: str | Path) -> tuple[dict[str, Any], Parameters]:
    """The backup's header and its parameters; :class:`BackupError` naming the file and the problem."""
    path = Path(path)
    try:
        text = read_text(path, what="backup")
    except InputFileError as err:
        raise BackupError(
            str(err),
            explained=T(f"The backup {path.name} cannot be read.", f"无法读取备份 {path.name}。"),
        ) from err
    try:
        doc = loads_json(text, what=str(path))
    except InputFileError as err:
        raise _not_a_backup(path, f"not a techapp backup ({str(err).removeprefix(f'{path}: ')})") from err
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise _not_a_backup(path, f"not a techapp backup (schema {SCHEMA} expected)")
    terminal = doc.get("terminal")
    if not isinstance(terminal, dict) or not isinstance(terminal.get("serial_number"), str):
        raise _not_a_backup(path, "the backup does not name its terminal (terminal.serial_number)")
    if not isinstance(doc.get("saved_at"), str):
        raise _not_a_backup(path, "the backup has no time (saved_at)")
    raw = doc.get("parameters")
    if not isinstance(raw, dict):
        raise _not_a_backup(path, "no parameter set")
    expected = {f.name: f.type for f in fields(Parameters)}
    missing = sorted(set(expected) - set(raw))
    unknown = sorted(set(raw) - set(expected))
    if missing or unknown:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else []
        )
        raise _not_a_backup(path, f"the parameter set is not whole ({'; '.join(parts)})")
    for name, kind in expected.items():
        value = raw[name]
        ok = (
            isinstance(value, bool)
            if kind == "bool"
            else (isinstance(value, int) and not isinstance(value, bool) if kind == "int" else isinstance(value, str))
        )
        if not ok:
            raise _not_a_backup(path, f"parameter '{name}' must be {kind}, got {value!r}")
        if kind == "int" and not 0 <= value <= 0xFFFFFFFF:  # the protocol's UINT: anything else cannot be written
            shown = str(value) if len(str(value)) <= 20 else str(value)[:20] + "..."
            raise _not_a_backup(path, f"parameter '{name}' is out of range (0..4294967295): {shown}")
        if kind == "str" and len(value) > 1000:
            raise _not_a_backup(path, f"parameter '{name}' is longer than any terminal holds ({len(value)} characters)")
    return doc, Parameters(**raw)


#: Counters that only move forward: a restore never winds them back (the host would see duplicate STANs).
NOT_RESTORED = ("stan", "batch")


@dataclass(frozen=True)
class BackupFile:
    """One backup of one terminal, as listed for a restore."""

    path: Path
    saved_at: datetime
    reason: str  # "before fix-tid (tid-mismatch)", "before restoring FILE": for the record, not for display
    parameters: Parameters


def list_backups(serial_number: str, directory: Path | None = None) -> list[BackupFile]:
    """The readable backups of the terminal ``serial_number``, newest first (damaged files are left out)."""
    directory = directory or backup_dir()
    found = []
    for path in directory.glob("*.json") if directory.is_dir() else []:
        try:
            doc, params = load_backup(path)
            saved_at = datetime.fromisoformat(doc["saved_at"])
        except (BackupError, ValueError):
            continue
        if doc["terminal"]["serial_number"] == serial_number:
            found.append(BackupFile(path, saved_at, str(doc.get("reason", "")), params))
    found.sort(key=lambda b: (b.saved_at, b.path.name), reverse=True)
    return found


def restore_changes(current: Parameters, saved: Parameters) -> dict[str, tuple[Any, Any]]:
    """What restoring ``saved`` over ``current`` writes: ``{name: (now, restored)}`` (never STAN or batch)."""
    return {
        f.name: (getattr(current, f.name), getattr(saved, f.name))
        for f in fields(Parameters)
        if f.name not in NOT_RESTORED and getattr(current, f.name) != getattr(saved, f.name)
    }


def restore_backup(
    driver: TerminalDriver, path: str | Path, *, identity: Identity, directory: Path | None = None
) -> tuple[dict[str, tuple[Any, Any]], Path | None]:
    """Write back every parameter that differs from the backup, except STAN and batch.

    Returns ``({name: (now, restored)}, backup of the values before the
    restore or None when nothing differed)``. Refuses a backup of another
    terminal (serial number), so a restore never lands on the wrong device;
    the values are read back after the write. ``driver`` must be logged in.
    """
    doc, saved = load_backup(path)
    serial = doc.get("terminal", {}).get("serial_number")
    if serial != identity.serial_number:
        raise BackupError(
            f"{path}: this backup is of terminal SN {serial}, the connected terminal is SN {identity.serial_number}",
            explained=T(
                f"This backup is of the terminal SN {serial}; the connected terminal is SN {identity.serial_number}. "
                "Nothing was written.",
                f"该备份属于序列号 {serial} 的终端，当前连接的终端序列号为 {identity.serial_number}。未写入任何内容。",
            ),
        )
    current = driver.parameters()
    changes = restore_changes(current, saved)
    if not changes:
        return changes, None
    before = save_backup(current, identity, reason=f"before restoring {Path(path).name}", directory=directory)
    try:
        read = driver.set_parameters({k: after for k, (_, after) in changes.items()})
    except Exception as err:
        from .errors import explain

        raise BackupError(
            f"{err}; the values before this restore are saved in {before}",
            explained=explain(err)
            + T(
                f" The values before this restore are saved in {before.name}.",
                f"恢复前的参数已保存在 {before.name}。",
            ),
        ) from err
    wrong = sorted(k for k, (_, after) in changes.items() if getattr(read, k) != after)
    if wrong:
        from .errors import parameter_text

        names = [parameter_text(k) for k in wrong]
        raise BackupError(
            f"restored, but the terminal reads back other values for {', '.join(wrong)}; "
            f"the values before this restore are saved in {before}",
            explained=T(
                f"Restored, but the terminal reads back other values for {', '.join(n.en for n in names)}. "
                f"The values before this restore are saved in {before.name}.",
                f"已恢复，但终端回读的{'、'.join(n.zh for n in names)}与备份不同。恢复前的参数已保存在 {before.name}。",
            ),
        )
    return changes, before
