"""Bonus cross-check (issue 13): Wireshark's own `zvt` dissector decodes the APDUs our driver and the
simulated terminal exchange over TCP, within its documented limits (it does not know 05 01; docs/zvt.md §11)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from drivers.registry import open_terminal
from drivers.sim.scenario import load_scenario
from drivers.sim.server import TcpServer
from drivers.sim.terminal import SimulatedTerminal

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not (shutil.which("tshark") and shutil.which("text2pcap")), reason="tshark not installed"),
]


def _decode(frames: list[bytes], ports: str, tmp_path, name: str) -> list[list[str]]:
    text = tmp_path / f"{name}.txt"
    text.write_text("".join("000000 " + raw.hex(" ") + "\n" for raw in frames), encoding="ascii")
    pcap = tmp_path / f"{name}.pcap"
    subprocess.run(["text2pcap", "-q", "-T", ports, str(text), str(pcap)], check=True, capture_output=True)
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-d", "tcp.port==20007,zvt", "-T", "fields"]
        + ["-e", "zvt.control_field", "-e", "zvt.result_code", "-e", "zvt.terminal_id"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("\t") for line in out.stdout.splitlines()]


def test_tshark_decodes_our_tcp_frames(tmp_path):
    server = TcpServer(SimulatedTerminal(load_scenario("zvt-host-unreachable"))).start()
    seen: list[tuple[str, bytes]] = []
    try:
        driver = open_terminal(server.url, "zvt", trace=lambda d, kind, raw: seen.append((d, raw)))
        driver.status_enquiry()
        driver.comm_test()
        driver.close()
    finally:
        server.stop()
    sent = _decode([r for d, r in seen if d == "tx"], "40000,20007", tmp_path, "ecr")
    received = _decode([r for d, r in seen if d == "rx"], "20007,40000", tmp_path, "pt")
    assert ["0x0670", "", ""] in sent  # the Diagnosis command (05 01 is unknown to the dissector)
    controls = [row[0] for row in received if row[0]]
    assert controls == ["0x060f", "0x04ff", "0x040f", "0x061e"]
    assert ["0x040f", "0xa3", "52523535"] in received  # status information: result A3, the terminal's ID
    assert ["0x061e", "0xa3", ""] in received  # the abort with the same result code
