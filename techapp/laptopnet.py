"""The laptop's network for a terminal port: what the CLI and the GUI hand to the network checks.

For a ``sim://SCENARIO`` port it is the simulated world's network as the
laptop would see it (a :class:`~techapp.netcheck.MappedDialer`): which
addresses answer and how, nothing about the terminal. For any other port it
is the real network when ``real_network`` is set (on site), else loopback
only. Kept apart from :mod:`techapp.netcheck`, which must never import the
simulator.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from .netcheck import Dialer, MappedDialer, default_dialer


def laptop_dialer(port: str, *, real_network: bool = False) -> Dialer:
    """The laptop's network for ``port``: the simulated world's map for ``sim://`` ports, else the real one."""
    if port.startswith("sim://"):
        from drivers.sim.server import terminal_for
        from drivers.urlhandler.protocol_sim import parse_sim_url

        name, _ = parse_sim_url(port)
        return MappedDialer.from_dict(terminal_for(name).world.laptop_netmap())
    return default_dialer(real_network=real_network)


@contextlib.contextmanager
def trusted_ca(pem: str | None) -> Iterator[str | None]:
    """The acquirer CA of a network map as a temporary PEM file for ssl (removed afterwards), or None."""
    if not pem:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="techapp-ca-") as tmp:
        path = os.path.join(tmp, "acquirer-ca.pem")
        with open(path, "w", encoding="ascii") as out:
            out.write(pem)
        yield path
