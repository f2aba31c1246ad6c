"""The technician's settings: who signs the reports, and in which language they are printed.

A small TOML file, ``settings.toml``, in the user's config directory (``platformdirs``:
``~/.config/techapp`` on Linux, ``%LOCALAPPDATA%\\techapp`` on Windows,
``~/Library/Application Support/techapp`` on macOS). ``TECHAPP_CONFIG_DIR`` overrides the
folder; when only ``TECHAPP_DATA_DIR`` is set (tests, portable use) the file lives there.

Keys (all optional)::

    technician_name = "王伟 Wang Wei"   # printed on every report and its signature line
    technician_id = "T-0042"            # the service company's id for the technician
    company = "Demo Field Service"      # the service company, in the report's header
    report_lang = "zh"                  # default language of reports: "zh" or "en" ("" = the window's/locale's)
    sign_reports = true                 # sign each report with the technician's Ed25519 key

``techapp settings`` shows them; ``techapp settings --technician-name ... --technician-id ...`` sets them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

FILE_NAME = "settings.toml"


class SettingsError(ValueError):
    """The settings file cannot be read or a value is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    technician_name: str = ""
    technician_id: str = ""
    company: str = ""
    report_lang: str = ""  # "", "zh" or "en"
    sign_reports: bool = True

    def technician(self) -> dict[str, str]:
        """The report's technician block: name and id (empty strings when not set)."""
        return {"name": self.technician_name, "id": self.technician_id}

    def with_changes(self, **changes) -> Settings:
        new = replace(self, **changes)
        new.validate()
        return new

    def validate(self, where: str = "settings") -> None:
        if self.report_lang not in ("", "zh", "en"):
            raise SettingsError(f"{where}: report_lang must be 'zh', 'en' or empty, not {self.report_lang!r}")
        for name in ("technician_name", "technician_id", "company"):
            value = getattr(self, name)
            if "\n" in value or "\r" in value or len(value) > 120:
                raise SettingsError(f"{where}: {name} must be one line of at most 120 characters")


def config_dir() -> Path:
    override = os.environ.get("TECHAPP_CONFIG_DIR") or os.environ.get("TECHAPP_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("techapp", appauthor=False))


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def load_settings(path: Path | None = None) -> Settings:
    """The settings in ``path`` (default :func:`settings_path`); defaults when the file does not exist."""
    path = path or settings_path()
    from drivers.safeio import InputFileError, loads_toml, read_text

    try:  # a regular file of bounded size; repeated keys, deep nesting and huge numbers are errors
        data = loads_toml(read_text(path, what="settings file"), what=str(path))
    except InputFileError as err:
        if isinstance(err.__cause__, FileNotFoundError):
            return Settings()
        raise SettingsError(f"cannot read the settings: {err}") from None
    known = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SettingsError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(known)})")
    for key, value in data.items():
        want = bool if key == "sign_reports" else str
        if not isinstance(value, want):
            raise SettingsError(f"{path}: {key} must be {'true or false' if want is bool else 'text'}")
    settings = Settings(**data)
    settings.validate(str(path))
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings whole (a temporary file, then a rename); returns the path."""
    settings.validate()
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# techapp settings (see docs/reports.md)"]
    for key, value in asdict(settings).items():
        # a JSON string is a valid TOML basic string (same escapes)
        shown = ("true" if value else "false") if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key} = {shown}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
