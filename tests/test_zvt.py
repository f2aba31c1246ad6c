"""ZVT: golden vectors from the public record (docs/zvt.md), the codec, and the driver against the
simulated ZVT terminal over a real pty (9600 8N2) and real TCP on loopback."""

from __future__ import annotations

import pytest

from drivers.errors import RefusedByTerminal
from drivers.registry import open_terminal
from drivers.zvt.codec import (
    Apdu,
    crc_kermit,
    decode_apdu,
    decode_bmps,
    decode_status_completion,
    decode_tlv,
    frame_crc,
    llvar,
)
from drivers.zvt.link import serial_frame, stuff

pytestmark = pytest.mark.timeout(60)

#: (APDU, the two CRC bytes sent) — docs/zvt.md "CRC vectors"
CRC_VECTORS = [
    ("06 0F 0B F0 F0 F7" + b"2.14.15".hex() + "00", "B1 11"),
    ("05 01 03 00 00 00", "DF DB"),
    ("06 70 00", "D9 F9"),
    ("06 93 03 00 00 00", "F5 3C"),
    ("06 B0 00", "43 F3"),
    ("84 10 00", "8C E8"),
    ("80 00 00", "F5 1F"),
]

#: The real Feig cVEND plug Status-Enquiry completion (docs/zvt.md "A real Status-Enquiry completion").
VERSION = b"GER-APP-v2.0.9;cS02.01.01-10.10-2-2;CC26"
FEIG = (
    bytes.fromhex("06 0F 89 F0 F4 F0")
    + VERSION
    + bytes.fromhex("00 06 5B 1F 44 04 52 52 35 35 E4 43 1F 40 0A")
    + b"cVEND plug"
    + bytes.fromhex("1F 41 28")
    + VERSION
    + bytes.fromhex("1F 42 04 17 FD 1E 3C 1F 43 01 00 34 0D 1F 0E 04 20 23 04 05 1F 0F 03 22 56 55")
)


def test_crc_is_kermit():
    assert crc_kermit(b"123456789") == 0x2189


@pytest.mark.parametrize(("apdu", "crc"), CRC_VECTORS)
def test_crc_vectors(apdu, crc):
    assert frame_crc(bytes.fromhex(apdu)) == bytes.fromhex(crc)


def test_dle_is_doubled_in_the_apdu_only():
    apdu = bytes.fromhex("84 10 00")
    assert serial_frame(apdu) == bytes.fromhex("10 02 84 10 10 00 10 03 8C E8")
    assert stuff(b"\x10\x10") == b"\x10\x10\x10\x10"


def test_the_real_feig_status_enquiry_completion_decodes_to_the_documented_values():
    apdu = decode_apdu(FEIG)
    assert apdu.command == (0x06, 0x0F) and len(apdu.data) == 0x89
    s = decode_status_completion(apdu.data)
    assert s.software_version == VERSION.decode()
    assert s.terminal_status == 0
    assert s.tag(0x1F44) == "52523535"
    assert s.tag(0x1F40) == "cVEND plug"
    assert s.tag(0x1F41) == VERSION.decode()
    assert s.tag(0x1F42) == "17fd1e3c"  # not BCD: shown as hex
    assert s.tag(0x1F43) == 0
    assert s.tag(0x1F0E) == "20230405" and s.tag(0x1F0F) == "225655"
    assert s.bmps.rest == b""


def test_extended_length_round_trips():
    apdu = Apdu(0x06, 0x0F, bytes(300))
    raw = apdu.encode()
    assert raw[:5] == bytes.fromhex("06 0F FF 2C 01")
    assert decode_apdu(raw) == apdu


def test_unknown_tags_and_bmps_are_kept_raw_never_failing():
    items = decode_tlv(bytes.fromhex("1F 7F 02 AB CD 1F 17 03") + b"abc" + bytes.fromhex("5F 01"))
    assert items[0].tag == 0x1F7F and items[0].value == b"\xab\xcd"
    assert items[1].value == "abc"
    assert items[2].tag == -1 and items[2].raw == b"\x5f\x01"  # cut short: kept as it was
    b = decode_bmps(bytes.fromhex("27 6B 29 52 52 35 35 C7 01 02"))
    assert b.get("result-code") == 0x6B and b.get("terminal-id") == "52523535"
    assert b.rest == bytes.fromhex("C7 01 02")
    assert llvar(b"x" * 40, 3)[:3] == bytes.fromhex("F0 F4 F0")


def test_the_abort_of_the_public_record_decodes():
    # 06 1E with result 6C and TLV 1F16 / 1F17 (ecrterm's abort test, docs/zvt.md)
    text = b"Abbruch durch externes Kommando!"
    data = bytes.fromhex("6C 06 2B 1F 16 05 FF 00 00 14 41 1F 17 20") + text
    rest = decode_bmps(data[1:])
    assert [t.tag for t in rest.tlv] == [0x1F16, 0x1F17]
    assert rest.tlv[1].value == text.decode()


@pytest.mark.parametrize("kind", ["pty", "tcp"])
def test_initialisation_required_is_read_and_initialising_clears_it(sim_port, kind):
    server, port = sim_port(kind, "zvt-init-required")
    driver = open_terminal(port, "zvt")
    try:
        if kind == "pty":
            assert driver.baudrate == 9600 and driver._port.stopbits == 2  # 8N2
        status = driver.status_enquiry()
        assert (status.terminal_status, status.tag(0x1F44)) == (0x51, "52523535")
        driver.login("000000")
        driver.initialise()
        assert driver.status_enquiry().terminal_status == 0
        assert "INITIALISATION" in driver.printed  # the PT's print lines (06 D1) are kept
    finally:
        driver.close()
    assert server.terminal.zvt.commands[-3:] == ["05 01", "06 93", "05 01"]


def test_a_wrong_password_and_an_unregistered_terminal_are_refused(sim_port):
    _, port = sim_port("tcp", "zvt-not-registered")
    driver = open_terminal(port, "zvt")
    try:
        with pytest.raises(Exception, match="refused the password"):
            driver.login("123456")
        driver.login("000000")
        assert driver.comm_test().hosts[0].detail == "terminal not registered (6B)"
        driver.register()
        assert driver.comm_test().hosts[0].outcome == "ok"
    finally:
        driver.close()


def test_host_unreachable_is_a3_over_serial(sim_port):
    _, port = sim_port("pty", "zvt-host-unreachable")
    driver = open_terminal(port, "zvt")
    try:
        result = driver.comm_test()
        assert not result.link_up and result.hosts[0].outcome == "no-link" and "A3" in result.link_detail
        with pytest.raises(RefusedByTerminal) as err:
            driver.initialise()
        assert err.value.code == 0xA3
    finally:
        driver.close()


def test_damaged_frames_are_naked_and_sent_again_on_the_same_faults_as_the_maintenance_link(pty_sim):
    """[link.faults] corrupt/garbage on the PT's frames: the driver NAKs, the PT sends again, the command works."""
    server = pty_sim("zvt-init-required", "[link.faults]\ncorrupt_rate = 0.2\ngarbage_rate = 0.2\nseed = 7\n")
    driver = open_terminal(server.path, "zvt")
    try:
        for _ in range(4):
            assert driver.status_enquiry().terminal_status == 0x51
        stats = driver.link_stats
        assert stats["naks_sent"] > 0 and stats["garbage_bytes"] > 0
    finally:
        driver.close()


def test_a_pulled_cable_is_a_lost_link_not_a_hang(pty_sim):
    from drivers.errors import Disconnected, LinkTimeout

    server = pty_sim("zvt-ready", "[link.faults]\ndisconnect_after_frames = 2\n")
    driver = open_terminal(server.path, "zvt", response_timeout=2.0)
    try:
        driver.status_enquiry()
        with pytest.raises((Disconnected, LinkTimeout)):
            driver.comm_test()
    finally:
        driver.close()


@pytest.mark.parametrize("kind", ["pty", "tcp"])
def test_the_password_never_shows_in_a_trace(sim_port, kind, tmp_path, monkeypatch):
    # 103456: its first BCD byte is DLE (10), doubled in a serial frame; the CRC over it would give it away
    from drivers.registry import masked_hex
    from techapp.cli import main

    _, port = sim_port(kind, "zvt-init-required", '[zvt]\npassword = "103456"\n')
    seen: list[bytes] = []
    driver = open_terminal(port, "zvt", trace=lambda direction, frame_kind, raw: seen.append(bytes(raw)))
    try:
        driver.login("103456")
        driver.initialise()
        driver.register()
    finally:
        driver.close()
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("TECHAPP_PASSWORD", "103456")
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    assert main(["info", "--driver", "zvt", "--port", port, "--trace", str(trace)]) in (0, 1)
    shown = [masked_hex(raw) for raw in seen]
    carried = [h for raw, h in zip(seen, shown, strict=True) if b"\x34\x56" in raw]
    assert len(carried) >= 3  # status enquiry, initialisation, registration: each sent the password
    wire = "10 10 34 56" if kind == "pty" else "10 34 56"
    for text in [*shown, trace.read_text(encoding="utf-8")]:
        assert wire not in text and "34 56" not in text
    assert all("** ** **" in h for h in carried)
    if kind == "pty":  # and the CRC of those frames: two more masked bytes at the end
        assert all(h.endswith("** **") for h in carried)
