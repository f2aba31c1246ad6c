"""Careful file input and output for everything techapp reads or writes on a person's behalf.

Inputs (work orders, profiles, scenarios, backups, network maps, password files):

- read from **regular files only**, at most :data:`MAX_INPUT_BYTES` (a device such as
  ``/dev/zero`` or a FIFO is refused at once instead of filling memory or blocking);
- JSON and TOML parsed so that a **duplicated key** is an error (``json`` would keep the last
  value silently), and a parser's ``RecursionError`` (deep nesting) or ``ValueError`` (an
  integer over Python's digit limit) becomes an :class:`InputFileError` naming the file.

Outputs (``--json``, ``--trace``, reports, bundles, CA files, network maps):

- :func:`check_output_path` refuses an existing path that is **not a regular file** (device
  node, FIFO, socket, folder) and **any symbolic link**, even one to a regular file: the link
  may point anywhere (another user's file, ``/etc/...``) and following it is how a
  ``--json /tmp/x`` planted by someone else becomes a write elsewhere. A missing folder is refused.
- :func:`open_private_append` opens a trace for appending, mode 0600 (traces show what a
  terminal said); :func:`private_dir` makes data folders 0700.

``-`` means standard output where a command allows it (``--json -``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

#: Largest input file read (bytes). Work orders, profiles, scenarios, backups and network maps are a
#: few kilobytes; a CSV work order listing a whole day's jobs stays far below it.
MAX_INPUT_BYTES = 1024 * 1024
#: Largest password file read (bytes): a password is one line.
MAX_PASSWORD_FILE_BYTES = 4096

STDOUT = "-"


class InputFileError(ValueError):
    """An input file cannot be used; the message names the file and what is wrong with it."""


class OutputPathError(OSError):
    """An output path cannot be written; the message names the path and why (an ``OSError``, so callers that
    report a failed write report this too)."""


def _why(err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return err.strerror or str(err)


def read_bytes(path: str | os.PathLike[str], *, what: str = "file", limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`InputFileError` otherwise.

    Opened non-blocking, so a FIFO given by mistake is refused instead of waiting for a writer.
    """
    shown = os.fspath(path)
    try:
        fd = os.open(shown, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise InputFileError(f"{shown}: cannot read the {what} ({_why(err)})") from err
    except ValueError as err:  # an embedded NUL
        raise InputFileError(f"{shown!r}: cannot read the {what} ({err})") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, FIFO or socket)"
            raise InputFileError(f"{shown}: cannot read the {what}: it is {kind}")
        if info.st_size > limit:
            raise InputFileError(f"{shown}: the {what} is too large ({info.st_size} bytes; at most {limit} are read)")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:  # grew while being read
                raise InputFileError(f"{shown}: the {what} is too large (more than {limit} bytes)")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(f"{shown}: cannot read the {what} ({_why(err)})") from err
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], *, what: str = "file", limit: int = MAX_INPUT_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a BOM is dropped); :class:`InputFileError` when it is not UTF-8."""
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"{os.fspath(path)}: the {what} is not UTF-8 text (byte {err.start}: {data[err.start : err.start + 1]!r})"
        ) from err


def is_file(path: str | os.PathLike[str]) -> bool:
    """``Path.is_file()`` that answers False for a name the file system refuses (too long, NUL)."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object")
        self.key = key


def loads_json(text: str, *, what: str = "JSON") -> Any:
    """``json.loads`` that refuses duplicated keys, too deep nesting and oversized integers, naming ``what``."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as err:
        raise InputFileError(f"{what}: {err} (which one is meant is not clear)") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{what}: not valid JSON ({err})") from None
    except RecursionError:
        raise InputFileError(f"{what}: nested too deeply") from None
    except ValueError as err:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise InputFileError(f"{what}: {_plain(err)}") from None


def _plain(err: ValueError) -> str:
    text = str(err)
    if "Exceeds the limit" in text and "digits" in text:
        return f"a number is too long (more than {sys.get_int_max_str_digits()} digits)"
    return text


def loads_toml(text: str, *, what: str = "TOML") -> dict[str, Any]:
    """``tomllib.loads`` (it refuses duplicated keys itself) with deep nesting and huge integers as errors."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        again = "Cannot overwrite" in str(err) or "Cannot declare" in str(err)
        twice = " (a key or table given twice)" if again else ""
        raise InputFileError(f"{what}: not valid TOML ({err}){twice}") from None
    except RecursionError:
        raise InputFileError(f"{what}: nested too deeply") from None
    except ValueError as err:
        raise InputFileError(f"{what}: {_plain(err)}") from None


def _refuse(shown: str, reason: str) -> OutputPathError:
    err = OutputPathError(f"cannot write {shown}: {reason}")
    err.strerror = reason  # callers that print "cannot write PATH: {strerror}" say it once
    return err


def check_output_path(path: str | os.PathLike[str], *, what: str = "output") -> Path:
    """The absolute path to write, after refusing what must not be replaced (see the module's docstring)."""
    shown = os.fspath(path)
    if not shown:
        raise OutputPathError(f"{what}: an empty path")
    target = Path(shown).absolute()
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise _refuse(f"{shown}", f"{_why(err)}") from err
    except ValueError as err:
        raise _refuse(f"{shown!r}", f"{err}") from err
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise _refuse(
                shown, "it is a symbolic link (techapp does not write through links; give the real file's path)"
            )
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(f"{shown}", "it is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(shown, "it exists and is not a regular file (a device, FIFO or socket)")
    folder = target.parent
    try:
        if not folder.is_dir():
            raise _refuse(f"{shown}", f"folder {folder} does not exist")
    except OSError as err:
        raise _refuse(f"{shown}", f"{_why(err)}") from err
    if not os.access(folder, os.W_OK):
        raise _refuse(f"{shown}", f"folder {folder} is not writable")
    return target


def _ours(info: os.stat_result) -> bool:
    """The file belongs to this user. Windows has no uid (and ignores modes but the read-only flag): there the
    access list of the user's own %LOCALAPPDATA% keeps the files private (README.md, "The frozen app, and Windows")."""
    getuid = getattr(os, "getuid", None)
    return getuid is not None and info.st_uid == getuid()


def open_private_append(path: str | os.PathLike[str], *, what: str = "trace file") -> TextIO:
    """Open ``path`` for appending text, created 0600 (an existing file of ours is set to 0600); never a link."""
    target = check_output_path(path, what=what)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except OSError as err:
        raise _refuse(f"{os.fspath(path)}", f"{_why(err)}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(f"{os.fspath(path)}", "not a regular file")
        if _ours(info) and stat.S_IMODE(info.st_mode) & 0o077 and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        if hasattr(os, "set_blocking") and getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) as a folder only its owner can enter (0700); an existing one of ours is set so."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if _ours(folder.stat()) and stat.S_IMODE(folder.stat().st_mode) != 0o700:
            os.chmod(folder, 0o700)
    except OSError:
        pass  # not ours to change (a shared folder given on purpose): the files in it are still 0600
    return folder
