"""The shipped and user scenarios by name, without loading them (no pydantic): the window's scenario box.

:mod:`drivers.sim.scenario` reads and validates one; it re-exports these names.
"""

from __future__ import annotations

from pathlib import Path

from ..resources import named_files, resource_dirs


def scenario_dirs() -> list[Path]:
    """Where ``sim://NAME`` and ``techapp sim NAME`` look for ``NAME.toml`` (each folder, then its ``zvt/``)."""
    return [d for base in resource_dirs("scenarios", "TECHAPP_SCENARIO_PATH") for d in (base, base / "zvt")]


def list_scenarios() -> list[tuple[str, Path]]:
    return named_files(scenario_dirs())


__all__ = ["list_scenarios", "scenario_dirs"]
