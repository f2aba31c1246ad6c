"""`techapp network --json` follows its published schema, docs/schemas/network-v1.schema.json.

The schema is generated from the dataclasses (``python -m techapp.schemas``) and must be the
committed file; real runs on simulated terminals (a real pty, the acquirer on loopback, the
laptop through the scenario's network map) are validated against it, with the terminal's
sign-on and its bytes on the wire, and with hosts that do not answer.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from techapp import schemas
from techapp.cli import main

VALIDATOR = jsonschema.Draft202012Validator
NAME = "network-v1.schema.json"


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")


def _schema() -> dict:
    return json.loads((schemas.SCHEMA_DIR / NAME).read_text(encoding="utf-8"))


def _network(pty_sim, tmp_path, monkeypatch, capsys, scenario: str, *args: str) -> tuple[int, dict]:
    server = pty_sim(scenario)
    netmap = tmp_path / "netmap.json"
    server.terminal.world.write_laptop_netmap(netmap)
    monkeypatch.setenv("TECHAPP_NETMAP", str(netmap))
    code = main(["network", "--port", server.path, "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_the_committed_schema_is_the_code_s():
    assert (schemas.SCHEMA_DIR / NAME).read_text(encoding="utf-8") == schemas.render(NAME), (
        "run: .venv/bin/python -m techapp.schemas"
    )


def test_a_sign_on_run_validates_with_its_bytes_on_the_wire(pty_sim, tmp_path, monkeypatch, capsys):
    code, doc = _network(pty_sim, tmp_path, monkeypatch, capsys, "demo-97", "--sign-on")
    assert code == 1
    VALIDATOR(_schema(), format_checker=VALIDATOR.FORMAT_CHECKER).validate(doc)
    assert doc["schema"] == "techapp.network/1"
    assert doc["sign_on"]["response_code"] == "97"
    (wire,) = doc["sign_on"]["traffic"]
    assert wire["local_address"] == "192.168.1.50" and wire["remote_address"] == "10.20.30.40"
    assert wire["sent"][4:14] == "6000030000"  # after the length: the TPDU from the terminal's parameters
    for echo in doc["laptop"]["echo"]:
        assert echo["outcome"] == "ok" and echo["request_hex"] and echo["local_port"]


def test_a_run_with_a_refused_primary_validates_with_the_refusal_on_the_wire(pty_sim, tmp_path, monkeypatch, capsys):
    code, doc = _network(pty_sim, tmp_path, monkeypatch, capsys, "primary-blocked-at-site", "--sign-on")
    assert code == 1
    VALIDATOR(_schema(), format_checker=VALIDATOR.FORMAT_CHECKER).validate(doc)
    # the terminal tried its primary (refused) and signed on at the backup: both connections are there
    tried = [(x["remote_address"], x["outcome"], x["local_port"]) for x in doc["sign_on"]["traffic"]]
    assert [t[1] for t in tried] == ["refused", "ok"] and tried[0][2] is None and tried[1][2]
    assert doc["verdict"]["code"] in _schema()["$defs"]["NetworkVerdict"]["properties"]["code"]["enum"]


def test_the_schema_rejects_what_the_code_never_writes():
    validator = VALIDATOR(_schema())
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"schema": "techapp.network/2"})
