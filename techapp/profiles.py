"""Acquirer profiles: what one acquirer's hosts, keys and response codes mean (TOML).

The format is documented in ``docs/acquirer-profiles.md``. A profile is the
only source of the meaning of a response code (field 39): techapp never
infers a meaning from a terminal's display text, and a code the profile
does not list is explained as *unknown*, not guessed
(``docs/payment-facts.md`` §1). Unknown keys and bad values are
refused with the file, the key and what was expected (:class:`ProfileError`).

Pure Python: no Qt, usable from the CLI, the GUI and the simulated acquirer.

This module lists and finds profiles without pydantic (the window lists their names before its
first paint); the validated models (:class:`AcquirerProfile` and its tables) live in
:mod:`techapp.profile_model` and load on first use (PEP 562), as :func:`load_profile` does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.resources import is_path, named_files, resource_dirs
from drivers.safeio import InputFileError, is_file, loads_toml, read_text

from .lazy import lazy_attributes

if TYPE_CHECKING:
    from .profile_model import (
        AcquirerProfile,
        ApprovedVersions,
        Code,
        Header,
        Helpdesk,
        Host,
        Name,
        ResponseCode,
        Text,
    )

FORMAT_VERSION = 1

#: Key scheme -> CUP field 60.3 of the sign-on 0800 (reference §4.3, §4.4).
#: DUKPT loads no working keys at sign-on; the reference gives no 60.3 for it.
FIELD_60_3: dict[str, str | None] = {
    "ms-single": "001",
    "ms-double": "003",
    "ms-double-tdk": "004",
    "dukpt-tdes": None,
}

#: CUP action class of a response code (reference §2): zh, en.
CATEGORIES: dict[str, tuple[str, str]] = {
    "A": ("批准", "approved"),
    "B": ("失败，可重试", "failed, may retry"),
    "C": ("失败，不可重试", "failed, do not retry"),
    "D": ("需操作员处理", "operator must act"),
    "E": ("系统故障，不可重试", "system fault, do not retry"),
}

#: Which side a response code points at (reference §2): zh, en.
SIDES: dict[str, tuple[str, str]] = {
    "T": ("终端设置或登记", "terminal setup or record"),
    "K": ("卡或持卡人", "card or cardholder"),
    "H": ("主机、发卡方或交换中心", "host, issuer or switch"),
    "Op": ("操作员输入", "operator input"),
}

CODE_PATTERN = re.compile(r"[0-9A-Z]{2}")  # use with fullmatch


def profile_dirs() -> list[Path]:
    """Where :func:`load_profile` looks for ``NAME.toml``, first match wins."""
    return resource_dirs("acquirers", "TECHAPP_PROFILE_PATH")


class ProfileError(ValueError):
    """An acquirer profile is missing, unreadable or invalid. The message names file and key."""


@dataclass(frozen=True)
class ResponseCodeInfo:
    """What a response code means under one acquirer profile.

    ``known`` is False when the profile does not list the code: then the
    texts say so and category and side are empty. Nothing is ever guessed.
    """

    code: str
    known: bool
    profile: str  # profile id
    zh: str
    en: str
    category: str | None
    side: tuple[str, ...]
    action_zh: str
    action_en: str
    zh_variants: tuple[str, ...] = ()
    unconfirmed: bool = False
    note: str = ""

    @property
    def category_en(self) -> str:
        return CATEGORIES[self.category][1] if self.category else ""

    @property
    def category_zh(self) -> str:
        return CATEGORIES[self.category][0] if self.category else ""

    @property
    def side_en(self) -> list[str]:
        return [SIDES[s][1] for s in self.side]

    @property
    def side_zh(self) -> list[str]:
        return [SIDES[s][0] for s in self.side]


# -- loading ------------------------------------------------------------------------


def list_profiles() -> list[tuple[str, Path]]:
    """Every profile found as ``(id, path)``; a profile in an earlier folder hides one of the same id."""
    return named_files(profile_dirs())


def find_profile(name: str) -> Path:
    """``NAME`` looked up as ``NAME.toml`` in :func:`profile_dirs`, or a path (``*.toml`` or containing ``/``)."""
    if is_path(name):
        candidate = Path(name)
        # is_file: False for a name the file system refuses (too long), not a traceback; something else that
        # exists there (a folder, a device, a FIFO) is returned for the reader to name what it is
        if is_file(candidate) or os.path.lexists(candidate):
            return candidate
        raise ProfileError(f"{name}: acquirer profile not found (looked for {candidate.absolute()})")
    for directory in profile_dirs():
        path = directory / f"{name}.toml"
        if is_file(path):
            return path
    known = ", ".join(stem for stem, _ in list_profiles()) or "none"
    raise ProfileError(f"unknown acquirer profile {name!r}; profiles found: {known}")


@dataclass(frozen=True)
class ReadProfile:
    """A profile file found, read and parsed as TOML, not yet validated (:func:`read_profile`)."""

    path: Path
    raw: dict[str, Any]

    def validate(self) -> AcquirerProfile:
        """The validated profile, or :class:`ProfileError` naming the file, the key and what was expected."""
        from .profile_model import validate  # pydantic: loaded when a profile is validated, never to list them

        return validate(self.raw, self.path.stem, str(self.path))


def read_profile(name_or_path: str | os.PathLike[str]) -> ReadProfile:
    """Find, read and parse a profile without validating it (no pydantic): a missing, unreadable or
    not-TOML file raises :class:`ProfileError` here; :meth:`ReadProfile.validate` does the rest."""
    path = find_profile(str(name_or_path))
    try:  # a regular file of bounded size; deep nesting, huge integers and repeated keys are errors
        raw = loads_toml(read_text(path, what="profile"), what=str(path))
    except InputFileError as err:
        raise ProfileError(str(err)) from err
    return ReadProfile(path, raw)


def load_profile(name_or_path: str | os.PathLike[str]) -> AcquirerProfile:
    """A profile by name (``"demo"``, looked up in :func:`profile_dirs`) or by path."""
    return read_profile(name_or_path).validate()


def load_profile_text(text: str, *, profile_id: str = "text", source: str = "<text>") -> AcquirerProfile:
    """Validate a profile given as TOML text (tests, an editor)."""
    try:
        raw = loads_toml(text, what=source)
    except InputFileError as err:
        raise ProfileError(str(err)) from err
    from .profile_model import validate

    return validate(raw, profile_id, source)


# The validated models load on first use (PEP 562): `from techapp.profiles import AcquirerProfile` still works,
# while listing the profiles' names (the window's profile box) never imports pydantic.
_MODEL_NAMES = (
    "AcquirerProfile",
    "ApprovedVersions",
    "Code",
    "Header",
    "Helpdesk",
    "Host",
    "Name",
    "ResponseCode",
    "Text",
)
__getattr__, __dir__ = lazy_attributes(globals(), dict.fromkeys(_MODEL_NAMES, "profile_model"))


__all__ = [
    "CATEGORIES",
    "CODE_PATTERN",
    "FIELD_60_3",
    "FORMAT_VERSION",
    "SIDES",
    "AcquirerProfile",
    "ApprovedVersions",
    "Code",
    "Header",
    "Helpdesk",
    "Host",
    "Name",
    "ProfileError",
    "ResponseCode",
    "ResponseCodeInfo",
    "Text",
    "find_profile",
    "list_profiles",
    "load_profile",
    "load_profile_text",
    "profile_dirs",
]
