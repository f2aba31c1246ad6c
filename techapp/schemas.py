"""JSON Schemas of techapp's machine-readable outputs, generated from the models.

``python -m techapp.schemas`` rewrites the files under ``docs/schemas/``; a
test fails when a committed schema differs from what the code produces.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from drivers.models import Counters, Hardware, Identity, KeyStatus, LogEntry, Parameters

from .info import SCHEMA as INFO_SCHEMA

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schemas"


class _Logs(TypedDict):
    response_codes: list[LogEntry] | None
    errors: list[LogEntry] | None


class _SectionError(TypedDict):
    section: str
    error_type: str
    message: str


class InfoDocument(TypedDict):
    """Output of ``techapp info --json``. Sections not read are null and listed in ``errors``."""

    schema: Literal["techapp.info/1"]
    port: str
    driver: str
    read_at: datetime
    protocol_version: int | None
    identity: Identity | None
    parameters: Parameters | None
    keys: KeyStatus | None
    hardware: Hardware | None
    counters: Counters | None
    logs: _Logs
    errors: list[_SectionError]


LOCAL_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
    "description": "local date and time without offset (terminal times are the terminal's own clock)",
}


def _local_times(node: Any) -> Any:
    """Terminals know no time zone: describe naive times by pattern, not as RFC 3339 date-time."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            return {**LOCAL_TIME, **({"title": node["title"]} if "title" in node else {})}
        return {k: _local_times(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_local_times(v) for v in node]
    return node


def info_schema() -> dict[str, Any]:
    schema = _local_times(TypeAdapter(InfoDocument).json_schema(mode="serialization"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = INFO_SCHEMA
    return schema


SCHEMAS = {"info-v1.schema.json": info_schema}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (SCHEMA_DIR / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
