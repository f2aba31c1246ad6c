"""Laptop-side network checks, all on loopback.

An autouse guard replaces ``socket.socket.connect`` / ``connect_ex`` /
``sendto`` and the resolver functions for every test here: dialling or
resolving anything but loopback fails the test, whatever code does it.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from techapp.netcheck import (
    Dialer,
    MappedDialer,
    NetmapError,
    NotAllowed,
    Route,
    SystemDialer,
    check_host,
    default_dialer,
    dns_lookup,
    local_network,
    read_default_routes,
    tcp_connect,
    tls_handshake,
)

# -- the loopback guard -------------------------------------------------------------------


def _loopback_literal(host: object) -> bool:
    if not isinstance(host, str):
        return False
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass
class Dialled:
    """Every (family, address) any code tried to reach during the test."""

    attempts: list[tuple[str, object]]


@pytest.fixture(autouse=True)
def loopback_guard(monkeypatch: pytest.MonkeyPatch) -> Dialled:
    seen = Dialled([])
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        seen.attempts.append((sock.family.name, address))
        host = address[0] if isinstance(address, tuple) else address
        if not _loopback_literal(host):
            raise AssertionError(f"test tried to reach non-loopback {address!r}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        check(self, args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and host != "localhost" and not _loopback_literal(host):
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def refuse_resolver(host, *args, **kwargs):
        raise AssertionError(f"test tried to resolve {host!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, name, refuse_resolver)
    monkeypatch.setenv("TECHAPP_LOOPBACK_ONLY", "1")
    monkeypatch.delenv("TECHAPP_NETMAP", raising=False)
    return seen


def test_the_guard_itself_refuses_non_loopback(loopback_guard: Dialled) -> None:
    with socket.socket() as s, pytest.raises(AssertionError, match="non-loopback"):
        s.connect(("10.20.30.40", 5000))
    with pytest.raises(AssertionError, match="resolve"):
        socket.getaddrinfo("example.com", 80)


# -- loopback servers -----------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 that never accepts (the kernel completes connects)."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


def _port(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return _port(s)


class LoopbackServer:
    """Accepts on 127.0.0.1 in a thread and runs ``handle(conn)`` for each connection, one at a time."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = _port(self.listener)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"test-server-{self.port}")

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.listener.close()
        assert not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(2)
                try:
                    self.handle(conn)
                except OSError:
                    pass


def _drain(conn: socket.socket) -> None:
    while conn.recv(4096):
        pass


# -- local network --------------------------------------------------------------------------


def test_local_network_has_the_loopback_interface() -> None:
    net = local_network()
    loops = [i for i in net.interfaces if i.is_loopback]
    assert loops, net
    assert any("127.0.0.1" in i.ipv4 for i in loops)
    assert all(i.is_up for i in loops)
    doc = net.to_dict()
    json.dumps(doc)
    assert any(i["name"] == loops[0].name for i in doc["interfaces"])
    assert isinstance(net.any_non_loopback_up, bool)
    assert net.default_route in (True, False, None)


def test_link_local_ipv6_is_a_flag_not_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    # shaped like psutil's snicaddr / snicstats (not imported: their module moves between versions)
    addr = namedtuple("addr", "family address netmask broadcast ptp")
    stats = namedtuple("stats", "isup duplex speed mtu flags")
    monkeypatch.setattr(
        psutil,
        "net_if_stats",
        lambda: {
            "lo": stats(True, 0, 0, 65536, "up,loopback,running"),
            "eth9": stats(True, 0, 100, 1500, "up,broadcast,running"),
        },
    )
    monkeypatch.setattr(
        psutil,
        "net_if_addrs",
        lambda: {
            "lo": [addr(socket.AF_INET, "127.0.0.1", "255.0.0.0", None, None)],
            "eth9": [
                addr(socket.AF_INET, "169.254.10.20", "255.255.0.0", None, None),
                addr(socket.AF_INET6, "fe80::1%eth9", "ffff:ffff:ffff:ffff::", None, None),
            ],
        },
    )
    net = local_network(proc_net=Path("/nonexistent"))
    eth = net.interface("eth9")
    assert eth is not None and eth.ipv6 == [] and eth.ipv6_link_local and eth.speed_mbps == 100
    assert net.any_non_loopback_up is True
    assert net.any_routable_address is False  # a link, but DHCP gave nothing
    assert net.default_route is None  # no route table to read


def test_default_route_from_proc_net(tmp_path: Path) -> None:
    header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    (tmp_path / "route").write_text(
        header
        + "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        + "wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
    )
    assert read_default_routes(tmp_path) == ["wlan0"]

    (tmp_path / "route").write_text(header + "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    zeros = "0" * 32
    (tmp_path / "ipv6_route").write_text(
        # the kernel's reject default on lo does not count
        f"{zeros} 00 {zeros} 00 {zeros} ffffffff 00000001 00000000 00200200       lo\n"
    )
    assert read_default_routes(tmp_path) == []
    (tmp_path / "ipv6_route").write_text(
        f"{zeros} 00 {zeros} 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
    )
    assert read_default_routes(tmp_path) == ["eth0"]
    assert read_default_routes(tmp_path / "missing") is None


# -- dialers --------------------------------------------------------------------------------


def test_loopback_only_refuses_other_addresses_before_sending(loopback_guard: Dialled) -> None:
    dialer = SystemDialer(loopback_only=True)
    assert isinstance(dialer, Dialer)
    start = time.perf_counter()
    with pytest.raises(NotAllowed) as caught:
        dialer.connect("10.20.30.40", 5000, timeout=5)
    assert time.perf_counter() - start < 0.1
    assert caught.value.target == "10.20.30.40"
    assert "10.20.30.40" in str(caught.value)
    assert not isinstance(caught.value, OSError)
    assert loopback_guard.attempts == []  # not even a socket.connect

    result = tcp_connect("10.20.30.40", 5000, dialer, timeout=5)
    assert result.outcome == "not-allowed"
    assert "10.20.30.40" in result.detail
    assert result.elapsed_ms < 100
    assert loopback_guard.attempts == []


def test_loopback_only_resolves_localhost_only(loopback_guard: Dialled) -> None:
    dialer = SystemDialer(loopback_only=True)
    assert dialer.resolve("localhost") == ["127.0.0.1", "::1"]
    assert dialer.resolve("10.1.2.3") == ["10.1.2.3"]  # a literal: nothing is sent
    with pytest.raises(NotAllowed, match=r"acquirer\.example"):
        dialer.resolve("acquirer.example")
    result = dns_lookup("acquirer.example", dialer)
    assert result.outcome == "not-allowed" and result.addresses == []
    assert loopback_guard.attempts == []


def test_tcp_connect_ok_to_a_listening_socket(listener: socket.socket) -> None:
    for dialer in (SystemDialer(loopback_only=True), SystemDialer(loopback_only=False)):
        result = tcp_connect("127.0.0.1", _port(listener), dialer, timeout=2)
        assert result.outcome == "ok", result
        assert result.connect_ms is not None and result.connect_ms > 0
        assert "connected" in result.detail
    by_name = tcp_connect("localhost", _port(listener), SystemDialer(loopback_only=True), timeout=2)
    assert by_name.ok


def test_tcp_connect_refused_on_a_closed_port() -> None:
    result = tcp_connect("127.0.0.1", _closed_port(), SystemDialer(loopback_only=True), timeout=2)
    assert result.outcome == "refused"
    assert result.connect_ms is None
    assert "refused" in result.detail


def test_default_dialer_from_the_environment(tmp_path: Path) -> None:
    cases = (
        ({}, False, True),  # off site the laptop stays on loopback unless the real network is asked for
        ({}, True, False),
        ({"TECHAPP_LOOPBACK_ONLY": "1"}, True, True),  # the workplace switch wins
        (None, True, True),  # None: the guard's environment
    )
    for env, real, loopback_only in cases:
        dialer = default_dialer(env, real_network=real)
        assert isinstance(dialer, SystemDialer) and dialer.loopback_only is loopback_only
    path = tmp_path / "netmap.json"
    path.write_text(json.dumps({"routes": {"10.0.0.1:80": {"fail": "refused"}}, "default": "unreachable"}))
    dialer = default_dialer({"TECHAPP_NETMAP": str(path)})
    assert isinstance(dialer, MappedDialer) and dialer.default == "unreachable"


def test_mapped_dialer_routes_to_a_loopback_server(tmp_path: Path, loopback_guard: Dialled) -> None:
    def echo(conn: socket.socket) -> None:
        conn.sendall(conn.recv(100).upper())

    with LoopbackServer(echo) as server:
        path = tmp_path / "netmap.json"
        path.write_text(
            json.dumps(
                {
                    "names": {"acquirer.example": "10.20.30.40"},
                    "routes": {"10.20.30.40:5000": {"to": f"127.0.0.1:{server.port}", "latency_ms": 40}},
                    "default": "refused",
                }
            )
        )
        dialer = MappedDialer.from_file(path)
        with dialer.connect("acquirer.example", 5000, timeout=2) as sock:
            sock.sendall(b"ping")
            assert sock.recv(100) == b"PING"
        result = tcp_connect("10.20.30.40", 5000, dialer, timeout=2)
        assert result.ok and result.connect_ms is not None and result.connect_ms >= 40
        assert result.detail == f"connected to 10.20.30.40:5000 in {result.connect_ms:.1f} ms"
        assert dns_lookup("ACQUIRER.example.", dialer).addresses == ["10.20.30.40"]
    assert loopback_guard.attempts and all(addr[0] == "127.0.0.1" for _, addr in loopback_guard.attempts)


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [("refused", "refused"), ("reset", "reset"), ("unreachable", "unreachable"), ("timeout", "timeout")],
)
def test_mapped_failures(mode: str, outcome: str, loopback_guard: Dialled) -> None:
    dialer = MappedDialer({"10.20.30.40:5000": mode}, default="refused")
    start = time.perf_counter()
    result = tcp_connect("10.20.30.40", 5000, dialer, timeout=0.2)
    spent = time.perf_counter() - start
    assert result.outcome == outcome, result
    assert "10.20.30.40:5000" in result.detail
    assert spent < 1.0
    if mode == "timeout":
        assert spent >= 0.19 and result.elapsed_ms >= 190
    assert loopback_guard.attempts == []


def test_mapped_default_and_latency_above_timeout(loopback_guard: Dialled) -> None:
    dialer = MappedDialer({"10.0.0.1:80": Route(fail="refused", latency_ms=30)}, default="timeout", max_wait_s=0.1)
    start = time.perf_counter()
    assert tcp_connect("10.9.9.9", 80, dialer, timeout=60).outcome == "timeout"  # bounded by max_wait_s
    assert time.perf_counter() - start < 1.0
    refused = tcp_connect("10.0.0.1", 80, dialer, timeout=2)
    assert refused.outcome == "refused" and refused.elapsed_ms >= 30
    slow = MappedDialer({"10.0.0.1:80": Route(to=("127.0.0.1", 9), latency_ms=5000)})
    assert tcp_connect("10.0.0.1", 80, slow, timeout=0.1).outcome == "timeout"
    assert loopback_guard.attempts == []


def test_mapped_names(loopback_guard: Dialled) -> None:
    dialer = MappedDialer(
        {},
        {"gone.example": "dns-failure", "nodns.example": "dns-unavailable", "two.example": ["10.0.0.1", "10.0.0.2"]},
    )
    start = time.perf_counter()
    assert dns_lookup("gone.example", dialer).outcome == "dns-failure"
    assert dns_lookup("unlisted.example", dialer).outcome == "dns-failure"
    assert dns_lookup("nodns.example", dialer).outcome == "dns-unavailable"
    assert time.perf_counter() - start < 0.5
    assert dns_lookup("two.example", dialer).addresses == ["10.0.0.1", "10.0.0.2"]
    assert dns_lookup("localhost", dialer).addresses == ["127.0.0.1"]
    check = check_host("gone.example", 5000, tls=False, dialer=dialer, timeout=1)
    assert (check.outcome, check.failed_stage, check.tcp) == ("dns-failure", "dns", [])
    assert loopback_guard.attempts == []


def test_check_host_tries_each_address(listener: socket.socket, loopback_guard: Dialled) -> None:
    dialer = MappedDialer(
        {"10.0.0.1:5000": "refused", "10.0.0.2:5000": ("127.0.0.1", _port(listener))},
        {"acquirer.example": ["10.0.0.1", "10.0.0.2"]},
    )
    check = check_host("acquirer.example", 5000, tls=False, dialer=dialer, timeout=1)
    assert check.ok and check.failed_stage is None
    assert [(t.host, t.outcome) for t in check.tcp] == [("10.0.0.1", "refused"), ("10.0.0.2", "ok")]
    json.dumps(check.to_dict())


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ({"10.20.30.40:5000": {"to": "192.168.1.5:80"}}, r"192\.168\.1\.5:80 is not a loopback address"),
        ({"10.20.30.40:5000": {"to": "[2001:db8::1]:80"}}, r"not a loopback address"),
        ({"10.20.30.40:5000": {"fail": "exploded"}}, r"unknown failure 'exploded'"),
        ({"10.20.30.40:5000": {"to": "127.0.0.1:80", "fail": "refused"}}, r"either 'to' or 'fail'"),
        ({"acquirer.example:5000": {"fail": "refused"}}, r"not an IP address"),
        ({"10.20.30.40:99999": {"fail": "refused"}}, r"port must be"),
        ({"10.20.30.40:5000": {"fail": "refused", "latency": 3}}, r"unknown keys \['latency'\]"),
    ],
)
def test_netmap_rejects_bad_routes_at_load(tmp_path: Path, routes: dict, message: str) -> None:
    path = tmp_path / "netmap.json"
    path.write_text(json.dumps({"routes": routes}))
    with pytest.raises(NetmapError, match=message) as caught:
        MappedDialer.from_file(path)
    assert str(path) in str(caught.value)


def test_mapped_dialer_rejects_non_loopback_targets_in_code_too() -> None:
    with pytest.raises(NetmapError, match=r"10\.1\.1\.1:80 is not a loopback address"):
        MappedDialer({"10.20.30.40:5000": ("10.1.1.1", 80)})
    with pytest.raises(NetmapError, match="not an IP address"):
        MappedDialer({}, {"acquirer.example": "acquirer2.example"})
    with pytest.raises(ValueError, match="default"):
        MappedDialer({}, default="ok")


def test_netmap_bad_json_and_default(tmp_path: Path) -> None:
    path = tmp_path / "netmap.json"
    path.write_text("{not json")
    with pytest.raises(NetmapError, match="not valid JSON"):
        MappedDialer.from_file(path)
    path.write_text(json.dumps({"default": "ok"}))
    with pytest.raises(NetmapError, match="default must be one of"):
        MappedDialer.from_file(path)
    with pytest.raises(NetmapError, match="cannot read"):
        MappedDialer.from_file(tmp_path / "missing.json")


# -- TLS ------------------------------------------------------------------------------------

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Pki:
    ca: Path
    valid: tuple[Path, Path]
    expired: tuple[Path, Path]
    not_yet_valid: tuple[Path, Path]
    other_name: tuple[Path, Path]
    unknown_ca: tuple[Path, Path]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _make_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 3650 * DAY)
        .not_valid_after(NOW + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _write_leaf(
    directory: Path,
    stem: str,
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    names: list[str],
    not_before: datetime,
    not_after: datetime,
) -> tuple[Path, Path]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certfile, keyfile = directory / f"{stem}.crt", directory / f"{stem}.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certfile, keyfile


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = _make_ca("Techapp Test CA")
    (d / "ca.crt").write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    stranger = _make_ca("Somebody Else CA")
    names = ["acquirer.test", "127.0.0.1"]
    return Pki(
        ca=d / "ca.crt",
        valid=_write_leaf(d, "valid", ca, names, NOW - DAY, NOW + 365 * DAY),
        expired=_write_leaf(d, "expired", ca, names, NOW - 400 * DAY, NOW - 30 * DAY),
        not_yet_valid=_write_leaf(d, "future", ca, names, NOW + 30 * DAY, NOW + 400 * DAY),
        other_name=_write_leaf(d, "other", ca, ["other.test"], NOW - DAY, NOW + 365 * DAY),
        unknown_ca=_write_leaf(d, "stranger", stranger, names, NOW - DAY, NOW + 365 * DAY),
    )


def tls_server(chain: tuple[Path, Path]) -> LoopbackServer:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*chain)

    def handle(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            _drain(tls)

    return LoopbackServer(handle)


def test_tls_ok_with_the_test_ca(pki: Pki) -> None:
    with tls_server(pki.valid) as server:
        result = tls_handshake(
            "127.0.0.1", server.port, SystemDialer(loopback_only=True), 2, server_name="acquirer.test", cafile=pki.ca
        )
    assert result.outcome == "ok", result.detail
    assert result.protocol in ("TLSv1.2", "TLSv1.3") and result.cipher
    assert result.connect_ms is not None and result.handshake_ms is not None and result.handshake_ms > 0
    cert = result.certificate
    assert cert is not None
    assert cert.common_name == "acquirer.test" and cert.issuer_common_name == "Techapp Test CA"
    assert cert.dns_names == ["acquirer.test"] and cert.ip_addresses == ["127.0.0.1"]
    assert cert.not_before < NOW < cert.not_after
    assert result.valid_at_clock is True and result.problems == []
    assert "acquirer.test" in result.detail
    doc = result.to_dict()
    json.dumps(doc)
    assert doc["certificate"]["not_after"].startswith(str(cert.not_after.year))


def test_tls_ok_to_an_ip_address_in_the_certificate(pki: Pki) -> None:
    with tls_server(pki.valid) as server:
        result = tls_handshake("127.0.0.1", server.port, SystemDialer(loopback_only=True), 2, cafile=pki.ca)
    assert result.ok, result.detail
    assert result.server_name == "127.0.0.1"


def test_valid_at_the_laptops_clock_follows_now(pki: Pki) -> None:
    dialer = SystemDialer(loopback_only=True)
    with tls_server(pki.valid) as server:
        later = tls_handshake(
            "127.0.0.1", server.port, dialer, 2, server_name="acquirer.test", cafile=pki.ca, now=NOW + 730 * DAY
        )
        earlier = tls_handshake(
            "127.0.0.1", server.port, dialer, 2, server_name="acquirer.test", cafile=pki.ca, now=NOW - 30 * DAY
        )
    # the TLS stack judges with the system clock; valid_at_clock with the clock we were given
    assert later.outcome == "ok" and later.valid_at_clock is False
    assert later.clock == NOW + 730 * DAY
    assert any("expired on" in p for p in later.problems)
    assert "but not valid at" in later.detail
    assert earlier.outcome == "ok" and earlier.valid_at_clock is False
    assert any("not yet valid until" in p for p in earlier.problems)


def test_tls_expired(pki: Pki) -> None:
    with tls_server(pki.expired) as server:
        dialer = SystemDialer(loopback_only=True)
        result = tls_handshake("127.0.0.1", server.port, dialer, 2, server_name="acquirer.test", cafile=pki.ca)
        # a terminal whose clock is two months behind would still accept it
        stale = tls_handshake(
            "127.0.0.1", server.port, dialer, 2, server_name="acquirer.test", cafile=pki.ca, now=NOW - 60 * DAY
        )
    assert result.outcome == "cert-expired"
    assert result.certificate is not None and result.valid_at_clock is False
    assert result.detail.startswith("certificate expired on ")
    assert (NOW - 30 * DAY).strftime("%Y-%m-%d") in result.detail
    assert result.protocol is None
    assert stale.outcome == "cert-expired" and stale.valid_at_clock is True


def test_tls_not_yet_valid(pki: Pki) -> None:
    with tls_server(pki.not_yet_valid) as server:
        result = tls_handshake(
            "127.0.0.1", server.port, SystemDialer(loopback_only=True), 2, server_name="acquirer.test", cafile=pki.ca
        )
    assert result.outcome == "cert-not-yet-valid"
    assert result.detail.startswith("certificate not yet valid until ")
    assert (NOW + 30 * DAY).strftime("%Y-%m-%d") in result.detail
    assert result.valid_at_clock is False


def test_tls_unknown_ca(pki: Pki) -> None:
    with tls_server(pki.unknown_ca) as server:
        result = tls_handshake(
            "127.0.0.1", server.port, SystemDialer(loopback_only=True), 2, server_name="acquirer.test", cafile=pki.ca
        )
    assert result.outcome == "cert-unknown-ca"
    assert "unknown CA" in result.detail and "Somebody Else CA" in result.detail
    assert result.certificate is not None and result.valid_at_clock is True


def test_tls_name_mismatch(pki: Pki) -> None:
    with tls_server(pki.other_name) as server:
        result = tls_handshake(
            "127.0.0.1", server.port, SystemDialer(loopback_only=True), 2, server_name="acquirer.test", cafile=pki.ca
        )
    assert result.outcome == "cert-name-mismatch"
    assert "other.test" in result.detail and "acquirer.test" in result.detail
    assert result.valid_at_clock is True


def test_tls_through_the_simulated_network(pki: Pki, loopback_guard: Dialled) -> None:
    with tls_server(pki.valid) as server:
        dialer = MappedDialer(
            {"10.20.30.40:443": Route(to=("127.0.0.1", server.port), latency_ms=20)},
            {"acquirer.test": "10.20.30.40"},
        )
        check = check_host("acquirer.test", 443, tls=True, dialer=dialer, timeout=2, cafile=pki.ca)
    assert check.outcome == "ok", check.detail
    assert check.dns is not None and check.dns.addresses == ["10.20.30.40"]
    assert check.tcp[0].connect_ms is not None and check.tcp[0].connect_ms >= 20
    assert check.tls is not None and check.tls.server_name == "acquirer.test"
    assert check.tls.certificate is not None and check.tls.certificate.common_name == "acquirer.test"
    json.dumps(check.to_dict())
    assert all(addr[0] == "127.0.0.1" for _, addr in loopback_guard.attempts)


def test_check_host_reports_the_tls_stage(pki: Pki) -> None:
    with tls_server(pki.expired) as server:
        check = check_host(
            "127.0.0.1", server.port, tls=True, dialer=SystemDialer(loopback_only=True), timeout=2, cafile=pki.ca
        )
    assert (check.outcome, check.failed_stage, check.dns) == ("cert-expired", "tls", None)
    assert check.tcp[0].ok


def test_tls_to_a_host_that_never_answers(listener: socket.socket) -> None:
    start = time.perf_counter()
    result = tls_handshake("127.0.0.1", _port(listener), SystemDialer(loopback_only=True), 0.3)
    assert result.outcome == "timeout"
    assert time.perf_counter() - start < 2
    assert result.certificate is None and result.valid_at_clock is None


def test_tls_to_a_host_that_answers_garbage() -> None:
    def garbage(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 10)
        _drain(conn)

    with LoopbackServer(garbage) as server:
        result = tls_handshake("127.0.0.1", server.port, SystemDialer(loopback_only=True), 2)
    assert result.outcome == "tls-failure"
    assert "WRONG_VERSION_NUMBER" in result.detail or "wrong version" in result.detail.lower()


def test_tls_to_a_host_that_closes() -> None:
    def close_after_hello(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.shutdown(socket.SHUT_WR)
        _drain(conn)

    with LoopbackServer(close_after_hello) as server:
        result = tls_handshake("127.0.0.1", server.port, SystemDialer(loopback_only=True), 2)
    assert result.outcome == "closed", result.detail


def test_tls_refused_and_not_allowed(loopback_guard: Dialled) -> None:
    dialer = SystemDialer(loopback_only=True)
    assert tls_handshake("127.0.0.1", _closed_port(), dialer, 1).outcome == "refused"
    blocked = tls_handshake("10.20.30.40", 443, dialer, 1)
    assert blocked.outcome == "not-allowed" and "10.20.30.40" in blocked.detail
    assert all(addr[0] == "127.0.0.1" for _, addr in loopback_guard.attempts)
