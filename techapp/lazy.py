"""Module attributes loaded on first use (PEP 562), for a package that must stay cheap to import."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    namespace: dict[str, Any], homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module whose globals are ``namespace``: each name in ``homes``
    (name -> the module, relative to this one's package, that defines it) is imported when first asked
    for, then kept in ``namespace`` so that later lookups cost nothing."""
    package = namespace["__package__"]

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted([*namespace, *homes])

    return __getattr__, __dir__
