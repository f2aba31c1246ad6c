"""Evidence for escalation: the host traffic pcap read back by tshark, and the bundle of a real run.

The terminal is served on a real pty (``pty_sim``); its acquirer answers on loopback; the laptop
reaches the same hosts through the scenario's network map (``TECHAPP_NETMAP``), as in the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import ui.report_render  # noqa: F401 - the Qt renderer of the bundle's report PDF
from drivers.hostlink import cup
from techapp import evidence
from techapp.cli import main

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"
PASSWORD = "demo-2026"  # the demo scenario's published maintenance password
LUA = ROOT / "resources" / "wireshark" / evidence.LUA_NAME

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is installed by scripts/setup")


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch, qapp):  # pytest-qt's QApplication renders the report (as in test_report.py)
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TECHAPP_PASSWORD", PASSWORD)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def demo_pty(pty_sim, tmp_path, monkeypatch):
    server = pty_sim("demo-97")
    netmap = tmp_path / "netmap.json"
    server.terminal.world.write_laptop_netmap(netmap)
    monkeypatch.setenv("TECHAPP_NETMAP", str(netmap))
    return server


FIELDS = ("ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "iso8583.mti", "iso8583.bit11", "iso8583.bit41")
FIELDS += ("iso8583.bit42", "iso8583.bit39", "tcp.payload", "tcp.analysis.flags")


def tshark_rows(pcap: Path, ports: list[int], lua: Path = LUA) -> list[dict[str, str]]:
    """Every ISO 8583 message tshark decodes in ``pcap``, with the preferences docs/evidence.md gives."""
    cmd = evidence.tshark_command(str(pcap), ports, str(lua))
    cmd += ["-Y", "iso8583 || tcp.analysis.flags", "-T", "fields", "-E", "separator=|"]
    for name in FIELDS:
        cmd += ["-e", name]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return [dict(zip(FIELDS, line.split("|"), strict=True)) for line in done.stdout.splitlines() if line]


def nmc(row: dict[str, str]) -> str:
    """60.3 of the message in the row: CUP carries the network management code there, not in field 70."""
    wire = bytes.fromhex(row["tcp.payload"].replace(":", ""))
    return cup.parse_field_60(cup.decode(wire[2:]).get(60)).nmc


@needs_tshark
def test_diagnose_writes_the_sign_on_and_the_echo_tests_that_tshark_decodes(demo_pty, tmp_path, capsys):
    pcap = tmp_path / "host.pcap"
    code = main(
        ["diagnose", "--port", demo_pty.path, "--work-order", str(DEMO_ORDER), "--fix", "none"]
        + ["--no-prompts", "--host-trace", str(pcap)]
    )
    assert code == 1  # the demo's 97
    assert "host traffic: " in capsys.readouterr().err
    rows = tshark_rows(pcap, [5000])
    assert not [r for r in rows if r["tcp.analysis.flags"]], "tshark sees TCP problems (seq/ack)"
    by_mti = {}
    for r in rows:
        by_mti.setdefault(r["iso8583.mti"], []).append(r)
    assert sorted(by_mti) == ["0800", "0810", "0820", "0830"]
    (request,), (answer,) = by_mti["0800"], by_mti["0810"]
    # the terminal's own sign-on, between its address and its host's, as its parameters say
    assert (request["ip.src"], request["ip.dst"], request["tcp.dstport"]) == ("192.168.1.50", "10.20.30.40", "5000")
    assert (answer["ip.src"], answer["tcp.dstport"]) == ("10.20.30.40", request["tcp.srcport"])
    assert request["iso8583.bit11"] == answer["iso8583.bit11"]
    assert request["iso8583.bit41"] == answer["iso8583.bit41"] == "12345687"  # the TID keyed wrong
    assert request["iso8583.bit42"] == "123456789012345"
    assert answer["iso8583.bit39"] == "97"
    assert nmc(request) == "003" and nmc(answer) == "003"  # double-length keys sign-on
    # the laptop's echo tests to both hosts: never a sign-on in the terminal's name
    assert len(by_mti["0820"]) == len(by_mti["0830"]) == 2
    for req in by_mti["0820"]:
        ans = next(a for a in by_mti["0830"] if a["tcp.dstport"] == req["tcp.srcport"] and a["ip.src"] == req["ip.dst"])
        assert req["iso8583.bit11"] == ans["iso8583.bit11"] and int(req["iso8583.bit11"]) >= 900000
        assert ans["iso8583.bit39"] == "00" and nmc(req) == "301"
        assert req["ip.src"] != "127.0.0.1" and req["ip.dst"] in ("10.20.30.40", "10.20.30.41")


def _bundle(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "out").glob("*.zip")
    return found


@needs_tshark
def test_diagnose_bundle_end_to_end(demo_pty, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    code = main(
        ["diagnose", "--port", demo_pty.path, "--work-order", str(DEMO_ORDER), "--fix", "auto"]
        + ["--no-prompts", "--bundle", str(tmp_path / "out"), "--lang", "en"]
    )
    assert code == 3  # repaired; card reader and keypad not tested
    bundle = _bundle(tmp_path)
    assert bundle.name.startswith("82412345_") and len(bundle.stem) == len("82412345_20261204-1752")
    assert f"evidence bundle: {bundle}" in capsys.readouterr().err
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        assert names == {
            "report.pdf",
            "report.json",
            "diagnosis.json",
            "maintenance-log.txt",
            "host-traffic.pcap",
            "cup-tpdu.lua",
            "README.txt",
            "manifest.sha256",
        }
        # the manifest's hashes are the files'
        listed = dict(reversed(line.split("  ", 1)) for line in z.read("manifest.sha256").decode().splitlines())
        assert set(listed) == names - {"manifest.sha256"}
        for name, digest in listed.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest, name
        report = json.loads(z.read("report.json"))
        diagnosis = json.loads(z.read("diagnosis.json"))
        readme = z.read("README.txt").decode()
        log = z.read("maintenance-log.txt").decode()
        z.extractall(tmp_path / "x")
    assert evidence.verify_manifest(bundle) == []
    assert report["schema"] == "techapp.report/1" and diagnosis["schema"] == "techapp.diagnosis/1"
    assert report["report_no"] in readme and (tmp_path / "x" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # the README's own command line decodes the pcap; the repair's proving sign-on (00) is in it too
    command = next(line.strip() for line in readme.splitlines() if line.strip().startswith("tshark "))
    assert "-d tcp.port==5000,cuptpdu" in command and '-o "iso8583.len_endian:Big endian"' in command
    rows = tshark_rows(tmp_path / "x" / "host-traffic.pcap", [5000], tmp_path / "x" / "cup-tpdu.lua")
    codes = [r["iso8583.bit39"] for r in rows if r["iso8583.mti"] == "0810"]
    assert codes[0] == "97" and "00" in codes[1:]
    # the maintenance log has every frame, the login proofs masked
    assert " tx  frame" in log and " rx  frame" in log and "** ** **" in log
    # nothing secret: the password, the terminal's clear keys, in any file, in any form
    secrets = _scenario_secrets(demo_pty)
    with zipfile.ZipFile(bundle) as z:
        for name in z.namelist():
            data = z.read(name)
            for secret in secrets:
                assert secret not in data, (name, secret)


def _scenario_secrets(server) -> list[bytes]:
    t = server.terminal
    out = [PASSWORD.encode(), PASSWORD.encode().hex().encode(), PASSWORD.encode().hex().upper().encode()]
    keys = list(t.tmk.values()) + [key for key, _ in t.working.values()]
    for key in keys:
        out += [key, key.hex().encode(), key.hex().upper().encode()]
    assert len(out) > 3, "the scenario's keys were not found: the secret check would prove nothing"
    return out


@needs_tshark
def test_report_of_the_last_visit_with_a_bundle(demo_pty, tmp_path, capsys):
    assert (
        main(["diagnose", "--port", demo_pty.path, "--work-order", str(DEMO_ORDER), "--fix", "none", "--no-prompts"])
        == 1
    )
    (tmp_path / "out").mkdir()
    code = main(["report", "--last", "--pdf", str(tmp_path / "r.pdf"), "--bundle", str(tmp_path / "out")])
    assert code == 0
    bundle = _bundle(tmp_path)
    with zipfile.ZipFile(bundle) as z:
        report = json.loads(z.read("report.json"))
        assert "Not recorded" in z.read("maintenance-log.txt").decode()  # made later, from the history
        (tmp_path / "h.pcap").write_bytes(z.read("host-traffic.pcap"))
    assert report["report_no"] in capsys.readouterr().out  # the same report as the PDF written
    mtis = sorted(r["iso8583.mti"] for r in tshark_rows(tmp_path / "h.pcap", [5000]))
    assert mtis == ["0800", "0810", "0820", "0820", "0830", "0830"]


def test_card_numbers_are_masked_in_the_messages_and_lengths_stay():
    message = cup.HostMessage(
        "0200",
        {"2": "6222021234567890123", "3": "000000", "11": "000123", "41": "12345678", "42": "123456789012345"},
    )
    wire = cup.encode(message)
    masked = evidence.mask_wire(wire)
    assert len(masked) == len(wire) and masked != wire
    assert cup.decode(masked[2:]).get(2) == "622202FFFFFFFFF0123"
    assert b"\x62\x22\x02\x12\x34\x56\x78\x90" not in masked
    garbage = b"\x00\x20" + b"PAN 6222021234567890123 end....."
    assert b"622202*********0123" in evidence.mask_wire(garbage)


def test_a_refused_connection_is_a_syn_and_a_reset(tmp_path):
    from scapy.layers.inet import TCP
    from scapy.utils import rdpcap

    conv = evidence.from_exchange(
        {
            "role": "primary",
            "local_address": "192.168.1.50",
            "local_port": None,
            "remote_address": "10.20.30.40",
            "remote_port": 5000,
            "outcome": "refused",
            "tls": "off",
            "connect_at_ms": 3,
            "connect_ms": 40,
            "sent_at_ms": None,
            "sent": "",
            "received_at_ms": None,
            "received": "",
            "closed_at_ms": 44,
            "started_ms": 1_700_000_000_000,
        }
    )
    assert conv is not None
    evidence.write_pcap([conv], tmp_path / "r.pcap")
    packets = rdpcap(str(tmp_path / "r.pcap"))
    flags = [str(p[TCP].flags) for p in packets]
    assert flags == ["S", "RA"]
    assert packets[1][TCP].ack == packets[0][TCP].seq + 1
    assert float(packets[1].time) - float(packets[0].time) == pytest.approx(0.040, abs=0.002)


@needs_tshark
def test_the_settlement_a_repair_runs_is_in_the_host_trace(pty_sim, tmp_path, monkeypatch, capsys):
    server = pty_sim("unsettled-batch")
    netmap = tmp_path / "netmap.json"
    server.terminal.world.write_laptop_netmap(netmap)
    monkeypatch.setenv("TECHAPP_NETMAP", str(netmap))
    pcap = tmp_path / "host.pcap"
    main(
        ["diagnose", "--port", server.path, "--work-order", str(DEMO_ORDER), "--fix", "auto", "--no-prompts"]
        + ["--host-trace", str(pcap)]
    )
    assert "batch settled" in capsys.readouterr().out
    rows = tshark_rows(pcap, [5000])
    (request,) = [r for r in rows if r["iso8583.mti"] == "0500"]
    (answer,) = [r for r in rows if r["iso8583.mti"] == "0510"]
    assert request["ip.src"] == "192.168.1.50" and answer["ip.src"] == "10.20.30.40"
    assert request["iso8583.bit11"] == answer["iso8583.bit11"] and answer["iso8583.bit39"] == "00"
    assert nmc(request) == "201"
    # the settlement came after the diagnosis's own sign-on
    order = [r["iso8583.mti"] for r in rows if r["iso8583.mti"]]
    assert order.index("0500") > order.index("0800")


def _small_diagnosis() -> dict:
    """A diagnosis JSON with the fields a bundle reads (the bundle takes a stored diagnosis, as from the history)."""
    return {
        "schema": "techapp.diagnosis/1",
        "started_at": "2026-12-04T09:05:00",
        "terminal": {"serial_number": "82412345", "tid": "12345678", "mid": "123456789012345"},
        "checks": [],
        "findings": [],
        "outcome": "faults",
        "headline": {"en": "Faults found: card 6222021234567890128 declined", "zh": "发现故障"},
    }


def test_the_bundle_is_written_whole_or_not_at_all(tmp_path):
    doc = _small_diagnosis()
    report = {"schema": "techapp.report/1", "report_no": "TA-1"}
    target = tmp_path / evidence.bundle_name(doc)
    assert target.name == "82412345_20261204-0905.zip"
    target.write_bytes(b"an older bundle")

    def broken(report, path, lang):
        path.write_bytes(b"%PDF-half")
        raise RuntimeError("the printer driver crashed")

    with pytest.raises(evidence.BundleError, match="service report"):
        evidence.build_bundle(doc, target, report=report, render=broken)
    assert target.read_bytes() == b"an older bundle"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary file left
    with pytest.raises(evidence.BundleError, match="does not exist"):
        evidence.build_bundle(doc, tmp_path / "gone" / "x.zip", report=report, pdf=False)

    def fine(report, path, lang):
        path.write_bytes(b"%PDF-1.7 " + lang.encode())

    written = evidence.build_bundle(doc, target, report=report, render=fine, lang="en", maintenance_log="log\n")
    assert written == target and evidence.verify_manifest(target) == []
    with zipfile.ZipFile(target) as z:
        assert z.read("report.pdf") == b"%PDF-1.7 en"
        diagnosis = json.loads(z.read("diagnosis.json"))
        assert "622202*********0128" in diagnosis["headline"]["en"]  # masked like the report
        assert diagnosis["terminal"]["mid"] == "123456789012345"  # identifiers kept
        files = {name: z.read(name) for name in z.namelist()}
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as z:  # a changed file no longer matches the manifest
        for name, data in files.items():
            z.writestr(name, b"tampered" if name == "README.txt" else data)
    assert evidence.verify_manifest(tampered) == ["README.txt"]


def test_escalation_text_names_the_recipient_and_the_bundle_and_masks_cards():
    from techapp.diagnosis.model import T

    action = {
        "kind": "escalation",
        "recipient": "收单行客服 acquirer help desk",
        "text": T("TID 12345678 answered 97; card 6222021234567890128", "终端号 12345678 应答 97"),
    }
    text = evidence.escalation_text(action, "en", bundle="82412345_20261204-0905.zip")
    assert text.splitlines()[0] == "To: 收单行客服 acquirer help desk"
    assert "6222021234567890128" not in text and "622202*********0128" in text and "12345678" in text
    assert text.rstrip().endswith("Evidence attached: 82412345_20261204-0905.zip")


def test_the_terminal_gives_its_host_traffic_only_when_asked(pty_sim, connect):
    server = pty_sim("demo-97")
    driver = connect(server.path)
    driver.login(PASSWORD)
    plain = driver.sign_on()
    assert plain.traffic == []  # as before: the response carries no HOST_EXCHANGE
    driver.capture_host_traffic = True
    (x,) = driver.sign_on().traffic
    assert (x.local_address, x.remote_address, x.remote_port, x.outcome) == ("192.168.1.50", "10.20.30.40", 5000, "ok")
    assert x.local_port and x.connect_at_ms <= x.sent_at_ms <= x.received_at_ms <= x.closed_at_ms
    request, answer = cup.decode(x.sent[2:]), cup.decode(x.received[2:])
    assert int.from_bytes(x.sent[:2], "big") == len(x.sent) - 2
    assert (request.mti, answer.mti, answer.get(39)) == ("0800", "0810", "97")
    assert int(request.get(11)) == int(plain.stan) + 1  # the next STAN: this very sign-on's 0800


def test_the_host_traffic_is_not_asked_for_on_a_cable_that_already_needed_resends():
    """On a clean link the sign-on brings its 0800/0810; once the cable has resent or refused a frame,
    the ~600-byte answer is not asked for (it would rarely cross whole) and the driver says why."""
    from drivers.registry import open_terminal
    from techapp.credentials import DEMO_PASSWORD

    driver = open_terminal("sim://healthy?fresh")
    try:
        driver.capture_host_traffic = True
        driver.login(DEMO_PASSWORD)
        clean = driver.sign_on()
        assert clean.traffic and driver.host_traffic_withheld == ""
        driver._link.stats["naks_sent"] += 1  # the cable refused one frame earlier in this session
        noisy = driver.sign_on()
        assert noisy.outcome == clean.outcome and not noisy.traffic
        assert "1 resent or refused frames" in driver.host_traffic_withheld
    finally:
        driver.close()
