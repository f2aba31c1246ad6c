"""Where the maintenance password comes from: never the command line.

Order: ``--password-file FILE`` (first line), then the environment variable
``TECHAPP_PASSWORD``, then an interactive prompt (no echo). Arguments are
visible to every user in the process list, so there is no ``--password``.
The built-in demo uses the simulator's published demo password.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from drivers.safeio import MAX_PASSWORD_FILE_BYTES, InputFileError, read_text

ENV_VAR = "TECHAPP_PASSWORD"
#: Published password of every shipped simulator scenario (not a secret).
DEMO_PASSWORD = "demo-2026"


class PasswordUnavailable(Exception):
    """No password source gave a password."""


def read_password(password_file: str | None = None, *, prompt: str = "Maintenance password: ") -> str:
    if password_file:
        path = Path(password_file)
        try:
            text = read_text(path, what="password file", limit=MAX_PASSWORD_FILE_BYTES)
        except InputFileError as err:  # a device, FIFO, folder, a huge file or not UTF-8: never read unbounded
            raise PasswordUnavailable(str(err)) from err
        line = text.splitlines()[0] if text else ""
        if not line:
            raise PasswordUnavailable(f"password file {path} is empty")
        return line
    value = os.environ.get(ENV_VAR)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if value:
            return value
    raise PasswordUnavailable(
        f"no maintenance password: use --password-file FILE, set {ENV_VAR}, or run in a terminal to be asked"
    )
