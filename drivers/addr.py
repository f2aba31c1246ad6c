"""One address-and-port format everywhere: ``10.20.30.40:5000`` and ``[fd00::20]:7001``.

An IPv6 address holds colons, so a bare ``fd00::20:7001`` is ambiguous (the
port could be the address's last group). Every place that writes a host
address with its port (the simulator's network map, reports, evidence, the
window, log lines) writes it with :func:`hostport`; every place that reads one
back uses :func:`split_hostport`, which refuses the ambiguous form.
"""

from __future__ import annotations

import ipaddress


def is_ipv6(address: str) -> bool:
    """True for an IPv6 address literal (brackets allowed); False for IPv4 and names."""
    text = address.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text).version == 6
    except ValueError:
        return False


def hostport(address: str, port: int | str) -> str:
    """``address:port``, an IPv6 address in brackets (RFC 3986 §3.2.2): ``[fd00::20]:7001``."""
    if ":" in address and not address.startswith("["):
        return f"[{address}]:{port}"
    return f"{address}:{port}"


def split_hostport(text: str) -> tuple[str, int]:
    """``"10.0.0.1:80"`` / ``"[fd00::1]:80"`` / ``"name:80"`` -> (address, port); ValueError otherwise."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not address:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not is_ipv6(host):
            raise ValueError(f"{text!r}: only an IPv6 address goes in brackets")
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, as [fd00::20]:7001")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r}: the port must be 1..65535")
    return host, int(port_text)


def same_address(a: str, b: str) -> bool:
    """Two host addresses name the same host: IP literals compared as addresses (``fd00:0::20`` = ``fd00::20``)."""
    try:
        return ipaddress.ip_address(a.strip("[]")) == ipaddress.ip_address(b.strip("[]"))
    except ValueError:
        return a.strip().lower() == b.strip().lower()
