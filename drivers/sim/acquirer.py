"""The simulated acquirer host: CUP-style ISO 8583 over TCP on loopback.

One listener on ``127.0.0.1:<free port>`` per ``[[acquirer.hosts]]`` entry of a
scenario; the host's ``address:port`` (``10.20.30.40:5000``) is only a name in
:attr:`AcquirerServer.endpoints` and is never bound or dialled. The wire format
is the one of :mod:`drivers.hostlink.cup` (reference §4): the server decodes and
encodes with the same pyiso8583 spec as the terminal, nothing is hand-packed.

Answers (reference §2, §4.2-4.4)
    MTI + 10 (0800 -> 0810, 0820 -> 0830), TPDU with destination and source
    swapped, header copied from the request except the processing requirement
    (the host's ``processing_requirement``). Fields 11, 41, 42 echoed; 12/13 the
    host's time (``clock()``); 32 the acquirer's ``institution_id``; 37 a
    12-digit RRN unique per answer (``hhmmss`` + a 6-digit counter of this
    server); 39; 60 = 60.1 of the request, 60.2 the host's batch (the request's
    batch: the simulated host keeps no batches of its own), 60.3 echoed. An
    approved sign-on (60.3 001/003/004) carries field 62: new working keys from
    ``key_source`` under the terminal's TMK with 4-byte check values.

Response codes, first match wins
    - bytes that do not decode: 30 if TPDU, header and MTI can still be read
      (answered with only 12/13/32/37/39), else the connection is closed;
    - an MTI that is not a request or advice (third digit not 0 or 2): no reply
      MTI exists, the connection is closed;
    - an MTI other than 0800/0820/0500 (0200, 0320 ...): **12** "invalid transaction"
      (this simulator is a sign-on/echo/settlement host; 12 rather than 40, which CUP
      reserves for an issuer that does not support the transaction type);
    - mandatory field missing (0800: 11, 41, 42, 60, 63; 0820: 11, 41, 42, 60;
      0500: 11, 41, 42, 48, 60), field 11 not 6 digits, or a field 60 without
      60.1-60.3: **30**;
    - 60.3 not served (0800 other than 001/003/004, 0820 other than 301, 0500
      other than 201): **12**;
    - 0820/301 echo test: **00** without looking at the registry. An echo test
      is a link check (TPDU routing, framing, host up); real hosts answer it
      before terminal authentication, and that keeps "the host is reachable and
      speaks ISO 8583" apart from "this TID is not registered" when the laptop
      and the terminal compare results. No field 62;
    - header status "test" (terminal status digit 1) at a production host:
      the acquirer's ``test_status`` says what happens. ``accept``: answered
      as if normal; ``refuse``: **test_status_code**; ``route-to-test``: the
      registry is consulted as the test system's (a production-only TID -> 97);
    - 0800 sign-on and 0500 settlement: TID unknown, inactive, or unknown to
      this host's role (production/test) -> **97**; MID not the TID's -> **03**;
    - 0500 settlement: field 64 missing or not the CUP MAC (reference §4.5)
      under the MAK this acquirer issued at the TID's last sign-on (or holds
      from the scenario: ``issued_keys``) -> **A0**; field 48 not 62 digits ->
      **30**; else **00** with field 48 = the request's totals and the
      reconciliation digits (31 domestic, 62 foreign): 1 balanced when they
      equal the host's record of the TID's open batch (the record is then
      closed), 2 unbalanced otherwise (the record stays). A 0500 repeated with
      the same TID, batch and STAN gets the first answer again;
    - 0800 sign-on: with
      ``check_serial_number`` and a bound serial number, a field 62 device data
      that is not ``"SN" + that serial number`` (absent included) -> **97**
      (see :func:`drivers.hostlink.cup.device_data`); else **00** with keys.

Behaviours (``[[acquirer.hosts]] behaviour``)
    ``normal``; ``down`` (nothing listens: no endpoint, :meth:`~AcquirerServer.connect`
    raises ConnectionRefusedError); ``refusing`` (accepts and closes at once);
    ``no-answer`` (reads and never answers); ``slow`` (waits ``delay_ms``, or
    :data:`SLOW_DEFAULT_DELAY_MS` when that is 0, before each answer;
    ``delay_ms`` delays every behaviour's answers); ``close-mid-message`` (sends
    the first half of the answer, then closes); ``garbage`` (a length-prefixed
    block of random bytes that does not decode); ``bad-key-cv`` (approves with
    check values that do not match the keys).

A connection carries any number of messages; the server reads until the client
closes, :attr:`AcquirerServer.idle_timeout_s` passes without a message, or a
started message does not complete within ``message_timeout_s``.

TLS (``tls = true``): at :meth:`AcquirerServer.start` a demo CA and a server
certificate per TLS host are made with ``cryptography`` (EC P-256, subject
alternative name = the host's address, valid from ``clock()`` - 1 day to
``clock()`` + 1 year); clients verify with :attr:`AcquirerServer.ca_pem` and
``server_hostname`` = the host's emulated address.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..addr import hostport, is_ipv6
from ..hostlink import cup
from ..hostlink.cup import HostMessage
from .scenario import Acquirer, AcquirerHost, AcquirerTerminal

#: ``trace(direction, host_label, wire_bytes)``: "rx" (to the host) or "tx" (from it), every message,
#: length prefix included. Called from the connection threads.
Trace = Callable[[str, str, bytes], None]

LOOPBACK = "127.0.0.1"
LOOPBACK6 = "::1"


def loopback_for(address: str) -> str:
    """The loopback address that serves an emulated host: ``::1`` for an IPv6 host, else 127.0.0.1."""
    return LOOPBACK6 if is_ipv6(address) else LOOPBACK


SLOW_DEFAULT_DELAY_MS = 5000
IDLE_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 10.0
_POLL_S = 0.1

#: Fields a request must carry (reference §4.2, §4.6); a request without one is answered 30.
MANDATORY = {
    "0800": ("11", "41", "42", "60", "63"),
    "0820": ("11", "41", "42", "60"),
    "0500": ("11", "41", "42", "48", "60"),
}
SERVED_CODES = {"0800": cup.SIGN_ON_CODES, "0820": (cup.ECHO_TEST,), "0500": (cup.SETTLEMENT,)}

APPROVED, INVALID_MERCHANT, INVALID_TRANSACTION, FORMAT_ERROR, TERMINAL_UNKNOWN = "00", "03", "12", "30", "97"
MAC_FAILED = "A0"


@dataclass(frozen=True)
class SignOn:
    """An approved sign-on as the host recorded it (tests compare the terminal's new keys with these)."""

    tid: str
    host: str  # "10.20.30.40:5000"
    nmc: str
    at: datetime
    keys: dict[str, bytes]  # clear working keys, by type
    check_values_sent_ok: bool  # False when the host's behaviour corrupted them


def host_label(host: AcquirerHost) -> str:
    return hostport(host.address, host.port)


def reply_mti(mti: str) -> str | None:
    """Request MTI + 10 (0800 -> 0810); None when ``mti`` is not a request or advice."""
    if len(mti) != 4 or not mti.isdigit() or mti[2] not in "02":
        return None
    return mti[:2] + str(int(mti[2]) + 1) + mti[3]


def _envelope(body: bytes) -> tuple[cup.Tpdu, cup.Header, str] | None:
    """TPDU, header and MTI of a message that does not decode as a whole, if they can be read."""
    if len(body) < 13:
        return None
    try:
        tpdu = cup.Tpdu.from_hex(body[:5].hex())
        header = cup.Header.from_hex(body[5:11].hex())
    except cup.HostProtocolError:
        return None
    mti = body[11:13].hex()
    return (tpdu, header, mti) if mti.isdigit() else None


def _corrupt_check_values(nmc: str, field62: bytes) -> bytes:
    out = bytearray(field62)
    pos = 0
    for _, length in cup.KEY_LAYOUT[nmc]:
        for i in range(pos + length, pos + length + cup.CV_LEN):
            out[i] ^= 0xFF
        pos += length + cup.CV_LEN
    return bytes(out)


# -- TLS material ------------------------------------------------------------------------
def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)  # a naive time is the machine's local time


def _make_tls_material(acquirer: Acquirer, hosts: list[AcquirerHost], now: datetime) -> tuple[bytes, dict]:
    """A demo CA and, per host address, (certificate PEM, key PEM) signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    start, end = _utc(now) - timedelta(days=1), _utc(now) + timedelta(days=365)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, acquirer.name),
            x509.NameAttribute(NameOID.COMMON_NAME, "techapp simulated acquirer demo CA"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    material: dict[str, tuple[bytes, bytes]] = {}
    for host in hosts:
        if host.address in material:
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host.address))
        except ValueError:
            san = x509.DNSName(host.address)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host.address)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        material[host.address] = (cert.public_bytes(pem) + ca_cert.public_bytes(pem), key_pem)
    return ca_cert.public_bytes(pem), material


def _server_context(cert_chain_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="techapp-acquirer-") as tmp:  # ssl loads keys from files only
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(cert_chain_pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


# -- the server ------------------------------------------------------------------------------
class AcquirerServer:
    """The acquirer's host servers of one scenario, on loopback. Use as a context manager or start/stop."""

    def __init__(
        self,
        acquirer: Acquirer,
        *,
        trace: Trace | None = None,
        clock: Callable[[], datetime] = datetime.now,
        key_source: Callable[[int], bytes] = os.urandom,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        message_timeout_s: float = MESSAGE_TIMEOUT_S,
        issued_keys: dict[str, dict[str, bytes]] | None = None,
        batches: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """``issued_keys``: per TID, the clear working keys the host issued before (by type);
        ``batches``: per TID, the host's record of its open batch (count, amount in fen)."""
        self.acquirer = acquirer
        self.trace = trace
        self.clock = clock
        self.key_source = key_source
        self.idle_timeout_s = idle_timeout_s
        self.message_timeout_s = message_timeout_s
        self.endpoints: dict[tuple[str, int], tuple[str, int]] = {}
        self.ca_pem: bytes | None = None  # the demo CA (PEM) when a host uses TLS, after start()
        self.sign_ons: list[SignOn] = []
        self._registry: dict[str, AcquirerTerminal] = {t.tid: t for t in acquirer.terminals}
        self._stop = threading.Event()
        #: clients (address, port) whose message this server read and will never answer
        self.unanswered: set[tuple] = set()
        self._lock = threading.Lock()
        self._listeners: list[socket.socket] = []
        self._connections: dict[int, socket.socket] = {}
        self._threads: list[threading.Thread] = []
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._rrn = 0
        self._started = False
        self._keys: dict[str, dict[str, bytes]] = {tid: dict(keys) for tid, keys in (issued_keys or {}).items()}
        self._batches: dict[str, tuple[int, int]] = dict(batches or {})
        self._settled: dict[tuple[str, int, str], tuple[str, dict[str, str]]] = {}

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> AcquirerServer:
        if self._started:
            return self
        self._started = True
        tls_hosts = [h for h in self.acquirer.hosts if h.tls and h.behaviour != "down"]
        if tls_hosts:
            self.ca_pem, material = _make_tls_material(self.acquirer, tls_hosts, self.clock())
            self._contexts = {address: _server_context(*pems) for address, pems in material.items()}
        try:
            for host in self.acquirer.hosts:
                if host.behaviour == "down":
                    continue  # nothing listens: the caller treats the address as refused
                loopback = loopback_for(host.address)  # an IPv6 host is served on ::1, IPv4 on 127.0.0.1
                family = socket.AF_INET6 if loopback == LOOPBACK6 else socket.AF_INET
                listener = socket.socket(family, socket.SOCK_STREAM)
                self._listeners.append(listener)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((loopback, 0))
                listener.listen(8)
                listener.settimeout(_POLL_S * 2)
                self.endpoints[(host.address, host.port)] = (loopback, listener.getsockname()[1])
                thread = threading.Thread(
                    target=self._accept_loop, args=(host, listener), name=f"acquirer-{host_label(host)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close listeners and connections and join every thread; safe to call again."""
        self._stop.set()
        with self._lock:
            listeners, self._listeners = self._listeners, []
            connections = list(self._connections.values())
        for listener in listeners:
            listener.close()
        for conn in connections:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)  # the raw socket, also under TLS
            except OSError:
                pass
        while True:
            with self._lock:
                threads, self._threads = self._threads, []
            if not threads:
                break
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=5)

    def __enter__(self) -> AcquirerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- for clients -------------------------------------------------------------------------
    def host_for(self, address: str, port: int) -> AcquirerHost | None:
        for host in self.acquirer.hosts:
            if host.address == address and host.port == port:
                return host
        return None

    def connect(self, address: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A TCP connection to the emulated ``address:port`` (through its loopback endpoint).

        ConnectionRefusedError when the host is down or no host of this acquirer has that address.
        TLS, when the host uses it, is the caller's (verify with :attr:`ca_pem`).
        """
        endpoint = self.endpoints.get((address, port))
        if endpoint is None:
            host = self.host_for(address, port)
            why = "the host is down" if host is not None else "no host of this acquirer there"
            raise ConnectionRefusedError(
                errno.ECONNREFUSED, f"{hostport(address, port)} refused the connection ({why})"
            )
        return socket.create_connection(endpoint, timeout=timeout)

    def client_context(self) -> ssl.SSLContext:
        """A TLS client context that trusts the demo CA (check the host name with its emulated address)."""
        if self.ca_pem is None:
            raise RuntimeError("no host of this acquirer uses TLS (or the server is not started)")
        return ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))

    def pin_answer(self, ksn: str, pin_block: bytes, pan: str) -> str:
        """The host's answer to a PIN message (issue 17): the KSN's key set picks the BDK the host holds for it;
        ``00`` when the PIN block opens under that key, ``99`` (PIN error) for a key set it does not hold or a
        terminal injected from another base key (drivers.dukpt.pin_answer)."""
        from ..dukpt import pin_answer

        bdks = {ksi.upper(): bytes.fromhex(bdk) for ksi, bdk in self.acquirer.dukpt_bdks.items()}
        return pin_answer(bdks, ksn, pin_block, pan)

    def last_sign_on(self, tid: str) -> SignOn | None:
        with self._lock:
            return next((s for s in reversed(self.sign_ons) if s.tid == tid), None)

    def open_batch(self, tid: str) -> tuple[int, int]:
        """The host's record of the TID's open batch: (count, amount in fen)."""
        with self._lock:
            return self._batches.get(tid, (0, 0))

    # -- serving -------------------------------------------------------------------------------
    def _accept_loop(self, host: AcquirerHost, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            with self._lock:
                if self._stop.is_set():
                    conn.close()
                    return
                thread = threading.Thread(
                    target=self._serve_connection, args=(host, conn), name=f"acquirer-conn-{host_label(host)}"
                )
                thread.daemon = True
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
                self._connections[id(thread)] = conn
            thread.start()

    def _serve_connection(self, host: AcquirerHost, conn: socket.socket) -> None:
        key = id(threading.current_thread())
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if host.behaviour == "refusing":
                return
            if host.tls:
                conn = self._contexts[host.address].wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                with self._lock:
                    self._connections[key] = conn  # stop() must reach the socket that now owns the descriptor
                if self._stop.is_set():
                    return
                conn.settimeout(self.message_timeout_s)
                conn.do_handshake()
            self._conversation(host, conn)
        except (OSError, ValueError):
            pass  # handshake refused, peer reset, or stop() shut the socket down
        finally:
            with self._lock:
                self._connections.pop(key, None)
            conn.close()

    @staticmethod
    def _routed_here(host: AcquirerHost, wire: bytes) -> bool:
        """The front end routes by the TPDU's destination (NII): other destinations never reach this host."""
        tpdu = wire[2:7]
        return len(tpdu) < 5 or tpdu[1:3].hex().upper() in host.tpdu_destinations

    def _wait_for_message(self, conn: socket.socket) -> bool:
        """True when bytes arrive before the idle timeout; False on idle timeout or stop()."""
        deadline = time.monotonic() + self.idle_timeout_s
        while not self._stop.is_set():
            if isinstance(conn, ssl.SSLSocket) and conn.pending():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([conn], [], [], min(_POLL_S, remaining))
            if readable:
                return True
        return False

    def _conversation(self, host: AcquirerHost, conn: socket.socket) -> None:
        label = host_label(host)
        delay_ms = host.delay_ms or (SLOW_DEFAULT_DELAY_MS if host.behaviour == "slow" else 0)
        while self._wait_for_message(conn):
            try:
                wire = cup.receive_frame(conn, self.message_timeout_s)
            except cup.HostProtocolError:
                return  # client left, stalled mid-message, or sent an impossible length prefix
            self._trace("rx", label, wire)
            if host.behaviour == "no-answer" or not self._routed_here(host, wire):
                self._never_answering(conn)
                continue
            answer = self.answer(host, wire[2:])
            if answer is None:
                return  # nothing a host could answer: drop the connection
            if delay_ms and self._stop.wait(delay_ms / 1000):
                return
            out = self._garbage() if host.behaviour == "garbage" else answer
            conn.settimeout(self.message_timeout_s)
            if host.behaviour == "close-mid-message":
                out = out[: len(out) // 2]
                conn.sendall(out)
                self._trace("tx", label, out)
                return
            conn.sendall(out)
            self._trace("tx", label, out)

    def _never_answering(self, conn: socket.socket) -> None:
        """Note that this connection's client waits in vain (see :meth:`answers_nothing_to`)."""
        try:
            self.unanswered.add(tuple(conn.getpeername()[:2]))
        except OSError:
            pass

    def answers_nothing_to(self, client: tuple) -> bool:
        """True once a message from ``client`` (its address, port) was read and will never be answered.

        The simulated terminal then waits out its response time-out scaled for tests
        (drivers/timescale.py): nothing can arrive, so only the wall clock changes.
        """
        return tuple(client[:2]) in self.unanswered

    def _trace(self, direction: str, label: str, wire: bytes) -> None:
        if self.trace is not None:
            self.trace(direction, label, wire)

    def _garbage(self) -> bytes:
        body = bytearray(os.urandom(48))
        body[5] = 0xFA  # the header's first byte is not BCD: no CUP decoder accepts this
        return len(body).to_bytes(2, "big") + bytes(body)

    # -- the host's logic -------------------------------------------------------------------------
    def answer(self, host: AcquirerHost, body: bytes) -> bytes | None:
        """The wire answer (length prefix included) to one request body, or None to close the connection.

        Behaviours that concern the transport (no-answer, slow, garbage, ...) are not applied here;
        ``bad-key-cv`` is, since it is part of the message.
        """
        try:
            request = cup.decode(body)
        except cup.HostProtocolError:
            envelope = _envelope(body)
            if envelope is None:
                return None
            tpdu, header, mti = envelope
            request = HostMessage(mti, {}, tpdu, header)
            code, extra = FORMAT_ERROR, {}
        else:
            code, extra = self._decide(host, request)
        mti = reply_mti(request.mti)
        if mti is None:
            return None
        now = self.clock()
        fields = {"12": now.strftime("%H%M%S"), "13": now.strftime("%m%d")}
        for number in ("11", "41", "42"):
            if request.get(number) is not None:
                fields[number] = request.fields[number]
        fields |= {"32": self.acquirer.institution_id, "37": self._next_rrn(now), "39": code, **extra}
        reply = HostMessage(
            mti,
            dict(sorted(fields.items(), key=lambda item: int(item[0]))),
            request.tpdu.swapped(),
            replace(request.header, processing_requirement=host.processing_requirement),
        )
        try:
            return cup.encode(reply)
        except cup.HostProtocolError:
            return None

    def _next_rrn(self, now: datetime) -> str:
        with self._lock:
            self._rrn = self._rrn % 999999 + 1
            return f"{now:%H%M%S}{self._rrn:06d}"

    def _decide(self, host: AcquirerHost, request: HostMessage) -> tuple[str, dict[str, str]]:
        """Field 39 and the extra answer fields (60, 62) for a request that decoded."""
        if request.mti not in MANDATORY:
            return INVALID_TRANSACTION, {}
        if any(request.get(number) in (None, "") for number in MANDATORY[request.mti]):
            return FORMAT_ERROR, {}
        stan = request.get(11) or ""
        if not (len(stan) == 6 and stan.isdigit()):
            return FORMAT_ERROR, {}
        try:
            f60 = cup.parse_field_60(request.get(60))
        except cup.HostProtocolError:
            return FORMAT_ERROR, {}
        if f60.batch is None or f60.nmc is None:
            return FORMAT_ERROR, {}
        extra = {"60": cup.field_60(f60.batch, f60.nmc, f60.message_type)}
        if f60.nmc not in SERVED_CODES[request.mti]:
            return INVALID_TRANSACTION, extra
        if request.mti == "0820":
            return APPROVED, extra  # echo test: a link check, registry not consulted (module docstring)
        role = host.role
        if request.header.terminal_status == 1 and host.role == "production":
            if self.acquirer.test_status == "refuse":
                return self.acquirer.test_status_code, extra
            if self.acquirer.test_status == "route-to-test":
                role = "test"
        tid, mid = request.get(41) or "", request.get(42) or ""
        terminal = self._registry.get(tid)
        if terminal is None or not terminal.active or role not in terminal.roles:
            return TERMINAL_UNKNOWN, extra
        if terminal.mid != mid:
            return INVALID_MERCHANT, extra
        if request.mti == "0500":
            return self._settle(terminal, request, f60.batch, extra)
        bound = terminal.serial_number if self.acquirer.check_serial_number else ""
        if bound and cup.parse_device_data(request.get(62)) != bound:
            return TERMINAL_UNKNOWN, extra
        extra["62"] = self._new_working_keys(host, terminal, f60.nmc).hex().upper()
        return APPROVED, extra

    def _new_working_keys(self, host: AcquirerHost, terminal: AcquirerTerminal, nmc: str) -> bytes:
        clear = {key_type: bytes(self.key_source(length)) for key_type, length in cup.KEY_LAYOUT[nmc]}
        field62 = cup.pack_working_keys(nmc, bytes.fromhex(terminal.tmk), clear)
        good = host.behaviour != "bad-key-cv"
        if not good:
            field62 = _corrupt_check_values(nmc, field62)
        with self._lock:
            self.sign_ons.append(SignOn(terminal.tid, host_label(host), nmc, self.clock(), clear, good))
            self._keys[terminal.tid] = clear  # from now on the host MACs and checks with these
        return field62

    def _settle(
        self, terminal: AcquirerTerminal, request: HostMessage, batch: int, extra: dict[str, str]
    ) -> tuple[str, dict[str, str]]:
        """0500: MAC under the MAK last issued, then the totals against the host's record (module docstring)."""
        key = (terminal.tid, batch, request.get(11) or "")
        with self._lock:
            if key in self._settled:  # the terminal sent it again (its 0510 was lost): same answer
                return self._settled[key]
            mak = self._keys.get(terminal.tid, {}).get("mak")
        if mak is None or not cup.mac_matches(request, mak):
            return MAC_FAILED, extra
        try:
            totals = cup.SettlementTotals.parse(request.get(48))
        except cup.HostProtocolError:
            return FORMAT_ERROR, extra
        with self._lock:
            count, amount = self._batches.get(terminal.tid, (0, 0))
            balanced = totals.same_totals(cup.SettlementTotals(debit_amount=amount, debit_count=count))
            result = cup.BALANCED if balanced else cup.UNBALANCED
            if balanced:
                self._batches[terminal.tid] = (0, 0)
            answer = (APPROVED, {**extra, "48": replace(totals, result=result, foreign_result=cup.BALANCED).field_48()})
            self._settled[key] = answer
        return answer


__all__ = [
    "AcquirerServer",
    "SLOW_DEFAULT_DELAY_MS",
    "SignOn",
    "host_label",
    "reply_mti",
]
