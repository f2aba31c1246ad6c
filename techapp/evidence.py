"""Evidence for escalation: the host traffic as a pcap, and one zip per visit for the acquirer's help desk.

Host traffic
------------
Two sources, both as they crossed the wire (2-byte length, TPDU, header, ISO 8583):

* the terminal's own sign-on 0800/0810 (and settlement 0500/0510): the maintenance protocol's
  ``HOST_EXCHANGE`` (docs/protocol.md, tags 0xD0-0xDF), which the terminal sends when the laptop asks
  (``TerminalDriver.capture_host_traffic``), with the terminal's address and port, the host's, and the
  times; the diagnosis keeps them in the sign-on check's ``observed["traffic"]``;
* the laptop's echo tests 0820/0830 (:func:`techapp.hostcheck.echo_test`): the request and answer
  bytes with the laptop's address and port, in the ``network.laptop`` check's ``observed["echo"]``.

:func:`conversations` collects both from a diagnosis (object or its JSON), :func:`write_pcap`
writes them with scapy as TCP streams between those addresses (handshake, sequence and
acknowledgement numbers, the messages in segments, the close). Card data never leaves masked
(:func:`mask_wire`: fields 2, 35, 36 and 45 keep at most the PAN's first 6 and last 4 digits,
52 and 55 are zeroed; lengths stay, so the stream stays consistent).

Bundle
------
:func:`build_bundle` writes ``SN_YYYYMMDD-HHMM.zip`` whole or not at all: the service report
(PDF and canonical JSON, :mod:`techapp.report`), the diagnosis JSON, the maintenance traffic log,
the host traffic pcap, the Wireshark helper script, a README saying how to open the pcap, and
``manifest.sha256`` (``sha256sum -c`` format). docs/evidence.md describes it for people.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: pcap file name inside the bundle
PCAP_NAME = "host-traffic.pcap"
LUA_NAME = "cup-tpdu.lua"
#: Wireshark's iso8583 preferences for CUP-style messages (verified with tshark 4.0, tests/test_evidence.py)
ISO8583_PREFS = {
    "iso8583.len_endian": "Big endian",
    "iso8583.charset": "Digits represented in nibbles",
    "iso8583.binencode": "Bin data not encoded",
}
#: the TCP port whose "Decode As" entry lends the iso8583 dissector to cup-tpdu.lua on Wireshark 4.0
ISO8583_SPARE_PORT = 1
MSS = 1460
LINKTYPE_RAW = 101


# -- conversations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    """One TCP connection with at most one message each way, dated with the laptop's clock (Unix seconds)."""

    origin: str  # "terminal" (its own sign-on/settlement, as it reported it) or "laptop" (echo test)
    kind: str  # "sign-on", "settlement", "echo"
    client: str
    client_port: int
    server: str
    server_port: int
    outcome: str  # "ok", "refused", "timeout", "reset", "no-answer", "closed-mid-message", "declined", ...
    tls: str  # "off" or the TLS outcome: the bytes are then those inside TLS
    syn_at: float
    connected_at: float | None  # None: no connection (refused, timed out)
    sent_at: float | None
    sent: bytes
    received_at: float | None
    received: bytes
    closed_at: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sent"] = self.sent.hex().upper()
        d["received"] = self.received.hex().upper()
        return d


_NO_CONNECTION = ("refused", "timeout", "unreachable", "not-allowed", "dns-failure", "no-link", "not-configured")


def _get(x: Any, key: str, default: Any = None) -> Any:
    return x.get(key, default) if isinstance(x, dict) else getattr(x, key, default)


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return b""
    return b""


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def laptop_address() -> str:
    """The laptop's own address on its network (first up, non-loopback IPv4), else 127.0.0.1."""
    try:
        from .netcheck import local_network

        for iface in local_network().interfaces:
            if iface.is_up and not iface.is_loopback:
                for a in iface.ipv4:
                    if not a.startswith("169.254."):
                        return a
    except Exception:  # noqa: BLE001 - no interface list (sandbox): the loopback address stands in
        pass
    return "127.0.0.1"


def from_exchange(x: Any, kind: str = "sign-on") -> Conversation | None:
    """A terminal's HOST_EXCHANGE (``drivers.models.HostExchange`` or its ``to_dict()``) as a conversation."""
    remote = _get(x, "remote_address") or ""
    if not remote:
        return None
    base = (_get(x, "started_ms") or 0) / 1000
    outcome = _get(x, "outcome") or "ok"
    syn = (_get(x, "connect_at_ms") or 0) / 1000
    connect = syn + (_get(x, "connect_ms") or 0) / 1000
    sent_at = _get(x, "sent_at_ms")
    got_at = _get(x, "received_at_ms")
    closed = max((_get(x, "closed_at_ms") or 0) / 1000, connect)
    connected = outcome not in _NO_CONNECTION and _get(x, "local_port") is not None
    return Conversation(
        origin="terminal",
        kind=kind,
        client=_get(x, "local_address") or "0.0.0.0",
        client_port=int(_get(x, "local_port") or 0) or _ephemeral(remote, base + syn),
        server=remote,
        server_port=int(_get(x, "remote_port") or 0),
        outcome=outcome,
        tls=_get(x, "tls") or "off",
        syn_at=base + syn,
        connected_at=base + connect if connected else None,
        sent_at=base + sent_at / 1000 if sent_at is not None else None,
        sent=_bytes(_get(x, "sent")),
        received_at=base + got_at / 1000 if got_at is not None else None,
        received=_bytes(_get(x, "received")),
        closed_at=base + closed,
        note="" if connected else "no connection: the terminal's SYN and the host's answer to it (if any)",
    )


def from_echo(e: Any, *, laptop: str | None = None) -> Conversation | None:
    """The laptop's echo test (``hostcheck.EchoResult`` or its ``to_dict()``) as a conversation."""
    remote = _get(e, "remote_address") or ""
    request = _bytes(_get(e, "request_hex"))
    if not remote or not request and not _get(e, "local_port"):
        return None
    base = (_get(e, "started_ms") or 0) / 1000
    local = _get(e, "local_address") or ""
    note = ""
    if (not local or _is_loopback(local)) and not _is_loopback(remote):
        # the simulator's network map connects to loopback: show the laptop's own address
        local = laptop or laptop_address()
        note = "simulated host: the laptop's connection went to loopback; shown from the laptop's address"
    connect = (_get(e, "connect_ms") or 0) / 1000
    elapsed = (_get(e, "elapsed_ms") or 0) / 1000
    answer = _bytes(_get(e, "answer_hex"))
    port = _get(e, "local_port")
    return Conversation(
        origin="laptop",
        kind="echo",
        client=local,
        client_port=int(port or 0) or _ephemeral(remote, base),
        server=remote,
        server_port=int(_get(e, "port") or 0),
        outcome=_get(e, "outcome") or "",
        tls="off",  # the caller knows whether the host uses TLS (conversations, from_network_report)
        syn_at=base,
        connected_at=base + connect if port else None,
        sent_at=base + connect + 0.0005 if request and port else None,
        sent=request if port else b"",
        received_at=base + elapsed if answer else None,
        received=answer,
        closed_at=base + max(elapsed, connect) + 0.001,
        note=note,
    )


def _ephemeral(remote: str, base: float) -> int:
    digest = hashlib.sha256(f"{remote}{base}".encode()).digest()
    return 49152 + int.from_bytes(digest[:2], "big") % 16000


def _diagnosis_dict(diagnosis: Any) -> dict[str, Any]:
    if isinstance(diagnosis, dict):
        return diagnosis
    return diagnosis.to_dict()


def conversations(diagnosis: Any, *, laptop: str | None = None, also: Any = None) -> list[Conversation]:
    """The host traffic of a diagnosis (``Diagnosis`` or its JSON): the terminal's sign-on, the laptop's echoes.

    The proving sign-ons of repairs are included when ``diagnosis`` is the object (their results are not in the
    JSON). ``also``: a second diagnosis of the same visit (the re-run after a repair), merged in time order.
    """
    if also is not None:
        seen: dict[tuple, Conversation] = {}
        for c in conversations(diagnosis, laptop=laptop) + conversations(also, laptop=laptop):
            seen.setdefault((c.client, c.client_port, c.server, c.server_port, round(c.syn_at, 3)), c)
        return sorted(seen.values(), key=lambda c: c.syn_at)
    doc = _diagnosis_dict(diagnosis)
    out: list[Conversation] = []
    for check in doc.get("checks", []):
        observed = check.get("observed") or {}
        if check.get("id") == "host.signon" or check.get("id", "").endswith("signon"):
            out += [c for c in (from_exchange(x, "sign-on") for x in observed.get("traffic") or []) if c]
        if check.get("id") == "network.laptop":
            tls = {(h.get("host"), h.get("port")): h.get("tls_requested") for h in observed.get("hosts") or []}
            for e in observed.get("echo") or []:
                c = from_echo(e, laptop=laptop)
                if c is not None and tls.get((e.get("host"), e.get("port"))):
                    c = replace(c, tls="ok")  # the laptop's echo went inside TLS, as the terminal's would
                if c is not None:
                    out.append(c)
    for action in getattr(diagnosis, "actions_taken", []) or []:
        for kind, result in (
            ("settlement", getattr(action, "settlement_result", None)),
            ("sign-on", getattr(action, "sign_on_result", None)),
        ):
            out += [c for c in (from_exchange(x, kind) for x in getattr(result, "traffic", []) or []) if c]
    return sorted(out, key=lambda c: c.syn_at)


def from_network_report(report: Any, *, laptop: str | None = None) -> list[Conversation]:
    """The host traffic of ``techapp network`` (:class:`techapp.hostcheck.NetworkReport`)."""
    out: list[Conversation] = []
    if report.sign_on is not None:
        out += [c for c in (from_exchange(x, "sign-on") for x in report.sign_on.traffic) if c]
    tls = {(h.host, h.port): h.tls_requested for h in report.laptop}
    for e in report.echo:
        c = from_echo(e, laptop=laptop)
        if c is not None:
            out.append(replace(c, tls="ok") if tls.get((e.host, e.port)) else c)
    return sorted(out, key=lambda c: c.syn_at)


# -- masking card data in ISO 8583 messages --------------------------------------------------------

_CARD_FIELDS = ("2", "35", "36", "45")
_ZEROED_FIELDS = ("52", "55")
_ASCII_PAN = re.compile(rb"(?<![0-9])[0-9]{13,19}(?![0-9])")


def _mask_digits(text: str, fill: str) -> str:
    """A PAN or track: the PAN keeps its first 6 and last 4 digits, everything after the separator is filled."""
    m = re.match(r"^([0-9]*)([=Dd^].*)?$", text, re.S)
    if not m:
        return fill * len(text)
    pan, rest = m.group(1), m.group(2) or ""
    keep_head = 6 if len(pan) > 10 else 0
    masked = pan[:keep_head] + fill * (len(pan) - keep_head - 4) + pan[-4:] if len(pan) > 4 else fill * len(pan)
    return masked + (rest[:1] + fill * (len(rest) - 1) if rest else "")


def mask_wire(wire: bytes) -> bytes:
    """``wire`` (length + TPDU + header + ISO 8583) with card data masked; the length never changes.

    Decoded with the CUP spec: 2/35/36/45 keep the PAN's first 6 and last 4 digits (BCD digits become
    ``F``, text ``*``), 52 (PIN block) and 55 (chip data) become zeros. A message that does not decode
    (garbage, a cut answer) has every ASCII run of 13-19 digits masked the same way.
    """
    if len(wire) < 3:
        return wire
    from drivers.hostlink import cup

    try:
        message = cup.decode(wire[2:])
    except Exception:  # noqa: BLE001 - not a whole message: mask what looks like a PAN in text
        return _ASCII_PAN.sub(lambda m: _mask_digits(m.group(0).decode(), "*").encode(), wire)
    fields = dict(message.fields)
    changed = False
    for number in _CARD_FIELDS:
        value = fields.get(number)
        if value:
            binary = cup.SPEC.get(number, {}).get("data_enc") == "b"
            fields[number] = _mask_digits(value, "F" if binary else "*")
            changed = True
    for number in _ZEROED_FIELDS:
        value = fields.get(number)
        if value:
            binary = cup.SPEC.get(number, {}).get("data_enc") == "b"
            fields[number] = "0" * len(value) if binary else " " * len(value)
            changed = True
    if not changed:
        return wire
    try:
        out = cup.encode(cup.HostMessage(message.mti, fields, message.tpdu, message.header))
    except Exception:  # noqa: BLE001 - cannot re-encode: mask the text runs at least
        out = b""
    if len(out) != len(wire):
        return _ASCII_PAN.sub(lambda m: _mask_digits(m.group(0).decode(), "*").encode(), wire)
    return out


# -- pcap -------------------------------------------------------------------------------------------


def _isn(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def _packets(c: Conversation) -> list[Any]:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6

    v6 = ":" in c.client or ":" in c.server
    cli, srv = c.client, c.server
    if v6:  # an IPv4 peer of an IPv6 one (never in practice): map it
        cli = cli if ":" in cli else f"::ffff:{cli}"
        srv = srv if ":" in srv else f"::ffff:{srv}"

    def ip(src: str, dst: str):
        return IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst, flags="DF")

    out: list[Any] = []

    def add(when: float, from_client: bool, flags: str, seq: int, ack: int, data: bytes = b"") -> None:
        src, dst = (cli, srv) if from_client else (srv, cli)
        sport, dport = (c.client_port, c.server_port) if from_client else (c.server_port, c.client_port)
        pkt = ip(src, dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=65535)
        if data:
            pkt = pkt / data
        pkt.time = when
        out.append(pkt)

    cs = _isn("c", c.client, c.client_port, c.syn_at)
    ss = _isn("s", c.server, c.server_port, c.syn_at)
    add(c.syn_at, True, "S", cs, 0)
    if c.connected_at is None:
        if c.outcome in ("refused", "reset"):
            add(max(c.closed_at, c.syn_at + 0.0001), False, "RA", 0, cs + 1)
        return out
    t = max(c.connected_at, c.syn_at)
    add(t, False, "SA", ss, cs + 1)
    add(t + 0.00001, True, "A", cs + 1, ss + 1)
    cseq, sseq = cs + 1, ss + 1
    sent = mask_wire(c.sent)
    received = mask_wire(c.received)
    if sent:
        t = max(c.sent_at or t, t + 0.00002)
        for i in range(0, len(sent), MSS):
            chunk = sent[i : i + MSS]
            add(t, True, "PA", cseq, sseq, chunk)
            cseq += len(chunk)
            t += 0.00001
        add(t + 0.0001, False, "A", sseq, cseq)
    if received:
        t = max(c.received_at or t, t + 0.0002)
        for i in range(0, len(received), MSS):
            chunk = received[i : i + MSS]
            add(t, False, "PA", sseq, cseq, chunk)
            sseq += len(chunk)
            t += 0.00001
        add(t + 0.0001, True, "A", cseq, sseq)
    t = max(c.closed_at, t + 0.0002)
    if c.outcome == "reset":
        add(t, False, "RA", sseq, cseq)
        return out
    if c.outcome in ("closed-mid-message",):  # the host hung up first
        add(t, False, "FA", sseq, cseq)
        add(t + 0.0001, True, "FA", cseq, sseq + 1)
        add(t + 0.0002, False, "A", sseq + 1, cseq + 1)
    else:
        add(t, True, "FA", cseq, sseq)
        add(t + 0.0001, False, "FA", sseq, cseq + 1)
        add(t + 0.0002, True, "A", cseq + 1, sseq + 1)
    return out


def pcap_bytes(convs: Iterable[Conversation]) -> bytes:
    """The conversations as a pcap (link type 101, raw IPv4/IPv6: no made-up MAC addresses), in time order."""
    from scapy.utils import RawPcapWriter

    packets = [p for c in convs for p in _packets(c)]
    packets.sort(key=lambda p: float(p.time))
    buf = io.BytesIO()
    writer = RawPcapWriter(buf, linktype=LINKTYPE_RAW, sync=True)
    writer._write_header(None)  # noqa: SLF001 - an empty capture still needs its header
    for p in packets:
        when = float(p.time)
        sec = int(when)
        writer._write_packet(  # noqa: SLF001 - the public write() dates raw bytes with the current time
            bytes(p), linktype=LINKTYPE_RAW, sec=sec, usec=int(round((when - sec) * 1_000_000)) % 1_000_000
        )
    writer.flush()
    return buf.getvalue()


def write_pcap(convs: Iterable[Conversation], path: str | os.PathLike[str]) -> Path:
    """Write the conversations to ``path`` as a pcap, whole or not at all."""
    return _write_whole(Path(path), pcap_bytes(list(convs)))


def server_ports(convs: Iterable[Conversation]) -> list[int]:
    return sorted({c.server_port for c in convs if c.server_port})


def tshark_command(pcap: str, ports: Iterable[int], lua: str = LUA_NAME) -> list[str]:
    """The tshark command line that decodes the pcap's ISO 8583 (docs/evidence.md)."""
    args = ["tshark", "-X", f"lua_script:{lua}"]
    for port in ports:
        args += ["-d", f"tcp.port=={port},cuptpdu"]
    args += ["-d", f"tcp.port=={ISO8583_SPARE_PORT},iso8583"]
    for name, value in ISO8583_PREFS.items():
        args += ["-o", f"{name}:{value}"]
    return [*args, "-r", pcap]


def lua_script() -> str:
    from drivers.resources import resource_root

    return (resource_root() / "wireshark" / LUA_NAME).read_text(encoding="utf-8")


# -- the maintenance traffic log ---------------------------------------------------------------------


class MaintenanceLog:
    """A trace function for ``open_terminal(trace=...)``: every frame, login proofs masked (as the window's log)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, direction: str, kind: str, raw: bytes) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        if kind == "bad":
            shown = raw.decode("ascii", "replace")
        else:
            shown = _masked_hex(raw)
        self.lines.append(f"{stamp}  {direction}  {kind:<7} {shown}")

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


def _masked_hex(raw: bytes) -> str:
    from drivers.registry import masked_hex  # the one masking of the window's log and --trace

    return masked_hex(raw)


# -- escalation text -----------------------------------------------------------------------------------


def escalation_actions(diagnosis: Any) -> list[tuple[Any, Any]]:
    """(finding, action) for every escalation a finding offers (objects or JSON)."""
    doc_findings = diagnosis.findings if not isinstance(diagnosis, dict) else diagnosis.get("findings", [])
    out = []
    for f in doc_findings:
        for a in _get(f, "actions") or []:
            if _get(a, "kind") == "escalation":
                out.append((f, a))
    return out


def _lang_text(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return value.get(lang) or value.get("en") or ""
    if callable(value):
        return value(lang)
    return str(value)


def escalation_text(action: Any, lang: str, *, bundle: str | None = None) -> str:
    """The escalation's text ready to send (masked like the report), naming the bundle when there is one."""
    from .report.mask import clean

    text = _lang_text(_get(action, "text"), lang)
    recipient = _get(action, "recipient") or ""
    head = []
    if recipient:
        head.append(("To: " if lang == "en" else "收件方：") + recipient)
    tail = []
    if bundle:
        tail.append(("Evidence attached: " if lang == "en" else "附证据包：") + bundle)
    return clean("\n".join([*head, text, *tail]).strip() + "\n")


# -- the bundle -------------------------------------------------------------------------------------


class BundleError(Exception):
    """The bundle could not be made; nothing was written."""


def bundle_name(diagnosis: Any) -> str:
    """``SN_YYYYMMDD-HHMM.zip`` from the terminal's serial number and the diagnosis's start (laptop time)."""
    doc = _diagnosis_dict(diagnosis)
    sn = (doc.get("terminal") or {}).get("serial_number") or "unknown"
    sn = re.sub(r"[^A-Za-z0-9._-]", "_", str(sn))
    started = doc.get("started_at") or ""
    try:
        when = datetime.fromisoformat(str(started))
    except ValueError:
        when = datetime.now()
    return f"{sn}_{when:%Y%m%d-%H%M}.zip"


def _keep(doc: dict[str, Any]) -> tuple[str, ...]:
    t = doc.get("terminal") or {}
    wo = doc.get("work_order") or {}
    return tuple(
        str(v) for v in (t.get("serial_number"), t.get("tid"), t.get("mid"), wo.get("tid"), wo.get("mid")) if v
    )


def _clean_diagnosis(doc: dict[str, Any]) -> dict[str, Any]:
    from .report.mask import clean_tree

    return clean_tree(doc, _keep(doc))


def readme_text(doc: dict[str, Any], convs: list[Conversation], files: list[str], report_no: str | None) -> str:
    t = doc.get("terminal") or {}
    ports = server_ports(convs)
    cmd = " ".join(f'"{a}"' if " " in a else a for a in tshark_command(PCAP_NAME, ports))
    lines = [
        "techapp evidence bundle",
        "=======================",
        "",
        f"Terminal: {t.get('vendor', '')} {t.get('model', '')}, SN {t.get('serial_number', '')}, "
        f"TID {t.get('tid', '')}, MID {t.get('mid', '')}".replace("  ", " "),
        f"Diagnosis started: {doc.get('started_at', '')} (laptop time); outcome: {doc.get('outcome', '')}",
    ]
    if report_no:
        lines.append(
            f"Service report: {report_no} (report.pdf, report.json; `techapp verify report.json --pdf report.pdf`)"
        )
    headline = (doc.get("headline") or {}).get("en") if isinstance(doc.get("headline"), dict) else None
    if headline:
        lines.append(f"Headline: {headline}")
    lines += [
        "",
        "Files",
        "-----",
        *[f"  {name}" for name in files],
        "  manifest.sha256   SHA-256 of every file above (check with: sha256sum -c manifest.sha256)",
        "",
        f"Host traffic ({PCAP_NAME})",
        "-" * (15 + len(PCAP_NAME)),
        "TCP streams between the real addresses: the terminal's own sign-on (0800/0810) or settlement",
        "(0500/0510) as the terminal reported them over its maintenance link, and the laptop's echo tests",
        "(0820/0830, 60.3 = 301). Each message as on the wire: 2-byte length (big-endian), TPDU (5 bytes),",
        "message header (6 bytes), ISO 8583 (BCD numbers, binary bitmap). Times are the laptop's clock.",
        "",
        "Open it in Wireshark with the helper script (Wireshark's ISO 8583 dissector has no setting",
        "to skip the TPDU and header, the script does that and hands the rest to it):",
        "",
        f"  {cmd}",
        "",
        "In the Wireshark window:",
        "  1. start it as: wireshark -X lua_script:cup-tpdu.lua host-traffic.pcap",
        f"  2. Analyze > Decode As...: TCP port {', '.join(str(p) for p in ports) or 'HOSTPORT'} -> CUPTPDU,",
        f"     and TCP port {ISO8583_SPARE_PORT} -> ISO 8583 (this lends the dissector to the script on Wireshark 4.0)",
        "  3. Edit > Preferences > Protocols > ISO 8583:",
        *[f"       {name} = {value}" for name, value in ISO8583_PREFS.items()],
        "Fields then show as iso8583.mti, iso8583.bit11 (STAN), bit32, bit37, bit39 (response code),",
        "bit41 (TID), bit42 (MID). Wireshark's dissector reads field 60 (CUP: BCD, 60.3 = network",
        "management code 001/003/004 sign-on, 201 settlement, 301 echo) as text and flags it 'MALFORMED';",
        "the fields before it are right. The network management code is in 60.3, not in field 70.",
        "",
        "Connections",
        "-----------",
    ]
    for c in convs:
        what = {"sign-on": "0800/0810 sign-on", "settlement": "0500/0510 settlement", "echo": "0820/0830 echo test"}
        stamp = datetime.fromtimestamp(c.syn_at, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        lines.append(
            f"  {stamp} UTC  {c.origin:<8} {what.get(c.kind, c.kind):<22} {c.client}:{c.client_port} -> "
            f"{c.server}:{c.server_port}  connection {c.outcome}"
        )
        if c.tls != "off":
            lines.append("      TLS on this link: the pcap shows the messages inside it (the terminal reports them)")
        if c.note:
            lines.append(f"      {c.note}")
    if not convs:
        lines.append(
            "  none: no sign-on ran and the laptop sent no echo test (or the terminal does not report its traffic,"
            " or it was not asked for because the maintenance cable was noisy)"
        )
    lines += [
        "",
        "Masked",
        "------",
        "No maintenance password, no login proof (shown as ** in the maintenance log), no clear key: the",
        "report and the diagnosis show key check values only. Card numbers keep at most their first 6 and",
        "last 4 digits, also in the pcap: ISO 8583 fields 2, 35, 36 and 45 are masked in place (BCD digits",
        "become F, text *), 52 (PIN block) and 55 (chip data) are zeroed; message lengths are unchanged.",
        "Field 62 of an 0810 carries the new working keys encrypted under the terminal's master key with",
        "their check values: not clear keys, kept so that the check values can be compared.",
        "",
    ]
    return "\n".join(lines)


def _write_whole(path: Path, data: bytes) -> Path:
    from drivers.safeio import check_output_path

    path = check_output_path(path.absolute())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".techapp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def build_bundle(
    diagnosis: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    folder: str | os.PathLike[str] | None = None,
    report: dict[str, Any] | None = None,
    lang: str = "zh",
    maintenance_log: str | None = None,
    convs: list[Conversation] | None = None,
    pdf: bool = True,
    render: Callable[[dict[str, Any], Path, str], None] | None = None,
) -> Path:
    """Write the evidence bundle of ``diagnosis`` (a ``Diagnosis``, its JSON, or a history ``Visit``).

    ``path`` defaults to ``folder / bundle_name(diagnosis)``. ``report`` is the sealed report to
    include (made with the settings' technician when None); the PDF is rendered in ``lang``
    through :func:`techapp.report.render_pdf` unless ``pdf`` is False (``render`` replaces the
    renderer: tests). ``maintenance_log`` is the maintenance link's trace text (already masked,
    :class:`MaintenanceLog`); None writes a note that it was not recorded. Raises
    :class:`BundleError`; nothing is left behind then.
    """
    visit_report = None
    if hasattr(diagnosis, "diagnosis") and isinstance(getattr(diagnosis, "diagnosis", None), dict):
        visit_report = getattr(diagnosis, "report", None)
        diagnosis = diagnosis.diagnosis  # a history Visit
    doc = _diagnosis_dict(diagnosis)
    if convs is None:
        convs = conversations(diagnosis)
    if path is None:
        path = Path(folder or ".") / bundle_name(doc)
    path = Path(path)
    if not path.absolute().parent.is_dir():
        raise BundleError(f"cannot write {path}: folder {path.absolute().parent} does not exist")
    files: dict[str, bytes] = {}
    try:
        if report is None:
            report = visit_report
        if report is None:
            from .report.commands import make_report

            report = make_report(diagnosis)
        files["report.json"] = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        if pdf:
            with tempfile.TemporaryDirectory(prefix="techapp-bundle-") as tmp:
                target = Path(tmp) / "report.pdf"
                if render is not None:
                    render(report, target, lang)
                else:
                    from .report import render_pdf

                    render_pdf(report, target, lang=lang)
                files["report.pdf"] = target.read_bytes()
    except Exception as err:  # noqa: BLE001 - settings, renderer, disk: one error for the caller
        raise BundleError(f"the service report could not be made: {err}") from err
    files["diagnosis.json"] = (json.dumps(_clean_diagnosis(doc), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    log = maintenance_log
    if log is None:
        log = "Not recorded: this bundle was made from a saved diagnosis; the maintenance link was not traced.\n"
    from .report.mask import clean

    files["maintenance-log.txt"] = clean(log, _keep(doc)).encode("utf-8")
    files[PCAP_NAME] = pcap_bytes(convs)
    files[LUA_NAME] = lua_script().encode("utf-8")
    names = list(files)
    files["README.txt"] = readme_text(doc, convs, [*names, "README.txt"], report.get("report_no")).encode("utf-8")
    manifest = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())
    files["manifest.sha256"] = manifest.encode("ascii")
    buf = io.BytesIO()
    stamp = datetime.now().timetuple()[:6]
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, data)
    try:
        return _write_whole(path, buf.getvalue())
    except OSError as err:
        raise BundleError(f"cannot write {path}: {err.strerror or err}") from err


def verify_manifest(bundle: str | os.PathLike[str]) -> list[str]:
    """The names whose SHA-256 does not match the manifest (and files missing from it); [] when it holds."""
    bad: list[str] = []
    with zipfile.ZipFile(bundle) as z:
        listed: dict[str, str] = {}
        for line in z.read("manifest.sha256").decode("ascii").splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        for name in z.namelist():
            if name == "manifest.sha256":
                continue
            if listed.get(name) != hashlib.sha256(z.read(name)).hexdigest():
                bad.append(name)
        bad += [n for n in listed if n not in z.namelist()]
    return bad


__all__ = [
    "Conversation",
    "MaintenanceLog",
    "BundleError",
    "build_bundle",
    "bundle_name",
    "conversations",
    "escalation_actions",
    "escalation_text",
    "from_echo",
    "from_exchange",
    "from_network_report",
    "mask_wire",
    "pcap_bytes",
    "tshark_command",
    "verify_manifest",
    "write_pcap",
]


# -- the command line ------------------------------------------------------------------------------


def _say_error(message: str) -> None:
    import sys

    print(f"techapp: {message}", file=sys.stderr)


def bundle_target(target: str | os.PathLike[str], diagnosis: Any) -> Path:
    """``--bundle`` given a folder: ``SN_YYYYMMDD-HHMM.zip`` in it; else the file named."""
    path = Path(target)
    return path / bundle_name(diagnosis) if path.is_dir() else path


def cli_bundle(
    diagnosis: Any,
    target: str | os.PathLike[str],
    *,
    lang: str,
    report: dict[str, Any] | None = None,
    maintenance_log: str | None = None,
    convs: list[Conversation] | None = None,
) -> int:
    """``--bundle FILE.zip`` (or a folder) of ``techapp diagnose`` / ``techapp report``: 0 written, 2 not."""
    import sys

    path = bundle_target(target, diagnosis)
    try:
        written = build_bundle(diagnosis, path, report=report, lang=lang, maintenance_log=maintenance_log, convs=convs)
    except BundleError as err:
        _say_error(f"no evidence bundle: {err}")
        return 2
    print(f"evidence bundle: {written}", file=sys.stderr)
    return 0


def cli_host_trace(convs: list[Conversation], target: str | os.PathLike[str]) -> int:
    """``--host-trace FILE``: the host traffic as a pcap; 0 written, 2 not."""
    import sys

    try:
        written = write_pcap(convs, target)
    except OSError as err:
        _say_error(f"cannot write {target}: {err.strerror or err}")
        return 2
    ports = server_ports(convs)
    print(
        f"host traffic: {written} ({len(convs)} connections; open with: {' '.join(tshark_command(str(written), ports))}"
        f", {LUA_NAME} from the evidence bundle or resources/wireshark/)",
        file=sys.stderr,
    )
    return 0


def cli_evidence(
    diagnosis: Any, args: Any, lang: str, maintenance_log: MaintenanceLog | None, *, before: Any = None
) -> int:
    """``techapp diagnose --host-trace FILE --bundle FILE.zip``: 0 when all asked for is written, else 2.

    ``before`` is the diagnosis before a repair: its sign-on (the fault) goes in with the re-run's.
    """
    code = 0
    convs = conversations(before, also=diagnosis) if before is not None else conversations(diagnosis)
    if getattr(args, "host_trace", None):
        code = max(code, cli_host_trace(convs, args.host_trace))
    if getattr(args, "bundle", None):
        report = None
        if getattr(args, "report", None):  # the report just written: the bundle carries the same one
            try:
                report = json.loads(Path(args.report).with_suffix(".json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                report = None
        log = maintenance_log.text() if maintenance_log is not None else None
        code = max(code, cli_bundle(diagnosis, args.bundle, lang=lang, report=report, maintenance_log=log, convs=convs))
    return code
