"""The one version of techapp, with the git commit it was built from.

``techapp.VERSION`` (in ``techapp/__init__.py``) is the release number, the only place it is written;
``techapp.__version__`` is :func:`full_version`: the release number plus ``+g<commit>`` when the code runs
from a git checkout (read from ``.git`` without running git) or from a frozen build made in one (the
commit ``build.spec`` wrote into the bundle's ``resources/BUILD``). About, ``--version``, the reports and
the JSON outputs all show this one string.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from . import VERSION

BUILD_FILE = "BUILD"  # in resources/ of a frozen build: one line, the full version


def _checkout() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    return root if (root / ".git").exists() else None


def _read_commit(root: Path) -> str | None:
    """HEAD's commit from the files under ``.git`` (a loose ref or packed-refs), without git."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head[:10] or None
        ref = head.split(":", 1)[1].strip()
        common = git / "commondir"
        base = (git / common.read_text(encoding="utf-8").strip()).resolve() if common.is_file() else git
        for folder in dict.fromkeys((git, base)):
            loose = folder / ref
            if loose.is_file():
                return loose.read_text(encoding="utf-8").strip()[:10] or None
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0][:10]
    except (OSError, IndexError, ValueError):
        return None
    return None


def describe(root: Path | None = None) -> str:
    """The full version as the build writes it: ``VERSION+g<commit>`` (``.dirty`` with uncommitted changes
    to tracked files, asked of git), or ``VERSION`` outside a checkout."""
    root = root or _checkout()
    if root is None:
        return VERSION
    commit = _read_commit(root)
    if not commit:
        return VERSION
    import subprocess  # the build asks git; the app itself never runs it

    try:
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        changed = ""
    return f"{VERSION}+g{commit}" + (".dirty" if changed else "")


@functools.cache
def full_version() -> str:
    """What About, ``--version``, reports and JSON show (see the module's text)."""
    if getattr(sys, "frozen", False):
        from drivers.resources import resource_root

        try:
            text = (resource_root() / BUILD_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return text if text.startswith(VERSION) else VERSION
    root = _checkout()
    commit = _read_commit(root) if root else None
    return f"{VERSION}+g{commit}" if commit else VERSION


def generator() -> str:
    """``techapp <full version>``: the "generator" member of every JSON output and report."""
    return f"techapp {full_version()}"
