"""The laptop's own clock: where its time comes from, and whether a session is a training one.

A clock repair copies the laptop's time to the terminal, so the technician is
shown whether the laptop itself keeps time from the network (NTP) before they
confirm. Only what the operating system says is reported; anything else is
"unknown", never a guess.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClockSource:
    """``synced``: True when the OS says its clock is synchronised over the network (NTP), False when it
    says it is not, None when it does not say (no tool, no answer). ``via``: the command that said it."""

    synced: bool | None
    via: str = ""


def clock_source(timeout_s: float = 2.0) -> ClockSource:
    """What the operating system says about its clock's network synchronisation.

    Linux (systemd): ``timedatectl show -p NTPSynchronized --value`` ("yes" / "no").
    Other systems: unknown (``synced`` None). Blocks for at most ``timeout_s``.
    """
    if sys.platform.startswith("linux"):
        tool = shutil.which("timedatectl")
        if tool is None:
            return ClockSource(None)
        try:
            done = subprocess.run(
                [tool, "show", "-p", "NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return ClockSource(None)
        answer = done.stdout.strip().lower() if done.returncode == 0 else ""
        if answer in ("yes", "no"):
            return ClockSource(answer == "yes", "timedatectl")
    return ClockSource(None)


def laptop_now() -> datetime:
    """The laptop's local time to the second, as the clock repair copies it."""
    return datetime.now().replace(microsecond=0)


def is_training(port: str) -> bool:
    """A session on the built-in simulated terminal (``sim://``): training, never a real terminal on site."""
    return port.strip().lower().startswith("sim://")


__all__ = ["ClockSource", "clock_source", "is_training", "laptop_now"]
