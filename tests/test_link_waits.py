"""The link waits on the port itself (a byte wakes it), not in 20 ms read slices, wherever it can.

:func:`drivers.framing.readable_waiter` picks how: the simulator's and ``sim://`` ports wait
with their own ``wait_readable``, a real serial device or pty and ``socket://`` with ``select``;
ports it cannot wait on (``loop://``, ``rfc2217://``: read by another thread) keep the slices.
"""

from __future__ import annotations

import threading

import pytest
import serial

from drivers.errors import Disconnected
from drivers.framing import FrameLink, encode_frame, readable_waiter
from drivers.sim.ports import cable
from drivers.transport import open_port


def test_a_real_pty_and_a_tcp_port_are_waited_on_with_select(pty_sim, tcp_sim):
    for url in (pty_sim().path, tcp_sim().url):
        port = open_port(url)
        try:
            wait = readable_waiter(port)
            assert wait is not None, url
            assert wait(0.05) is False  # the terminal says nothing until asked
        finally:
            port.close()


def test_sim_ports_wait_on_their_own_and_a_port_without_a_way_keeps_the_slices():
    port = open_port("sim://healthy?fresh")
    try:
        assert readable_waiter(port) == port.wait_readable
    finally:
        port.close()
    loop = serial.serial_for_url("loop://", timeout=0.02)
    try:
        assert readable_waiter(loop) is None
    finally:
        loop.close()


def test_a_wait_ends_with_the_bytes_and_a_pulled_cable_is_a_lost_link():
    laptop, terminal = cable()
    assert laptop.wait_readable(0.01) is False
    terminal.write(b"\x06")
    assert laptop.wait_readable(5) is True and laptop.read(1) == b"\x06"
    link = FrameLink(laptop)
    threading.Timer(0.05, terminal.write, args=(encode_frame(b"hello"),)).start()
    assert link.receive(5) == b"hello"
    terminal.close()
    with pytest.raises(Disconnected):
        link.receive(5)


def test_a_frame_over_a_real_pty_is_received_as_soon_as_it_is_sent(pty_sim, connect):
    """The real driver reads a terminal over a real pty with these waits (its port is waited on with select)."""
    server = pty_sim("healthy")
    driver = connect(server.path)
    assert driver.identity().serial_number == server.terminal.scenario.identity.serial_number
