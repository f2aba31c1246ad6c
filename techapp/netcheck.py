"""The laptop's side of the network evidence: interfaces, routes, DNS, TCP and TLS.

Everything here is typed (dataclasses with ``to_dict()`` for JSON) and every
check returns a result instead of raising: an ``outcome`` string, timings in
milliseconds and a human ``detail``. Outcomes:

``ok``, ``not-allowed`` (refused by the dialer's policy; nothing was sent),
``dns-failure`` (the name does not resolve), ``dns-unavailable`` (no DNS server
answered), ``refused``, ``timeout``, ``reset``, ``unreachable`` (no route to the
host or network), ``closed`` (the peer closed the connection during the TLS
handshake), ``tls-failure`` (any other TLS error: protocol version, no shared
cipher, not TLS at all), ``cert-expired``, ``cert-not-yet-valid``,
``cert-unknown-ca``, ``cert-name-mismatch``, ``cert-invalid`` (another
verification failure), ``error`` (anything else, with the OS error in the
detail).

The dialer seam
---------------
No check opens a socket or resolves a name itself: all of it goes through a
:class:`Dialer`. Two exist:

* :class:`SystemDialer` uses the real network. With ``loopback_only=True``
  it refuses, before any system call, every address outside 127.0.0.0/8 and
  ``::1`` and every name but ``localhost`` (answered as 127.0.0.1 and ::1
  without asking a resolver), raising :class:`NotAllowed`.
* :class:`MappedDialer` is the simulated world's network as the laptop sees
  it: names and ``address:port`` pairs are mapped either to a real server
  on loopback or to a failure. It never dials anything but loopback: a route
  to any other address is refused when the map is built.

:func:`default_dialer` picks one from the environment: ``TECHAPP_NETMAP=path``
gives a :class:`MappedDialer` loaded from that file, otherwise a
:class:`SystemDialer` that is loopback-only when ``TECHAPP_LOOPBACK_ONLY=1``.

The network map (``TECHAPP_NETMAP``)
------------------------------------
A JSON object::

    {
      "names": {
        "acquirer.example": "10.20.30.40",
        "backup.example": ["10.20.30.41", "10.20.30.42"],
        "gone.example": "dns-failure",
        "slow-dns.example": "dns-unavailable"
      },
      "routes": {
        "10.20.30.40:5000": {"to": "127.0.0.1:40123", "latency_ms": 40},
        "10.20.30.41:5000": {"fail": "refused"},
        "[2001:db8::1]:5000": {"fail": "timeout", "latency_ms": 0}
      },
      "default": "timeout"
    }

``names``
    DNS name -> an IP address, a list of them, ``"dns-failure"`` (the name
    does not exist) or ``"dns-unavailable"`` (no DNS server answers). A name
    not listed does not resolve; ``localhost`` resolves to 127.0.0.1 unless
    listed; an IP literal resolves to itself.
``routes``
    ``address:port`` (IPv6 in brackets) -> either ``{"to": "127.0.0.1:PORT"}``
    (a real server on loopback; only loopback targets are accepted) or
    ``{"fail": MODE}`` with MODE one of ``refused``, ``timeout``, ``reset``,
    ``unreachable``. ``latency_ms`` (optional, default 0) is added once to
    every connection attempt; a latency at or above the caller's timeout is a
    timeout.
``default``
    The failure mode of every ``address:port`` not in ``routes`` (default
    ``timeout``).

A ``timeout`` waits for the caller's timeout (at most ``max_wait_s``, 30 s)
and raises :class:`TimeoutError`; ``refused``, ``reset`` and ``unreachable``
raise :class:`ConnectionRefusedError`, :class:`ConnectionResetError` and
:class:`OSError` (``EHOSTUNREACH``) like the real network does, after the
route's latency. Only the connect is delayed; later reads and writes go to
the loopback server at loopback speed.

``ca_pem`` (optional) is the acquirer's CA certificate the laptop trusts for
TLS hosts, as a technician would have it installed.

The ISO 8583 echo test (0820/301) is in :mod:`techapp.hostcheck` and takes the
same dialer.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import ssl
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from drivers.safeio import InputFileError, loads_json, read_text
from drivers.timescale import hopeless_wait

FAIL_MODES = ("refused", "timeout", "reset", "unreachable")
NAME_FAILURES = ("dns-failure", "dns-unavailable")


# -- results ------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


class _Result:
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload]


class _Judged(_Result):
    """A check's result: ``ok`` when its outcome is "ok"."""

    outcome: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class Interface(_Result):
    name: str
    is_up: bool
    is_loopback: bool
    ipv4: list[str]
    #: global and unique-local IPv6 addresses; link-local ones (fe80::/10) only set ``ipv6_link_local``
    ipv6: list[str]
    ipv6_link_local: bool
    mac: str | None
    mtu: int | None
    speed_mbps: int | None  # None when the OS does not say (psutil reports 0)

    @property
    def has_routable_address(self) -> bool:
        """An address that is neither loopback nor link-local (169.254/16 is what a failed DHCP leaves)."""
        for text in self.ipv4 + self.ipv6:
            ip = _ip(text)
            if ip is not None and not ip.is_loopback and not ip.is_link_local:
                return True
        return False


@dataclass(frozen=True)
class LocalNetwork(_Result):
    taken_at: datetime
    interfaces: list[Interface]
    #: some interface other than loopback is up (a link, not necessarily an address)
    any_non_loopback_up: bool
    #: some interface other than loopback is up and has an address that is not link-local
    any_routable_address: bool
    #: a default route exists (IPv4 or IPv6); None where the route table cannot be read (not Linux)
    default_route: bool | None
    default_route_interfaces: list[str]

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)


@dataclass(frozen=True)
class DnsResult(_Judged):
    name: str
    outcome: str
    addresses: list[str]
    elapsed_ms: float
    detail: str


@dataclass(frozen=True)
class TcpResult(_Judged):
    host: str
    port: int
    outcome: str
    #: time to connect; None unless ok
    connect_ms: float | None
    #: time spent in total, also on failure (how long a timeout really took)
    elapsed_ms: float
    detail: str


@dataclass(frozen=True)
class Certificate(_Result):
    subject: str
    common_name: str | None
    issuer: str
    issuer_common_name: str | None
    serial: str
    not_before: datetime
    not_after: datetime
    dns_names: list[str]
    ip_addresses: list[str]
    self_signed: bool
    sha256: str

    def valid_at(self, when: datetime) -> bool:
        return self.not_before <= when <= self.not_after


@dataclass(frozen=True)
class TlsResult(_Judged):
    host: str
    port: int
    server_name: str
    #: what this laptop's TLS stack concluded (it judges validity with the system clock)
    outcome: str
    connect_ms: float | None
    handshake_ms: float | None
    elapsed_ms: float
    protocol: str | None
    cipher: str | None
    #: the peer's certificate; also present when verification failed (fetched without verification)
    certificate: Certificate | None
    #: the clock the certificate's validity was judged at (``now``, else the system clock), UTC
    clock: datetime
    #: the certificate is within notBefore..notAfter at ``clock``; None without a certificate
    valid_at_clock: bool | None
    #: every problem seen with the certificate: the TLS stack's, and the clock and name checks made here
    problems: list[str]
    detail: str


@dataclass(frozen=True)
class HostCheck(_Judged):
    host: str
    port: int
    tls_requested: bool
    outcome: str
    #: "dns", "tcp" or "tls" where it failed; None when ok
    failed_stage: str | None
    #: None when ``host`` is an IP address
    dns: DnsResult | None
    #: one attempt per resolved address, in order, up to the first that connects
    tcp: list[TcpResult]
    tls: TlsResult | None
    detail: str


# -- addresses ----------------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def is_ip_address(text: str) -> bool:
    return _ip(text) is not None


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.x.x); False for names."""
    ip = _ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _parse_hostport(text: str) -> tuple[str, int]:
    """``"10.0.0.1:80"`` / ``"[::1]:80"`` -> (address, port); ValueError otherwise."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not address:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, as [::1]:80")
    ip = _ip(host)
    if ip is None:
        raise ValueError(f"{text!r}: {host!r} is not an IP address")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r}: the port must be 1..65535")
    return str(ip), int(port_text)


def _normal_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


# -- local interfaces and routes -------------------------------------------------------

_RTF_UP = 0x0001
_RTF_REJECT = 0x0200


def read_default_routes(proc_net: Path) -> list[str] | None:
    """Interfaces with a usable default route in a Linux ``/proc/net`` directory; None if unreadable.

    IPv4 from ``route`` (destination and mask 00000000), IPv6 from
    ``ipv6_route`` (::/0); routes that are down or of reject type (the
    kernel's "unreachable" default on ``lo``) do not count.
    """
    found: list[str] = []
    readable = False
    try:
        lines = (proc_net / "route").read_text(encoding="ascii", errors="replace").splitlines()
        readable = True
    except OSError:
        lines = []
    for line in lines[1:]:
        cols = line.split()
        if len(cols) < 8:
            continue
        iface, dest, flags, mask = cols[0], cols[1], cols[3], cols[7]
        try:
            bits = int(flags, 16)
        except ValueError:
            continue
        if dest == "00000000" and mask == "00000000" and bits & _RTF_UP and not bits & _RTF_REJECT:
            found.append(iface)
    try:
        lines = (proc_net / "ipv6_route").read_text(encoding="ascii", errors="replace").splitlines()
        readable = True
    except OSError:
        lines = []
    for line in lines:
        cols = line.split()
        if len(cols) < 10:
            continue
        dest, plen, flags, iface = cols[0], cols[1], cols[8], cols[9]
        try:
            bits = int(flags, 16)
        except ValueError:
            continue
        if set(dest) == {"0"} and plen == "00" and bits & _RTF_UP and not bits & _RTF_REJECT and iface != "lo":
            found.append(iface)
    if not readable:
        return None
    return list(dict.fromkeys(found))


def local_network(*, proc_net: Path | None = None) -> LocalNetwork:
    """Interfaces (psutil) and, on Linux, whether a default route exists.

    ``proc_net`` overrides ``/proc/net`` (tests); elsewhere than Linux, and
    without it, the route is unknown (None): psutil does not read routes.
    """
    import psutil  # here, not at the top: a diagnosis over a pty starts its link without it (docs/performance.md)

    stats = psutil.net_if_stats()
    addrs = psutil.net_if_addrs()
    interfaces: list[Interface] = []
    for name in sorted(set(stats) | set(addrs)):
        st = stats.get(name)
        ipv4: list[str] = []
        ipv6: list[str] = []
        link_local6 = False
        mac = None
        for a in addrs.get(name, []):
            if a.family == socket.AF_INET:
                ipv4.append(a.address)
            elif a.family == socket.AF_INET6:
                ip = _ip(a.address)
                if ip is not None and ip.is_link_local:
                    link_local6 = True
                else:
                    ipv6.append(a.address)
            elif a.family == psutil.AF_LINK:
                mac = a.address
        flags = set(str(getattr(st, "flags", "")).split(",")) if st is not None else set()
        if "loopback" in flags:
            loop = True
        else:
            loop = bool(ipv4 or ipv6) and all(is_loopback(x) for x in ipv4 + ipv6)
        interfaces.append(
            Interface(
                name=name,
                is_up=bool(st.isup) if st is not None else False,
                is_loopback=loop,
                ipv4=ipv4,
                ipv6=ipv6,
                ipv6_link_local=link_local6,
                mac=mac,
                mtu=st.mtu if st is not None and st.mtu else None,
                speed_mbps=st.speed if st is not None and st.speed else None,
            )
        )
    if proc_net is None and sys.platform.startswith("linux"):
        proc_net = Path("/proc/net")
    routes = read_default_routes(proc_net) if proc_net is not None else None
    others = [i for i in interfaces if i.is_up and not i.is_loopback]
    return LocalNetwork(
        taken_at=datetime.now(UTC),
        interfaces=interfaces,
        any_non_loopback_up=bool(others),
        any_routable_address=any(i.has_routable_address for i in others),
        default_route=None if routes is None else bool(routes),
        default_route_interfaces=routes or [],
    )


# -- dialers ------------------------------------------------------------------------


class NotAllowed(Exception):
    """The dialer's policy forbids this address or name; nothing was sent.

    Deliberately not an :class:`OSError`, so that code catching network
    errors cannot mistake a policy refusal for a network failure.
    """

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


class NetmapError(ValueError):
    """A network map that cannot be used; the message names the file and entry."""


@runtime_checkable
class Dialer(Protocol):
    """All the network access of the checks: name resolution and TCP connect."""

    def resolve(self, name: str) -> list[str]:
        """Addresses of ``name`` in order; raises :class:`socket.gaierror` or :class:`NotAllowed`."""
        ...

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connected socket (timeout mode, ``timeout``); raises :class:`OSError` or :class:`NotAllowed`."""
        ...


def _dial_loopback(address: str, port: int, timeout: float | None) -> socket.socket:
    """The only place a :class:`MappedDialer` opens a socket: it re-checks the address first."""
    if not is_loopback(address):
        raise NotAllowed(address, "the simulated network dials loopback only")
    return _dial(address, port, timeout)


def _dial(address: str, port: int, timeout: float | None) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _connect_any(addresses: Iterable[str], port: int, timeout: float | None, dial) -> socket.socket:
    """Try each address in turn like :func:`socket.create_connection`; the last error if none answers."""
    error: BaseException | None = None
    for address in addresses:
        try:
            return dial(address, port, timeout)
        except OSError as err:
            error = err
    if error is None:
        raise socket.gaierror(socket.EAI_NONAME, "no address to connect to")
    raise error


class SystemDialer:
    """The real network; with ``loopback_only`` nothing but loopback is resolved or dialled."""

    def __init__(self, loopback_only: bool) -> None:
        self.loopback_only = loopback_only

    def __repr__(self) -> str:
        return f"SystemDialer(loopback_only={self.loopback_only})"

    def resolve(self, name: str) -> list[str]:
        if is_ip_address(name):
            return [name]  # a literal needs no lookup: nothing is sent
        if self.loopback_only:
            if _normal_name(name) == "localhost":
                return ["127.0.0.1", "::1"]  # answered here (RFC 6761), never asked of a resolver
            raise NotAllowed(name, "loopback-only: only 'localhost' may be resolved")
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        addresses = self.resolve(host)
        if self.loopback_only:
            for address in addresses:
                if not is_loopback(address):
                    raise NotAllowed(address, "loopback-only: not a loopback address (127.0.0.0/8, ::1)")
        return _connect_any(addresses, port, timeout, _dial)


@dataclass(frozen=True)
class Route:
    """Where a simulated ``address:port`` goes: a real loopback server, or a failure."""

    to: tuple[str, int] | None = None
    fail: str | None = None
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        if (self.to is None) == (self.fail is None):
            raise ValueError("a route has either 'to' or 'fail'")
        if self.fail is not None and self.fail not in FAIL_MODES:
            raise ValueError(f"unknown failure {self.fail!r}; one of {', '.join(FAIL_MODES)}")
        if self.to is not None and not is_loopback(self.to[0]):
            raise ValueError(
                f"'to' {_hostport(*self.to)} is not a loopback address; the simulated network dials only "
                "127.0.0.0/8 and ::1"
            )
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


def _route(value: Route | tuple[str, int] | str) -> Route:
    if isinstance(value, Route):
        return value
    if isinstance(value, str):
        return Route(fail=value)
    address, port = value
    return Route(to=(str(address), int(port)))


def _timeout_error(target: str, seconds: float | None) -> TimeoutError:
    return TimeoutError(errno.ETIMEDOUT, f"connection to {target} timed out after {seconds} s (simulated)")


class MappedDialer:
    """The simulated world's network as the laptop sees it; only loopback is ever dialled.

    ``mapping``: ``"address:port"`` -> :class:`Route`, ``("127.0.0.1", port)``
    or a failure mode; ``names``: DNS name -> address, list of addresses, or
    ``"dns-failure"`` / ``"dns-unavailable"``. See the module docstring.
    """

    def __init__(
        self,
        mapping: Mapping[str, Route | tuple[str, int] | str],
        names: Mapping[str, str | list[str]] | None = None,
        *,
        default: str = "timeout",
        max_wait_s: float = 30.0,
    ) -> None:
        if default not in FAIL_MODES:
            raise ValueError(f"default must be one of {', '.join(FAIL_MODES)}, got {default!r}")
        self.default = default
        self.max_wait_s = max_wait_s
        self.ca_pem: str | None = None  # the acquirer CA the laptop trusts, when the map carries one
        self.routes: dict[tuple[str, int], Route] = {}
        for key, value in mapping.items():
            try:
                self.routes[_parse_hostport(key)] = _route(value)
            except ValueError as err:
                raise NetmapError(f"route {key!r}: {err}") from None
        self.names: dict[str, list[str] | str] = {}
        for name, value in (names or {}).items():
            self.names[_normal_name(name)] = self._name_value(name, value)

    @staticmethod
    def _name_value(name: str, value: str | list[str]) -> list[str] | str:
        if isinstance(value, str) and value in NAME_FAILURES:
            return value
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            raise NetmapError(f"name {name!r}: expected an address, a list of addresses or one of {NAME_FAILURES}")
        out = []
        for v in values:
            ip = _ip(v) if isinstance(v, str) else None
            if ip is None:
                raise NetmapError(f"name {name!r}: {v!r} is not an IP address (nor one of {', '.join(NAME_FAILURES)})")
            out.append(str(ip))
        return out

    def __repr__(self) -> str:
        return f"MappedDialer({len(self.routes)} routes, {len(self.names)} names, default={self.default!r})"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MappedDialer:
        """Load a network map (format in the module docstring); :class:`NetmapError` names what is wrong."""
        path = Path(path)
        try:  # a regular file of bounded size; repeated keys, deep nesting and huge integers are errors
            doc = loads_json(read_text(path, what="network map"), what=str(path))
        except InputFileError as err:
            raise NetmapError(str(err)) from None
        try:
            return cls.from_dict(doc)
        except NetmapError as err:
            raise NetmapError(f"{path}: {err}") from None

    @classmethod
    def from_dict(cls, doc: Any) -> MappedDialer:
        if not isinstance(doc, dict):
            raise NetmapError("a network map is a JSON object")
        unknown = set(doc) - {"names", "routes", "default", "ca_pem"}
        if unknown:
            raise NetmapError(f"unknown keys {sorted(unknown)}; expected names, routes, default, ca_pem")
        ca_pem = doc.get("ca_pem")
        if ca_pem is not None and not (isinstance(ca_pem, str) and "BEGIN CERTIFICATE" in ca_pem):
            raise NetmapError("'ca_pem' must be a PEM certificate (the acquirer's CA the laptop trusts)")
        names = doc.get("names", {})
        routes_doc = doc.get("routes", {})
        if not isinstance(names, dict) or not isinstance(routes_doc, dict):
            raise NetmapError("'names' and 'routes' are JSON objects")
        routes: dict[str, Route] = {}
        for key, spec in routes_doc.items():
            where = f"routes[{key!r}]"
            if not isinstance(spec, dict):
                raise NetmapError(f'{where}: expected {{"to": "127.0.0.1:PORT"}} or {{"fail": MODE}}')
            extra = set(spec) - {"to", "fail", "latency_ms"}
            if extra:
                raise NetmapError(f"{where}: unknown keys {sorted(extra)}; expected to, fail, latency_ms")
            latency = spec.get("latency_ms", 0)
            if isinstance(latency, bool) or not isinstance(latency, int | float):
                raise NetmapError(f"{where}: latency_ms must be a number, got {latency!r}")
            to = spec.get("to")
            try:
                target = _parse_hostport(to) if isinstance(to, str) else None
                if to is not None and target is None:
                    raise ValueError(f"'to' must be a string address:port, got {to!r}")
                routes[key] = Route(to=target, fail=spec.get("fail"), latency_ms=float(latency))
            except ValueError as err:
                raise NetmapError(f"{where}: {err}") from None
        default = doc.get("default", "timeout")
        if default not in FAIL_MODES:
            raise NetmapError(f"default must be one of {', '.join(FAIL_MODES)}, got {default!r}")
        dialer = cls(routes, names, default=default)
        dialer.ca_pem = ca_pem
        return dialer

    def resolve(self, name: str) -> list[str]:
        if is_ip_address(name):
            return [name]
        key = _normal_name(name)
        value = self.names.get(key)
        if value is None and key == "localhost":
            return ["127.0.0.1"]
        if value == "dns-unavailable":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution (simulated)")
        if value is None or value == "dns-failure":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (simulated)")
        assert isinstance(value, list)
        return list(value)

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        return _connect_any(self.resolve(host), port, timeout, self._connect_address)

    def _connect_address(self, address: str, port: int, timeout: float | None) -> socket.socket:
        ip = _ip(address)
        key = (str(ip) if ip is not None else address, port)
        route = self.routes.get(key, Route(fail=self.default))
        target = _hostport(*key)
        wait = self.max_wait_s if timeout is None else min(timeout, self.max_wait_s)
        latency = route.latency_ms / 1000
        if route.fail == "timeout" or latency >= wait:
            time.sleep(hopeless_wait(wait))  # nothing can answer: scaled for tests (drivers/timescale.py)
            raise _timeout_error(target, wait)
        time.sleep(latency)
        if route.fail == "refused":
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"Connection refused by {target} (simulated)")
        if route.fail == "reset":
            raise ConnectionResetError(errno.ECONNRESET, f"Connection reset by {target} (simulated)")
        if route.fail == "unreachable":
            raise OSError(errno.EHOSTUNREACH, f"No route to host {target} (simulated)")
        assert route.to is not None
        remaining = None if timeout is None else max(timeout - latency, 0.001)
        return _dial_loopback(route.to[0], route.to[1], remaining)


def default_dialer(environ: Mapping[str, str] | None = None, *, real_network: bool = False) -> Dialer:
    """``TECHAPP_NETMAP`` -> :class:`MappedDialer`; else a :class:`SystemDialer`.

    The real network is used only when asked for (``real_network=True``, the
    CLI's ``--real-network``, on site); otherwise, and always when
    ``TECHAPP_LOOPBACK_ONLY=1``, the laptop's checks stay on loopback.
    """
    env = os.environ if environ is None else environ
    netmap = env.get("TECHAPP_NETMAP")
    if netmap:
        return MappedDialer.from_file(netmap)
    return SystemDialer(loopback_only=not real_network or env.get("TECHAPP_LOOPBACK_ONLY") == "1")


# -- classifying failures -------------------------------------------------------------

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, getattr(errno, "EHOSTDOWN", -1)}

# OpenSSL X509_V_ERR_* codes
_VERIFY_OUTCOMES = {
    2: "cert-unknown-ca",  # unable to get issuer certificate
    9: "cert-not-yet-valid",
    10: "cert-expired",
    18: "cert-unknown-ca",  # self-signed leaf
    19: "cert-unknown-ca",  # self-signed certificate in chain
    20: "cert-unknown-ca",  # unable to get local issuer certificate
    21: "cert-unknown-ca",  # unable to verify the first certificate
    27: "cert-unknown-ca",  # certificate not trusted
    62: "cert-name-mismatch",  # hostname mismatch
    64: "cert-name-mismatch",  # IP address mismatch
}


def _classify(err: BaseException, target: str, timeout: float | None = None) -> tuple[str, str]:
    """(outcome, detail) for an exception from resolving, connecting or a TLS handshake."""
    if isinstance(err, NotAllowed):
        return "not-allowed", f"not allowed: {err.target}: {err.reason} (nothing was sent)"
    if isinstance(err, socket.gaierror):
        if err.errno == socket.EAI_AGAIN:
            return "dns-unavailable", f"no DNS server answered for {target} ({err.strerror or err})"
        return "dns-failure", f"{target} does not resolve ({err.strerror or err})"
    if isinstance(err, ssl.SSLCertVerificationError):
        outcome = _VERIFY_OUTCOMES.get(err.verify_code, "cert-invalid")
        return outcome, f"certificate rejected by {target}: {err.verify_message}"
    if isinstance(err, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return "closed", f"{target} closed the connection during the TLS handshake"
    if isinstance(err, ssl.SSLError):
        return "tls-failure", f"TLS with {target} failed: {err.reason or err}"
    if isinstance(err, TimeoutError):
        after = f" within {timeout:g} s" if timeout is not None else ""
        return "timeout", f"no answer from {target}{after}"
    if isinstance(err, ConnectionRefusedError):
        return "refused", f"{target} refused the connection"
    if isinstance(err, ConnectionResetError | ConnectionAbortedError):
        return "reset", f"{target} reset the connection"
    if isinstance(err, BrokenPipeError):
        return "closed", f"{target} closed the connection"
    if isinstance(err, OSError) and err.errno in _UNREACHABLE:
        return "unreachable", f"no route to {target} ({err.strerror or err})"
    if isinstance(err, OSError):
        return "error", f"{target}: {err.strerror or err}"
    raise err


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


# -- checks -------------------------------------------------------------------------


def dns_lookup(name: str, dialer: Dialer) -> DnsResult:
    """Resolve ``name`` through ``dialer``."""
    start = time.perf_counter()
    try:
        addresses = dialer.resolve(name)
    except (OSError, NotAllowed) as err:
        outcome, detail = _classify(err, name)
        return DnsResult(name, outcome, [], _ms(start), detail)
    elapsed = _ms(start)
    return DnsResult(name, "ok", addresses, elapsed, f"{name} -> {', '.join(addresses)} in {elapsed:.1f} ms")


def tcp_connect(host: str, port: int, dialer: Dialer, timeout: float) -> TcpResult:
    """Connect and close; ``connect_ms`` is the time the connect took (includes resolving a name)."""
    target = _hostport(host, port)
    start = time.perf_counter()
    try:
        sock = dialer.connect(host, port, timeout)
    except (OSError, NotAllowed) as err:
        outcome, detail = _classify(err, target, timeout)
        return TcpResult(host, port, outcome, None, _ms(start), detail)
    latency = _ms(start)
    sock.close()
    return TcpResult(host, port, "ok", latency, latency, f"connected to {target} in {latency:.1f} ms")


def _first(name: Any, oid: Any) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def parse_certificate(der: bytes) -> Certificate:
    # cryptography only when a certificate is read (a TLS host): most diagnoses never load it
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID, NameOID

    cert = x509.load_der_x509_certificate(der)
    dns_names: list[str] = []
    ips: list[str] = []
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        pass
    else:
        dns_names = list(san.get_values_for_type(x509.DNSName))
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        common_name=_first(cert.subject, NameOID.COMMON_NAME),
        issuer=cert.issuer.rfc4514_string(),
        issuer_common_name=_first(cert.issuer, NameOID.COMMON_NAME),
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=dns_names,
        ip_addresses=ips,
        self_signed=cert.subject == cert.issuer,
        sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
    )


def name_matches(cert: Certificate, server_name: str) -> bool:
    """RFC 6125 in short: SAN DNS names (a wildcard covers one left-most label) or SAN IPs; CN only without SAN."""
    ip = _ip(server_name)
    if ip is not None:
        return any(_ip(x) == ip for x in cert.ip_addresses)
    name = _normal_name(server_name)
    patterns = cert.dns_names
    if not patterns and not cert.ip_addresses and cert.common_name:
        patterns = [cert.common_name]
    for pattern in (_normal_name(p) for p in patterns):
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name:
            label, rest = name.split(".", 1)
            if label and rest == pattern[2:]:
                return True
    return False


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cert_names(cert: Certificate) -> str:
    names = cert.dns_names + cert.ip_addresses
    if not names and cert.common_name:
        names = [cert.common_name]
    return ", ".join(names) or "no name"


def _client_context(cafile: str | os.PathLike[str] | None, verify: bool) -> ssl.SSLContext:
    if verify:
        return ssl.create_default_context(cafile=os.fspath(cafile)) if cafile else ssl.create_default_context()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@dataclass
class _Handshake:
    connect_ms: float | None = None
    handshake_ms: float | None = None
    protocol: str | None = None
    cipher: str | None = None
    der: bytes | None = None
    error: BaseException | None = None


def _handshake(
    host: str, port: int, dialer: Dialer, timeout: float, server_name: str, ctx: ssl.SSLContext
) -> _Handshake:
    result = _Handshake()
    deadline = time.perf_counter() + timeout
    start = time.perf_counter()
    try:
        sock = dialer.connect(host, port, timeout)
    except (OSError, NotAllowed) as err:
        result.error = err
        return result
    result.connect_ms = _ms(start)
    tls: ssl.SSLSocket | None = None
    try:
        sock.settimeout(max(deadline - time.perf_counter(), 0.001))
        tls = ctx.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=False)
        start = time.perf_counter()
        tls.do_handshake()
        result.handshake_ms = _ms(start)
        result.protocol = tls.version()
        cipher = tls.cipher()
        result.cipher = cipher[0] if cipher else None
        result.der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError) as err:  # SSLCertVerificationError is both
        result.error = err
    finally:
        if tls is not None:
            tls.close()
        sock.close()
    return result


def tls_handshake(
    host: str,
    port: int,
    dialer: Dialer,
    timeout: float,
    *,
    server_name: str | None = None,
    cafile: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> TlsResult:
    """Connect and complete a TLS handshake, verifying against ``cafile`` (else the system's CAs).

    ``server_name`` (SNI and the name checked; default ``host``) lets the
    connection go to an address while checking the host's name. When
    verification fails, a second handshake without verification fetches the
    certificate so the report can say why. ``outcome`` is the TLS stack's
    verdict, which uses the system clock; ``valid_at_clock`` judges the
    certificate at ``now`` (default: the system clock; pass the terminal's
    clock to ask whether the terminal would accept it). A naive ``now`` is
    taken as local time.
    """
    server_name = server_name or host
    clock = (now or datetime.now(UTC)).astimezone(UTC)
    target = _hostport(host, port)
    start = time.perf_counter()
    first = _handshake(host, port, dialer, timeout, server_name, _client_context(cafile, verify=True))
    outcome, detail = ("ok", "") if first.error is None else _classify(first.error, target, timeout)
    der = first.der
    if der is None and outcome.startswith("cert-"):
        second = _handshake(host, port, dialer, timeout, server_name, _client_context(None, verify=False))
        der = second.der
    cert = parse_certificate(der) if der else None

    problems: list[str] = []
    valid_at_clock: bool | None = None
    if cert is not None:
        valid_at_clock = cert.valid_at(clock)
        if clock > cert.not_after:
            problems.append(f"certificate expired on {_when(cert.not_after)} (clock {_when(clock)})")
        elif clock < cert.not_before:
            problems.append(f"certificate not yet valid until {_when(cert.not_before)} (clock {_when(clock)})")
        if outcome == "cert-unknown-ca":
            problems.append(f"issued by an unknown CA: {cert.issuer}")
        if not name_matches(cert, server_name):
            problems.append(f"name mismatch: the certificate is for {_cert_names(cert)}, not {server_name}")
        if outcome == "cert-expired":
            detail = f"certificate expired on {_when(cert.not_after)}"
        elif outcome == "cert-not-yet-valid":
            detail = f"certificate not yet valid until {_when(cert.not_before)}"
        elif outcome == "cert-unknown-ca":
            detail = f"certificate issued by an unknown CA: {cert.issuer}"
        elif outcome == "cert-name-mismatch":
            detail = f"name mismatch: the certificate is for {_cert_names(cert)}, not {server_name}"
    if outcome.startswith("cert-") and not problems and first.error is not None:
        problems.append(str(getattr(first.error, "verify_message", first.error)))
    if outcome == "ok":
        detail = f"{first.protocol} with {target} ({first.cipher}) in {first.handshake_ms:.1f} ms"
        if cert is not None:
            detail += f"; certificate for {_cert_names(cert)} from {cert.issuer_common_name or cert.issuer}"
            if not valid_at_clock:
                detail += f", but not valid at {_when(clock)}"
    return TlsResult(
        host=host,
        port=port,
        server_name=server_name,
        outcome=outcome,
        connect_ms=first.connect_ms,
        handshake_ms=first.handshake_ms,
        elapsed_ms=_ms(start),
        protocol=first.protocol,
        cipher=first.cipher,
        certificate=cert,
        clock=clock,
        valid_at_clock=valid_at_clock,
        problems=problems,
        detail=detail,
    )


def check_host(
    host: str,
    port: int,
    *,
    tls: bool,
    dialer: Dialer,
    timeout: float,
    cafile: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> HostCheck:
    """DNS (when ``host`` is a name), TCP to each address until one connects, then TLS to that address.

    The TLS handshake checks the certificate against ``host`` (the name the
    terminal is configured with), not the address. When no address
    connects, the outcome is the last attempt's (as :func:`socket.create_connection`).
    """
    dns: DnsResult | None = None
    if is_ip_address(host):
        addresses = [host]
    else:
        dns = dns_lookup(host, dialer)
        if not dns.ok:
            return HostCheck(host, port, tls, dns.outcome, "dns", dns, [], None, dns.detail)
        addresses = dns.addresses
        if not addresses:
            detail = f"{host} resolved to no address"
            return HostCheck(host, port, tls, "dns-failure", "dns", dns, [], None, detail)
    attempts: list[TcpResult] = []
    for address in addresses:
        attempts.append(tcp_connect(address, port, dialer, timeout))
        if attempts[-1].ok:
            break
    connected = attempts[-1]
    if not connected.ok:
        detail = "; ".join(a.detail for a in attempts)
        return HostCheck(host, port, tls, connected.outcome, "tcp", dns, attempts, None, detail)
    if not tls:
        return HostCheck(host, port, tls, "ok", None, dns, attempts, None, connected.detail)
    result = tls_handshake(connected.host, port, dialer, timeout, server_name=host, cafile=cafile, now=now)
    return HostCheck(
        host, port, tls, result.outcome, None if result.ok else "tls", dns, attempts, result, result.detail
    )
