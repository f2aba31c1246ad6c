"""`techapp info --json` follows its published, versioned schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from techapp import cli, schemas

VALIDATOR = jsonschema.Draft202012Validator


def _schema() -> dict:
    return json.loads((schemas.SCHEMA_DIR / "info-v1.schema.json").read_text(encoding="utf-8"))


def test_committed_schema_matches_the_code():
    committed = (schemas.SCHEMA_DIR / "info-v1.schema.json").read_text(encoding="utf-8")
    assert committed == schemas.render("info-v1.schema.json"), "run `python -m techapp.schemas` and commit"
    VALIDATOR.check_schema(_schema())


def _info_json(capsys, *args: str) -> tuple[int, dict]:
    code = cli.main(["info", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_full_read_validates(capsys):
    code, doc = _info_json(capsys, "--demo")
    assert code == 0
    VALIDATOR(_schema()).validate(doc)
    assert doc["schema"] == "techapp.info/1"
    assert doc["parameters"]["tid"] == "12345687"
    assert doc["keys"]["tmk_slots"][0]["check_value"] == "08D7B4FB"
    assert [e["code"] for e in doc["logs"]["response_codes"]] == ["97", "97", "97"]


def test_partial_read_validates_and_names_what_is_missing(capsys, monkeypatch):
    monkeypatch.setenv("TECHAPP_PASSWORD", "not-the-password")
    code, doc = _info_json(capsys, "--port", "sim://healthy")
    assert code == 1
    VALIDATOR(_schema()).validate(doc)
    assert doc["identity"]["serial_number"] == "82412345"
    assert doc["parameters"] is None
    assert doc["errors"] == [
        {
            "section": "login",
            "error_type": "AuthenticationFailed",
            "message": "logging in to maintenance mode: wrong maintenance password; 4 attempt(s) left",
        }
    ]


@pytest.mark.parametrize("path, bad", [(("identity", "model"), 5), (("read_at",), "yesterday")])
def test_schema_rejects_wrong_documents(capsys, path, bad):
    _, doc = _info_json(capsys, "--demo")
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR(_schema()).validate(doc)
