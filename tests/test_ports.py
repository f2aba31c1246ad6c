"""Port discovery: USB ID recognition and the order ports are offered in."""

from __future__ import annotations

import pytest
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from drivers import ports
from drivers.ports import BRIDGE, TERMINAL, UNKNOWN, PortInfo, port_info_from, recognise


def make_port(
    device: str,
    vid: int | None = None,
    pid: int | None = None,
    *,
    description: str = "n/a",
    serial_number: str | None = None,
    manufacturer: str | None = None,
) -> ListPortInfo:
    """A real pyserial ListPortInfo, filled in the way comports() fills it."""
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid = vid
    info.pid = pid
    info.serial_number = serial_number
    info.manufacturer = manufacturer
    if vid is not None:
        info.product = description
        info.apply_usb_info()
    else:
        info.description = description
    return info


# -- recognise ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("vid", "vendor"),
    [
        (0x2FB8, "PAX"),
        (0x11CA, "Verifone"),
        (0x0B00, "Ingenico"),
        (0x079B, "Sagem/Ingenico"),
        (0x1EAB, "Newland"),
        (0x0CA6, "Castles"),
    ],
)
def test_terminal_vendors_are_recognised_whatever_the_product_id(vid, vendor):
    for pid in (0x0001, 0x1234, 0xFFFF, None):
        assert recognise(vid, pid) == (vendor, TERMINAL)


@pytest.mark.parametrize(
    ("vid", "pid", "vendor"),
    [
        (0x1A86, 0x7523, "WCH CH340"),
        (0x1A86, 0x7522, "WCH CH340"),
        (0x1A86, 0x5523, "WCH CH341"),
        (0x10C4, 0xEA60, "Silicon Labs CP210x"),
        (0x10C4, 0xEA61, "Silicon Labs CP210x"),
        (0x10C4, 0xEA63, "Silicon Labs CP210x"),
        (0x10C4, 0xEA70, "Silicon Labs CP210x"),
        (0x10C4, 0xEA71, "Silicon Labs CP210x"),
        (0x0403, 0x6001, "FTDI"),
        (0x0403, 0x6010, "FTDI"),
        (0x0403, 0x6011, "FTDI"),
        (0x0403, 0x6014, "FTDI"),
        (0x0403, 0x6015, "FTDI"),
        (0x067B, 0x2303, "Prolific PL2303"),
        (0x067B, 0x23A3, "Prolific PL2303"),
    ],
)
def test_bridges_are_recognised_by_vid_and_pid(vid, pid, vendor):
    assert recognise(vid, pid) == (vendor, BRIDGE)


def test_bridge_vendor_with_another_product_is_unknown():
    assert recognise(0x1A86, 0x0001) == (None, UNKNOWN)
    assert recognise(0x0403, 0x6000) == (None, UNKNOWN)
    assert recognise(0x10C4, None) == (None, UNKNOWN)


@pytest.mark.parametrize(
    ("vid", "pid"),
    [(0x1234, 0x5678), (0x8087, 0x0AAA), (None, None), (None, 0x7523)],
)
def test_unknown_ids(vid, pid):
    assert recognise(vid, pid) == (None, UNKNOWN)


@pytest.mark.parametrize(
    ("vid", "pid", "expected"),
    [
        ("2fb8", "0001", ("PAX", TERMINAL)),
        ("2FB8", "0001", ("PAX", TERMINAL)),
        ("0x2Fb8", 1, ("PAX", TERMINAL)),
        ("1a86", "7523", ("WCH CH340", BRIDGE)),
        ("1A86", "7523", ("WCH CH340", BRIDGE)),
        ("10c4", "ea60", ("Silicon Labs CP210x", BRIDGE)),
        ("10C4", "Ea60", ("Silicon Labs CP210x", BRIDGE)),
        ("0X067B", "0x23a3", ("Prolific PL2303", BRIDGE)),
        (" 0403 ", "6001", ("FTDI", BRIDGE)),
    ],
)
def test_hex_strings_are_accepted_in_any_case(vid, pid, expected):
    assert recognise(vid, pid) == expected


@pytest.mark.parametrize("bad", ["", "xyz", "12345", "0x", "-1", 0x10000, -1, True, 1.5])
def test_invalid_ids_are_refused(bad):
    with pytest.raises(ValueError):
        recognise(bad, 0x0001)


# -- port_info_from ---------------------------------------------------------------


def test_port_info_from_a_terminal():
    raw = make_port("/dev/ttyACM0", 0x2FB8, 0x0001, description="A920", serial_number="1170123456", manufacturer="PAX")
    info = port_info_from(raw)
    assert info == PortInfo(
        device="/dev/ttyACM0",
        description="A920",
        hwid="USB VID:PID=2FB8:0001 SER=1170123456",
        vid=0x2FB8,
        pid=0x0001,
        serial_number="1170123456",
        manufacturer="PAX",
        vendor="PAX",
        kind=TERMINAL,
    )
    assert info.usb_id == "2FB8:0001"
    assert info.label == "/dev/ttyACM0 - PAX terminal (2FB8:0001)"


def test_port_info_from_a_bridge():
    info = port_info_from(make_port("COM7", 0x1A86, 0x7523, description="USB-SERIAL CH340"))
    assert (info.vendor, info.kind) == ("WCH CH340", BRIDGE)
    assert info.label == "COM7 - USB-serial adapter (WCH CH340) (1A86:7523)"


def test_port_info_from_a_non_usb_port():
    info = port_info_from(make_port("/dev/ttyS0", description="ttyS0"))
    assert (info.vid, info.pid, info.vendor, info.kind) == (None, None, None, UNKNOWN)
    assert info.usb_id is None
    assert info.label == "/dev/ttyS0 - ttyS0"


def test_port_info_from_an_unknown_usb_device():
    info = port_info_from(make_port("/dev/ttyUSB3", 0x1234, 0x5678, description="Widget"))
    assert (info.vendor, info.kind) == (None, UNKNOWN)
    assert info.label == "/dev/ttyUSB3 - Widget (1234:5678)"


def test_port_info_is_frozen():
    info = port_info_from(make_port("/dev/ttyUSB0", 0x0403, 0x6001))
    with pytest.raises(AttributeError):
        info.device = "/dev/ttyUSB1"  # type: ignore[misc]


# -- list_ports ----------------------------------------------------------------------

MIXED = [
    ("/dev/ttyUSB10", 0x0403, 0x6001),  # bridge
    ("/dev/ttyS0", None, None),  # unknown
    ("/dev/ttyACM1", 0x11CA, 0x0219),  # terminal
    ("/dev/ttyUSB2", 0x1A86, 0x7523),  # bridge
    ("/dev/ttyACM0", 0x2FB8, 0x0001),  # terminal
    ("/dev/ttyUSB0", 0x1234, 0x5678),  # unknown USB
]


@pytest.fixture
def fake_comports(monkeypatch):
    def install(entries):
        raws = [make_port(dev, vid, pid) for dev, vid, pid in entries]
        monkeypatch.setattr(list_ports, "comports", lambda *args, **kwargs: list(raws))

    return install


def test_list_ports_sorts_terminals_then_bridges_then_others(fake_comports):
    fake_comports(MIXED)
    found = ports.list_ports()
    assert [p.device for p in found] == [
        "/dev/ttyACM0",
        "/dev/ttyACM1",
        "/dev/ttyUSB2",
        "/dev/ttyUSB10",
        "/dev/ttyS0",
        "/dev/ttyUSB0",
    ]
    assert [p.kind for p in found] == [TERMINAL, TERMINAL, BRIDGE, BRIDGE, UNKNOWN, UNKNOWN]


def test_list_ports_can_leave_out_unknown_devices(fake_comports):
    fake_comports(MIXED)
    found = ports.list_ports(include_unknown=False)
    assert [p.device for p in found] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB2", "/dev/ttyUSB10"]


def test_list_ports_windows_names_sort_naturally(fake_comports):
    fake_comports([("COM10", 0x10C4, 0xEA60), ("COM3", None, None), ("COM2", 0x10C4, 0xEA60)])
    assert [p.device for p in ports.list_ports()] == ["COM2", "COM10", "COM3"]


def test_list_ports_with_nothing_plugged_in(fake_comports):
    fake_comports([])
    assert ports.list_ports() == []


def test_list_ports_on_this_machine_does_not_fail():
    found = ports.list_ports()
    assert all(isinstance(p, PortInfo) for p in found)
    assert found == ports.sorted_ports(found)
    assert not any(p.device.startswith("/dev/pts/") for p in found)
