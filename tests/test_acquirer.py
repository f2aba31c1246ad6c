"""The simulated acquirer host over real TCP on loopback, spoken to with the real codec.

Covers the answers of reference §2 / §4 (0810 and 0830 fields, 97 / 03 / 30 / 12), the host
behaviours as a client observes them, TLS, the reference's §4.7 worked example, two independent
ISO 8583 decoders (py8583, starkbank-iso8583) reading our 0800 and 0810, and `techapp acquirer`.
"""

from __future__ import annotations

import copy
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from drivers.hostlink import cup
from drivers.hostlink.cup import Header, HostMessage, Tpdu
from drivers.keycheck import check_value, tdes_ecb_decrypt
from drivers.sim import acquirer as acquirer_module
from drivers.sim.acquirer import AcquirerServer
from drivers.sim.scenario import load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 9, 30, 5)
TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")  # healthy.toml, reference §4.4
TID, MID = "12345678", "123456789012345"
TEST_TID, TEST_MID = "99990001", "999999999990001"
PRODUCTION, TEST_HOST = ("10.20.30.40", 5000), ("10.20.99.40", 5000)
TPDU = Tpdu.from_hex("6000030000")
# reference §4.4 worked example: clear PIK, its encryption under TMK, its check value
REF_PIK = bytes.fromhex("F039121BEC83D26B169BDCD5B22AAF8F")
REF_PIK_UNDER_TMK = bytes.fromhex("C3C69451C0685DB8E6B6DCD3F50E8769")
REF_PIK_CV = bytes.fromhex("CB9DEA67")

pytestmark = pytest.mark.timeout(60)


class KeySource:
    """Deterministic ``key_source``: the reference PIK first (when 16 bytes), then recognisable keys."""

    def __init__(self) -> None:
        self.handed_out: list[bytes] = []

    def __call__(self, length: int) -> bytes:
        n = len(self.handed_out)
        key = REF_PIK if n == 0 and length == 16 else bytes((0x11 * (n + 1) + i) & 0xFF for i in range(length))
        self.handed_out.append(key)
        return key


class Traced:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, bytes]] = []

    def __call__(self, direction: str, host: str, wire: bytes) -> None:
        self.lines.append((direction, host, wire))


def hosts_toml(*hosts: str) -> str:
    return "".join(f"\n[[acquirer.hosts]]\n{h}\n" for h in hosts)


@pytest.fixture
def acquirer() -> Iterator[Callable[..., AcquirerServer]]:
    """``acquirer(overrides_toml, **server_kwargs)``: the healthy scenario's acquirer, started."""
    servers: list[AcquirerServer] = []

    def start(overrides: str = "", **kw) -> AcquirerServer:
        scenario = load_scenario_text(f'extends = "healthy"\n{overrides}', source="test")
        kw.setdefault("clock", lambda: NOW)
        kw.setdefault("key_source", KeySource())
        kw.setdefault("trace", Traced())
        server = AcquirerServer(scenario.acquirer, **kw).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def sign_on(
    tid: str = TID, mid: str = MID, nmc: str = "003", *, serial: str | None = None, header: Header | None = None
) -> HostMessage:
    return cup.sign_on_request(
        tid=tid, mid=mid, stan=1209, batch=37, nmc=nmc, tpdu=TPDU, header=header or Header(), serial_number=serial
    )


def exchange(server: AcquirerServer, *messages: HostMessage | bytes, where=PRODUCTION, timeout=5.0) -> list:
    """Send each message on one connection and read its answer."""
    answers = []
    with closing(server.connect(*where)) as sock:
        for message in messages:
            if isinstance(message, bytes):
                sock.sendall(message)
            else:
                cup.send(sock, message)
            answers.append(cup.receive(sock, timeout)[1])
    return answers


def one(server: AcquirerServer, message: HostMessage | bytes, where=PRODUCTION) -> HostMessage:
    return exchange(server, message, where=where)[0]


# -- sign-on -----------------------------------------------------------------------------
@pytest.mark.parametrize(("nmc", "length"), [("001", 24), ("003", 40), ("004", 60)])
def test_sign_on_approved_with_working_keys_under_the_tmk(acquirer, nmc, length):
    keys = KeySource()
    server = acquirer(key_source=keys)
    request = sign_on(nmc=nmc, header=Header(sub_version="000123"))
    reply = one(server, request)

    assert reply.mti == "0810"
    assert reply.tpdu.hex() == "6000000003"  # destination and source swapped
    assert reply.header == Header(sub_version="000123", terminal_status=0, processing_requirement=0)
    assert reply.get(39) == "00"
    assert reply.get(11) == "001209"
    assert (reply.get(41), reply.get(42)) == (TID, MID)
    assert (reply.get(12), reply.get(13)) == ("093005", "1125")  # host time from clock()
    assert reply.get(32) == "48020000"
    assert re.fullmatch(r"[0-9]{12}", reply.get(37))
    assert cup.parse_field_60(reply.get(60)) == cup.Field60("00", 37, nmc)  # 60.2 = the host's batch

    field62 = bytes.fromhex(reply.get(62))
    assert len(field62) == length
    blocks = cup.unpack_working_keys(nmc, field62)
    assert [b.key_type for b in blocks] == [k for k, _ in cup.KEY_LAYOUT[nmc]]
    clear = [cup.verify_working_key(TMK, b) for b in blocks]
    assert clear == keys.handed_out  # every key verifies under the TMK and is the host's new key
    assert server.last_sign_on(TID).keys == dict(zip([b.key_type for b in blocks], clear, strict=True))
    if nmc != "001":  # reference §4.4 worked example: PIK under the TMK and its check value
        assert (blocks[0].encrypted, blocks[0].check_value) == (REF_PIK_UNDER_TMK, REF_PIK_CV)
        assert field62[:20] == REF_PIK_UNDER_TMK + REF_PIK_CV
    assert check_value(TMK, 3).hex().upper() == "08D7B4"  # reference §5.1


def test_every_answer_has_its_own_rrn_and_a_connection_carries_several_messages(acquirer):
    server = acquirer()
    echo = cup.echo_request(tid=TID, mid=MID, stan=7, batch=37, tpdu=TPDU, header=Header())
    answers = exchange(server, sign_on(), echo, sign_on("00000000"), echo)
    assert [a.mti for a in answers] == ["0810", "0830", "0810", "0830"]
    assert [a.get(39) for a in answers] == ["00", "00", "97", "00"]
    rrns = [a.get(37) for a in answers]
    assert len(set(rrns)) == 4 and all(re.fullmatch(r"[0-9]{12}", r) for r in rrns)


def test_trace_sees_every_message_in_and_out_as_wire_bytes(acquirer):
    trace = Traced()
    server = acquirer(trace=trace)
    request = sign_on()
    with closing(server.connect(*PRODUCTION)) as sock:
        sent = cup.send(sock, request)
        received, _ = cup.receive(sock, 5)
    deadline = time.monotonic() + 2
    while len(trace.lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trace.lines == [("rx", "10.20.30.40:5000", sent), ("tx", "10.20.30.40:5000", received)]


# -- the registry: 97 / 03 -------------------------------------------------------------------
def test_unknown_tid_gets_97_without_keys(acquirer):
    reply = one(acquirer(), sign_on("87654321"))
    assert (reply.mti, reply.get(39), reply.get(62)) == ("0810", "97", None)
    assert reply.get(41) == "87654321"  # echoed: the terminal matches its own TID


def test_mid_that_is_not_the_tids_gets_03(acquirer):
    reply = one(acquirer(), sign_on(mid="123456789012354"))
    assert (reply.get(39), reply.get(62)) == ("03", None)


def test_inactive_terminal_gets_97(acquirer):
    server = acquirer(
        """
[[acquirer.terminals]]
tid = "12345678"
mid = "123456789012345"
tmk = "0123456789ABCDEFFEDCBA9876543210"
active = false
"""
    )
    assert one(server, sign_on()).get(39) == "97"


def test_production_and_test_hosts_know_different_terminals(acquirer):
    server = acquirer()
    assert one(server, sign_on(TEST_TID, TEST_MID), where=PRODUCTION).get(39) == "97"
    assert one(server, sign_on(TEST_TID, TEST_MID), where=TEST_HOST).get(39) == "00"
    assert one(server, sign_on(TID, MID), where=TEST_HOST).get(39) == "97"  # test-host-97


def test_bound_serial_number_is_checked_from_field_62_device_data(acquirer):
    server = acquirer("[acquirer]\ncheck_serial_number = true\n")
    assert one(server, sign_on(serial="82412345")).get(39) == "00"
    assert one(server, sign_on(serial="1170045821")).get(39) == "97"  # swapped-terminal
    assert one(server, sign_on()).get(39) == "97"  # no device data at all
    # a TID bound to no serial number signs on from any device
    assert one(server, sign_on(TEST_TID, TEST_MID, serial="1170045821"), where=TEST_HOST).get(39) == "00"


def test_device_data_is_ascii_sn_and_serial():
    assert bytes.fromhex(cup.device_data("82412345")) == b"SN82412345"
    assert cup.parse_device_data(cup.device_data("82412345")) == "82412345"
    assert cup.parse_device_data("FFFF") is None and cup.parse_device_data(None) is None
    with pytest.raises(cup.HostProtocolError):
        cup.device_data("序列号")


def test_echo_test_answers_0830_without_looking_at_the_registry(acquirer):
    server = acquirer()
    for tid, mid in ((TID, MID), ("87654321", "000000000000000")):
        reply = one(server, cup.echo_request(tid=tid, mid=mid, stan=5, batch=37, tpdu=TPDU, header=Header()))
        assert (reply.mti, reply.get(39), reply.get(11), reply.get(62)) == ("0830", "00", "000005", None)
        assert reply.get(60) == "00000037301"


def test_header_carries_the_hosts_processing_requirement_and_the_terminals_status(acquirer):
    server = acquirer(hosts_toml('address = "10.20.30.40"\nport = 5000\nprocessing_requirement = 6'))
    reply = one(server, sign_on(header=Header(terminal_status=1)))
    assert (reply.header.terminal_status, reply.header.processing_requirement) == (1, 6)
    assert reply.header.hex() == "603116000000"


# -- malformed and unsupported -------------------------------------------------------------------
def _wire(message: HostMessage) -> bytes:
    return cup.encode(message)


def test_missing_mandatory_field_gets_30(acquirer):
    request = sign_on()
    del request.fields["41"]
    reply = one(acquirer(), request)
    assert (reply.mti, reply.get(39), reply.get(11), reply.get(41)) == ("0810", "30", "001209", None)


def test_field_60_without_60_3_gets_30(acquirer):
    request = sign_on()
    request.fields["60"] = "00000037"  # 60.1 and 60.2 only
    reply = one(acquirer(), request)
    assert (reply.get(39), reply.get(60)) == ("30", None)


def test_undecodable_message_with_readable_envelope_gets_30(acquirer):
    wire = _wire(sign_on())
    body = wire[2:-2]  # field 63 cut short: the message no longer decodes
    with pytest.raises(cup.HostProtocolError):
        cup.decode(body)
    reply = one(acquirer(), len(body).to_bytes(2, "big") + body)
    assert (reply.mti, reply.get(39), reply.tpdu.hex()) == ("0810", "30", "6000000003")
    assert reply.get(11) is None and reply.get(41) is None  # nothing of the body could be read


def test_unreadable_envelope_closes_the_connection(acquirer):
    body = bytearray(_wire(sign_on())[2:])
    body[5] = 0xFA  # header is not BCD
    with pytest.raises(cup.HostClosed):
        one(acquirer(), len(body).to_bytes(2, "big") + bytes(body))


def test_a_reply_mti_sent_to_the_host_closes_the_connection(acquirer):
    request = sign_on()
    request.mti = "0810"
    with pytest.raises(cup.HostClosed):
        one(acquirer(), request)


def test_impossible_length_prefix_closes_the_connection(acquirer):
    with pytest.raises(cup.HostClosed):
        one(acquirer(), b"\x00\x00")


@pytest.mark.parametrize(
    ("mti", "nmc", "reply_mti"),
    [("0200", "000", "0210"), ("0800", "360", "0810"), ("0820", "002", "0830"), ("0820", "001", "0830")],
)
def test_unsupported_transaction_or_network_code_gets_12(acquirer, mti, nmc, reply_mti):
    request = HostMessage(mti, {"11": "000009", "41": TID, "42": MID, "60": f"00000037{nmc}", "63": "01 "}, TPDU)
    reply = one(acquirer(), request)
    assert (reply.mti, reply.get(39)) == (reply_mti, "12")


def test_stalled_message_and_idle_connection_are_closed_by_the_host(acquirer):
    server = acquirer(idle_timeout_s=0.3, message_timeout_s=0.3)
    with closing(server.connect(*PRODUCTION)) as sock:
        sock.sendall(_wire(sign_on())[:10])  # half a message, then nothing
        with pytest.raises(cup.HostClosed):
            cup.receive(sock, 3)
    with closing(server.connect(*PRODUCTION)) as sock:
        started = time.monotonic()
        with pytest.raises(cup.HostClosed):
            cup.receive(sock, 3)
        assert time.monotonic() - started < 2


# -- behaviours: each one looks different from the client ------------------------------------------
def one_host(behaviour: str, extra: str = "") -> str:
    return hosts_toml(f'address = "10.20.30.40"\nport = 5000\nbehaviour = "{behaviour}"\n{extra}')


def test_down_host_has_no_endpoint_and_refuses(acquirer):
    server = acquirer(one_host("down"))
    assert PRODUCTION not in server.endpoints
    assert server.host_for(*PRODUCTION).behaviour == "down"
    with pytest.raises(ConnectionRefusedError, match="down"):
        server.connect(*PRODUCTION)
    with pytest.raises(ConnectionRefusedError, match="no host"):
        server.connect("10.20.30.99", 5000)


def test_refusing_host_accepts_then_closes(acquirer):
    server = acquirer(one_host("refusing"))
    with closing(server.connect(*PRODUCTION)) as sock, pytest.raises(cup.HostClosed, match="length prefix"):
        cup.receive(sock, 3)


def test_no_answer_host_reads_and_stays_silent(acquirer):
    trace = Traced()
    server = acquirer(one_host("no-answer"), trace=trace)
    with closing(server.connect(*PRODUCTION)) as sock:
        cup.send(sock, sign_on())
        with pytest.raises(cup.HostTimeout):
            cup.receive(sock, 0.5)
    assert [d for d, _, _ in trace.lines] == ["rx"]


def test_slow_host_answers_after_delay_ms(acquirer):
    server = acquirer(one_host("slow", "delay_ms = 600"))
    with closing(server.connect(*PRODUCTION)) as sock:
        started = time.monotonic()
        cup.send(sock, sign_on())
        with pytest.raises(cup.HostTimeout):
            cup.receive(sock, 0.2)  # nothing yet, nothing consumed
        _, reply = cup.receive(sock, 5)
        assert time.monotonic() - started >= 0.6
    assert reply.get(39) == "00"


def test_slow_without_delay_uses_the_default_and_delay_applies_to_normal_hosts(acquirer, monkeypatch):
    monkeypatch.setattr(acquirer_module, "SLOW_DEFAULT_DELAY_MS", 300)
    server = acquirer(
        hosts_toml(
            'address = "10.20.30.40"\nport = 5000\nbehaviour = "slow"',
            'address = "10.20.30.41"\nport = 5000\ndelay_ms = 300',
        )
    )
    for where in (PRODUCTION, ("10.20.30.41", 5000)):
        started = time.monotonic()
        assert one(server, sign_on(), where=where).get(39) == "00"
        assert time.monotonic() - started >= 0.3


def test_close_mid_message_sends_half_an_answer(acquirer):
    trace = Traced()
    server = acquirer(one_host("close-mid-message"), trace=trace)
    with closing(server.connect(*PRODUCTION)) as sock:
        cup.send(sock, sign_on())
        with pytest.raises(cup.HostClosed, match=r"reading a \d+-byte message"):
            cup.receive(sock, 3)
    direction, _, sent = trace.lines[-1]
    whole = 2 + int.from_bytes(sent[:2], "big")  # the prefix announces the whole answer
    assert (direction, len(sent)) == ("tx", whole // 2)


def test_garbage_host_answers_bytes_that_do_not_decode(acquirer):
    server = acquirer(one_host("garbage"))
    with closing(server.connect(*PRODUCTION)) as sock:
        cup.send(sock, sign_on())
        with pytest.raises(cup.HostProtocolError) as caught:
            cup.receive(sock, 3)
    assert type(caught.value) is cup.HostProtocolError  # a whole message arrived: neither timeout nor close


def test_bad_key_cv_host_approves_with_check_values_that_do_not_verify(acquirer):
    keys = KeySource()
    server = acquirer(one_host("bad-key-cv"), key_source=keys)
    reply = one(server, sign_on())
    assert reply.get(39) == "00"
    blocks = cup.unpack_working_keys("003", bytes.fromhex(reply.get(62)))
    assert [cup.verify_working_key(TMK, b) for b in blocks] == [None, None]
    # the keys themselves are right; only their check values are not
    assert [tdes_ecb_decrypt(TMK, b.encrypted) for b in blocks] == keys.handed_out
    assert server.last_sign_on(TID).check_values_sent_ok is False


def test_stop_ends_open_connections_and_is_idempotent(acquirer):
    server = acquirer()
    sock = server.connect(*PRODUCTION)
    with closing(sock):
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(cup.HostClosed):  # closed, or reset when stop() came before the accept
            cup.receive(sock, 2)
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.endpoints[PRODUCTION][1]), timeout=2).close()


def test_context_manager():
    scenario = load_scenario_text('extends = "healthy"', source="test")
    with AcquirerServer(scenario.acquirer) as server:
        assert len(server.endpoints) == 4
        assert all(host == "127.0.0.1" for host, _ in server.endpoints.values())
        assert one(server, sign_on()).get(39) == "00"


# -- TLS ------------------------------------------------------------------------------------
TLS_HOST = hosts_toml('address = "10.20.30.40"\nport = 5000\ntls = true')


def test_tls_host_handshake_verifies_against_the_demo_ca(acquirer):
    server = acquirer(TLS_HOST, clock=datetime.now)
    context = ssl.create_default_context(cadata=server.ca_pem.decode())
    with closing(server.connect(*PRODUCTION)) as raw, context.wrap_socket(raw, server_hostname="10.20.30.40") as tls:
        cert = tls.getpeercert()
        cup.send(tls, sign_on())
        _, reply = cup.receive(tls, 5)
    assert reply.get(39) == "00"
    assert ("IP Address", "10.20.30.40") in cert["subjectAltName"]
    not_before = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notBefore"]))
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]))
    assert abs(not_before - (datetime.now() - timedelta(days=1))) < timedelta(minutes=5)
    assert abs(not_after - (datetime.now() + timedelta(days=365))) < timedelta(minutes=5)


def test_tls_refused_by_a_client_that_does_not_trust_the_ca_or_the_name(acquirer):
    server = acquirer(TLS_HOST, clock=datetime.now)
    with closing(server.connect(*PRODUCTION)) as raw, pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(raw, server_hostname="10.20.30.40")
    with closing(server.connect(*PRODUCTION)) as raw, pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        server.client_context().wrap_socket(raw, server_hostname="10.20.30.41")


def test_tls_certificate_validity_follows_the_hosts_clock(acquirer):
    server = acquirer(TLS_HOST, clock=lambda: datetime.now() + timedelta(days=30))
    with closing(server.connect(*PRODUCTION)) as raw, pytest.raises(ssl.SSLCertVerificationError, match="not yet"):
        server.client_context().wrap_socket(raw, server_hostname="10.20.30.40")


# -- the reference's worked example ----------------------------------------------------------------
REFERENCE_0800 = (
    "003C 6000030000 603100000000 0800 0020000000C00012 000001 3132333435363738 "
    "313233343536373839303132333435 0011000000010030 0003303120"
)


def test_sign_on_request_encodes_the_reference_worked_example():
    message = cup.sign_on_request(
        tid="12345678", mid="123456789012345", stan=1, batch=1, nmc="003", tpdu=TPDU, header=Header()
    )
    assert cup.encode(message) == bytes.fromhex(REFERENCE_0800.replace(" ", ""))


# -- independent decoders ------------------------------------------------------------------------
# Neither library knows a TPDU or CUP's 6-byte header, so both read the message from the MTI on:
# our wire bytes minus the 2-byte length, the 5-byte TPDU and the 6-byte header. What is compared:
# MTI, the fields the bitmap announces, and each field's value, decoded by the library's own code
# from a spec written in its own terms for CUP's formats (reference §4.2): BCD MTI, binary bitmap,
# n fields BCD, an fields ASCII, LL/LLL lengths BCD, field 60 BCD with a nibble-counted length
# and a right pad nibble, field 62 binary with a byte-counted length, field 63 ASCII.
CUP_BODY_OFFSET = 2 + 5 + 6


def _messages(acquirer) -> list[tuple[bytes, HostMessage]]:
    server = acquirer("[acquirer]\ncheck_serial_number = true\n")
    with closing(server.connect(*PRODUCTION)) as sock:
        request = sign_on(serial="82412345")
        sent = cup.send(sock, request)
        received, reply = cup.receive(sock, 5)
    assert reply.get(39) == "00" and len(reply.get(62)) == 80
    return [(sent, cup.decode(sent[2:])), (received, reply)]


def _py8583_spec():
    from py8583 import py8583spec
    from py8583.py8583 import DT

    class CupSpec(py8583spec.IsoSpec1987BCD):
        """py8583's BCD flavour (BCD MTI, binary bitmap, BCD lengths) with CUP's private fields 60, 62, 63."""

        def SetContentTypes(self):  # noqa: N802 - the library's name
            self.ContentTypes = copy.deepcopy(py8583spec.ContentTypes["1987"])  # not the library's shared dict

        def SetDataTypes(self):  # noqa: N802
            self.DataTypes = {}  # the base class keeps this dict on the class; keep ours to ourselves
            super().SetDataTypes()
            for number in (32, 60):  # numeric, BCD; 'z' keeps the digits as text (a pad nibble included)
                self.ContentType(number, "z")
                self.DataType(number, DT.BCD)
            self.ContentType(63, "ans")
            self.DataType(63, DT.ASCII)
            # 62 stays as the BCD flavour makes private fields: binary, LLL BCD byte count

    return CupSpec()


def test_py8583_decodes_our_0800_and_0810_to_the_same_values(acquirer):
    from py8583.py8583 import Iso8583

    for wire, ours in _messages(acquirer):
        theirs = Iso8583(IsoMsg=wire[CUP_BODY_OFFSET:], IsoSpec=_py8583_spec())
        assert theirs.MTI() == ours.mti
        present = sorted(n for n, bit in theirs.Bitmap().items() if bit and n != 1)
        assert present == sorted(int(n) for n in ours.fields)
        for number, value in ours.fields.items():
            got = theirs.FieldData(int(number))
            if number in ("11", "12", "13"):  # n fixed: py8583 gives an int
                assert got == int(value), number
            elif number in ("32", "60"):  # n LL/LLL BCD: py8583 keeps the pad nibble of an odd count
                assert got[: len(value)] == value and set(got[len(value) :]) <= {"0"}, number
            else:  # an/ans as text, b as upper-case hex
                assert got == value, number
        assert {"11", "41", "42", "60", "62"} <= set(ours.fields)


class _BcdLength:
    """A length prefix in BCD, which starkbank-iso8583 does not have (it knows ASCII, EBCDIC, binary).

    The library asks a length rule for ``byteLength()``, ``parse(data=...)`` and ``limit``.
    ``half=True`` turns a nibble count into the byte count of a right-padded BCD value.
    """

    def __init__(self, byte_length: int, limit: int, *, half: bool = False) -> None:
        self._byte_length, self.limit, self.half = byte_length, limit, half

    def byteLength(self) -> int:  # noqa: N802 - the library's name
        return self._byte_length

    def parse(self, data: bytes, **_kw) -> int:
        count = int(data.hex())
        return (count + 1) // 2 if self.half else count


def _starkbank_template():
    from starkbank.iso8583.template.base import Template
    from starkbank.iso8583.utils.field import Field
    from starkbank.iso8583.utils.header import NoHeaderRule
    from starkbank.iso8583.utils.length import FixedLengthRule
    from starkbank.iso8583.utils.parser import ParseBcdString, ParseBitmap, ParseHexadecimal, ParseString
    from starkbank.iso8583.version import IsoVersion

    ascii_ = ParseString(encoding="ascii")
    fields = [
        Field("MTI", ParseBcdString(), FixedLengthRule(4)),
        Field("DE000", ParseBitmap(offset=0), FixedLengthRule(8)),
        Field("DE011", ParseBcdString(), FixedLengthRule(6)),
        Field("DE012", ParseBcdString(), FixedLengthRule(6)),
        Field("DE013", ParseBcdString(), FixedLengthRule(4)),
        Field("DE032", ParseBcdString(), _BcdLength(1, 11)),
        Field("DE037", ascii_, FixedLengthRule(12)),
        Field("DE039", ascii_, FixedLengthRule(2)),
        Field("DE041", ascii_, FixedLengthRule(8)),
        Field("DE042", ascii_, FixedLengthRule(15)),
        # the library's BCD parser assumes a LEFT pad nibble; CUP pads field 60 on the right, so it is
        # read as the whole bytes (hex) and the pad nibble is left out of the comparison
        Field("DE060", ParseHexadecimal(), _BcdLength(2, 9, half=True)),
        Field("DE062", ParseHexadecimal(), _BcdLength(2, 512)),
        Field("DE063", ascii_, _BcdLength(2, 3)),
    ]
    return {IsoVersion._1987: Template(headerRule=NoHeaderRule(), fields=fields)}


def test_starkbank_iso8583_decodes_our_0800_and_0810_to_the_same_values(acquirer):
    from starkbank.iso8583 import parse

    for wire, ours in _messages(acquirer):
        body = wire[CUP_BODY_OFFSET:]
        theirs = parse(body, template=_starkbank_template())
        assert theirs["Length"] == len(body)  # the library consumed exactly the whole message
        assert theirs["MTI"] == ours.mti
        assert theirs["BMP"] == sorted(int(n) for n in ours.fields)
        for number, value in ours.fields.items():
            got = theirs[f"DE{int(number):03d}"]
            if number == "60":
                assert got[: len(value)] == value and set(got[len(value) :]) <= {"0"}
            else:
                assert got.upper() == value.upper(), number


# -- techapp acquirer --------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TECHAPP_SCENARIO_PATH"}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


HOST_LINE = re.compile(r"host (production|test) (\S+):(\d+) -> 127\.0\.0\.1:(\d+) \(tls (on|off)\)$")
TRACE_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  (rx|tx)  (\S+)  ([0-9A-F]+)$")


def test_cli_serves_the_scenarios_hosts_until_terminated(tmp_path):
    trace_file = tmp_path / "host.trace"
    proc = subprocess.Popen(
        [sys.executable, "-m", "techapp", "acquirer", "healthy", "--trace", str(trace_file)],
        cwd=ROOT,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(4)]
        matches = [HOST_LINE.match(line) for line in lines]
        assert all(matches), lines
        ports = {(m[2], int(m[3])): int(m[4]) for m in matches}
        assert [m[1] for m in matches] == ["production", "production", "test", "test"]
        with closing(socket.create_connection(("127.0.0.1", ports[PRODUCTION]), timeout=5)) as sock:
            sent = cup.send(sock, sign_on())
            received, reply = cup.receive(sock, 5)
        assert (reply.mti, reply.get(39)) == ("0810", "00")
    finally:
        proc.terminate()  # SIGTERM to that PID
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    traced = [TRACE_LINE.match(line) for line in trace_file.read_text(encoding="utf-8").splitlines()]
    assert all(traced)
    assert [(m[1], m[2], m[3]) for m in traced] == [
        ("rx", "10.20.30.40:5000", sent.hex().upper()),
        ("tx", "10.20.30.40:5000", received.hex().upper()),
    ]


def test_cli_names_an_unknown_scenario():
    result = subprocess.run(
        [sys.executable, "-m", "techapp", "acquirer", "no-such-scenario"],
        cwd=ROOT,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
    )
    assert result.returncode == 2
    assert "no-such-scenario" in result.stderr and "Traceback" not in result.stderr
