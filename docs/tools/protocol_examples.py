"""Regenerate the worked examples of docs/protocol.md from real traffic.

techapp's driver (:class:`drivers.maint.driver.MaintenanceDriver`) talks to the
simulated terminal over an in-process cable (:func:`drivers.sim.ports.cable`,
the terminal served by :func:`drivers.sim.server.run_session` as in
production), with the nonces fixed to those of §8.1 and the terminal clock
pinned to 2026-11-25 10:30:00, so every run produces the same bytes. The
laptop's link trace is rendered as the annotated ``frame`` blocks of the doc.

Each rendered example sits in docs/protocol.md between
``<!-- example: NAME -->`` and ``<!-- /example -->``;
tests/test_protocol_doc.py checks that they are byte-identical, so a code
change that alters the wire format fails a test until the doc is regenerated
(and reviewed).

Usage (from the repository root)::

    .venv/bin/python docs/tools/protocol_examples.py                 # print every example
    .venv/bin/python docs/tools/protocol_examples.py hello login     # print some
    .venv/bin/python docs/tools/protocol_examples.py --check         # exit 1 if the doc differs
    .venv/bin/python docs/tools/protocol_examples.py --write-doc     # rewrite the marked examples
    .venv/bin/python docs/tools/protocol_examples.py --write-golden  # rewrite tests/data/frames.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from drivers import tlv
from drivers.errors import TerminalError
from drivers.framing import encode_frame
from drivers.maint import auth
from drivers.maint import protocol as proto
from drivers.maint.driver import MaintenanceDriver
from drivers.maint.protocol import (
    RESPONSE_BIT,
    TAG_KINDS,
    Command,
    Kind,
    Status,
    Tag,
    decode_message,
    encode_message,
    encode_value,
)
from drivers.sim import terminal as sim_terminal
from drivers.sim.ports import cable
from drivers.sim.scenario import Scenario
from drivers.sim.server import run_session

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "protocol.md"
GOLDEN = REPO / "tests" / "data" / "frames.json"

FIXED_NOW = datetime(2026, 11, 25, 10, 30, 0)
NONCE_TERMINAL = bytes(range(0x00, 0x10))  # Nt of §8.1
NONCE_CLIENT = bytes(range(0x10, 0x20))  # Nc of §8.1
PASSWORD = "demo-2026"
TERMINAL_THREAD = "doc-example-terminal"

#: The terminal of the examples: the data of the shipped ``healthy`` scenario, pinned
#: here so that editing a scenario file does not change the protocol doc.
TERMINAL = """
format = 1
name = "protocol.md examples (data of the healthy scenario)"

[identity]
vendor = "PAX"
model = "S90"
serial_number = "82412345"
hardware_revision = "S90-V04"
os_version = "Prolin 2.6.41"
firmware_version = "PayDroid FW 2.6.41"
app_name = "UnionPay POS"
app_version = "V3.2.15"
emv_contact_kernel = "EMV L2 C-1 4.3j"
emv_contactless_kernel = "qPBOC 3.0 / Visa K3 2.10"

[parameters]
tid = "12345678"
mid = "123456789012345"
merchant_name = "示例便利店 Demo Corner Shop"
acquirer_id = "48020000"
primary_host = "10.20.30.40"
primary_port = 5000
backup_host = "10.20.30.41"
backup_port = 5000
tls = false
tpdu = "6000030000"
header_status = "normal"
comm_mode = "ethernet"
apn = ""
wifi_ssid = ""
dns_primary = "114.114.114.114"
dns_secondary = "8.8.8.8"
connect_timeout_s = 30
response_timeout_s = 60
stan = 1208
batch = 37

[keys]
scheme = "ms-double"
active_tmk_index = 0
last_sign_on = 2026-11-25T08:02:11

[[keys.tmk]]
index = 0
key = "0123456789ABCDEFFEDCBA9876543210"

[[keys.working]]
type = "pik"
key = "F039121BEC83D26B169BDCD5B22AAF8F"
loaded_at = 2026-11-25T08:02:11

[[keys.working]]
type = "mak"
key = "1C4A7F2B3D5E6A7B0000000000000000"
loaded_at = 2026-11-25T08:02:11

[hardware]
printer = "ok"
paper = "ok"
cover = "closed"
head_temp_c = 34
magstripe = "ok"
ic_reader = "ok"
contactless = "ok"
keypad = "ok"
display = "ok"
tamper = "ok"
storage_total_kb = 65536
storage_free_kb = 41210
clock_offset_s = 0

[hardware.battery]
present = true
level_pct = 86
health_pct = 93
cycles = 212
charging = true

[counters]
unsettled_transactions = 0
pending_reversal = false
transaction_log_used = 0
transaction_log_capacity = 1500

[[logs.response_codes]]
time = 2026-11-25T08:02:11
code = "00"
text = "签到成功 sign-on approved"

[[logs.response_codes]]
time = 2026-11-25T09:15:40
code = "00"
text = "消费 sale approved"

[[logs.errors]]
time = 2026-11-20T17:44:02
code = "PRN-01"
text = "打印机缺纸 printer out of paper (paper replaced)"

[maintenance]
password = "demo-2026"
max_attempts = 5
lockout_s = 300
session_timeout_s = 600
kdf_iterations = 20000

[self_tests.printer]
duration_s = 1.5

# (no [self_tests.keypad] press_after_s: nobody presses keys, the keypad example ends by CANCEL)

[link]
line_baud = 115200
pace = false
processing_latency_ms = 5
reboot_s = 2.0
"""

#: Variants of the example terminal: tables merged over the pinned data.
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "healthy": {},
    "tid-typo": {"parameters": {"tid": "12345687"}},  # as the shipped demo-97 scenario
    "unsettled": {"counters": {"unsettled_transactions": 3}},
    "no-paper": {"hardware": {"paper": "out"}},
}

Event = tuple[str, str, bytes]  # direction "tx"/"rx", kind "frame"/"ack"/"nak"/"bad", raw (a frame's DATA)


# -- capture ------------------------------------------------------------------------------


def terminal_scenario(variant: str = "healthy") -> Scenario:
    data = tomllib.loads(TERMINAL)
    for table, values in VARIANTS[variant].items():
        data[table] = {**data[table], **values}
    return Scenario.model_validate(data)


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Fixed nonces (Nt for the terminal, Nc for the laptop) and a fixed terminal clock; restored after."""
    saved_nonce, saved_now = auth.new_nonce, sim_terminal.SimulatedTerminal.now

    def nonce() -> bytes:
        return NONCE_TERMINAL if threading.current_thread().name == TERMINAL_THREAD else NONCE_CLIENT

    auth.new_nonce = nonce
    sim_terminal.SimulatedTerminal.now = lambda self: FIXED_NOW
    try:
        yield
    finally:
        auth.new_nonce = saved_nonce
        sim_terminal.SimulatedTerminal.now = saved_now


@contextlib.contextmanager
def progress_interval(seconds: float) -> Iterator[None]:
    """Space the terminal's progress frames out, so that no progress frame falls between
    the requests of an example made of several requests during one self-test."""
    saved = sim_terminal.PROGRESS_INTERVAL
    sim_terminal.PROGRESS_INTERVAL = seconds
    try:
        yield
    finally:
        sim_terminal.PROGRESS_INTERVAL = saved


class Recorder:
    """Collects the laptop's link trace under the name of the example being captured."""

    def __init__(self) -> None:
        self.examples: dict[str, list[Event]] = {}
        self._current: list[Event] = []

    def trace(self, direction: str, kind: str, raw: bytes) -> None:
        self._current.append((direction, kind, bytes(raw)))

    def start(self, name: str | None) -> None:
        """Record into example ``name`` from now on (None: record nothing)."""
        self._current = []
        if name is not None:
            assert name not in self.examples, f"example {name} captured twice"
            self.examples[name] = self._current


@contextlib.contextmanager
def connection(recorder: Recorder, variant: str = "healthy") -> Iterator[MaintenanceDriver]:
    """A driver connected by an in-process cable to a fresh terminal served as in production."""
    terminal = sim_terminal.SimulatedTerminal(terminal_scenario(variant))
    laptop_end, terminal_end = cable()
    stop = threading.Event()
    thread = threading.Thread(target=run_session, args=(terminal, terminal_end, stop), name=TERMINAL_THREAD)
    thread.start()
    driver = MaintenanceDriver(laptop_end, trace=recorder.trace)
    try:
        yield driver
    finally:
        recorder.start(None)
        stop.set()
        laptop_end.close()
        thread.join(5)
        assert not thread.is_alive(), "the simulated terminal did not stop"


def send_raw(
    d: MaintenanceDriver,
    command: int,
    items: list[tuple[Tag, Any]] | tuple = (),
    *,
    seq: int | None = None,
    version: int = 1,
    data: bytes | None = None,
    answer: bool = True,
) -> bytes | None:
    """Send a request the driver's API would not send (wrong version, malformed, repeated SEQ).

    ``data``, when given, is sent as it is (``command`` and ``items`` are then unused).
    """
    if data is None:
        data = encode_message(command, d._next_seq() if seq is None else seq, list(items), version=version)
    d._link.send(data)
    return d._link.receive(5.0) if answer else None


def refused(call: Callable[[], Any]) -> TerminalError:
    try:
        call()
    except TerminalError as err:
        return err
    raise AssertionError("the terminal should have refused")


def capture() -> dict[str, list[Event]]:
    """Run every example against the simulator; returns the laptop's trace per example."""
    rec = Recorder()
    ex = rec.start
    with pinned():
        with connection(rec) as d:  # one connection: SEQ 1 .. 38
            ex("hello")
            d.hello()
            ex("get_identity")
            d.identity()
            ex("login_required")
            refused(d.parameters)
            ex("login")
            d.login(PASSWORD)
            ex("get_parameters")
            d.parameters()
            ex("get_key_status")
            d.key_status()
            ex("get_hardware")
            d.hardware()
            ex("get_counters")
            d.counters()
            ex("get_log")
            d.read_log("errors")
            ex("get_log_offset")
            send_raw(d, Command.GET_LOG, [(Tag.LOG_KIND, 1), (Tag.LOG_OFFSET, 1)])
            ex("duplicate_seq")
            seq = d._next_seq()
            send_raw(d, Command.GET_COUNTERS, seq=seq)
            send_raw(d, Command.GET_COUNTERS, seq=seq)
            ex("self_test_printer")
            d.self_test("printer", timeout_s=30)
            ex("self_test_cancel")
            with progress_interval(10.0):
                test = encode_message(Command.SELF_TEST, d._next_seq(), [(Tag.TEST_KIND, 3), (Tag.TEST_TIMEOUT, 30)])
                send_raw(d, 0, data=test, answer=False)
                d._link.receive(5.0)  # the first progress frame
                send_raw(d, 0, data=test, answer=False)  # a byte-identical repeat: ACKed, then ignored
                send_raw(d, Command.GET_COUNTERS)  # BUSY
                send_raw(d, Command.CANCEL)  # the CANCEL response
                final = decode_message(d._link.receive(5.0))
                assert final.command == Command.SELF_TEST | RESPONSE_BIT and final.status == Status.OK, final
            ex("set_clock")
            d.set_clock(FIXED_NOW)
            ex("print_text")
            d.print_text(["TECHAPP TEST PRINT", "line 2"])
            ex("param_abort")
            txn = d._request(Command.PARAM_BEGIN, action="example").get(Tag.TXN_ID)
            d._request(Command.PARAM_ABORT, [(Tag.TXN_ID, txn)], action="example")
            ex("no_transaction")
            refused(lambda: d._request(Command.PARAM_COMMIT, [(Tag.TXN_ID, 99)], action="example"))
            ex("param_invalid")
            refused(lambda: d.set_parameters({"tid": "1234567"}))
            ex("param_commit_invalid")
            refused(lambda: d.set_parameters({"comm_mode": "cellular"}))
            ex("missing_field")
            refused(lambda: d._request(Command.GET_LOG, [], action="example"))
            ex("unknown_command")
            send_raw(d, 0x50)
            ex("malformed")
            seq = d._next_seq()
            send_raw(d, 0, data=bytes([1, Command.GET_LOG, seq, 0, 0x74, 0x00, 0x05, 0x01]))
            ex("unsupported_version")
            send_raw(d, Command.GET_IDENTITY, version=2)
            ex("hello_v2_only")
            send_raw(d, Command.HELLO, [(Tag.SUPPORTED_VERSIONS, b"\x02"), (Tag.CLIENT_NAME, "techapp")])
            ex("logout")
            d.logout()
            ex("no_challenge")
            send_raw(d, Command.LOGIN, [(Tag.NONCE_CLIENT, NONCE_CLIENT), (Tag.CLIENT_PROOF, bytes(32))])
            ex(None)
            d.login(PASSWORD)
            ex("reboot")
            d.reboot()

        with connection(rec, "tid-typo") as d:
            d.hello()
            d.login(PASSWORD)
            ex("param_commit")
            d.set_parameters({"tid": "12345678"})

        with connection(rec, "unsettled") as d:
            d.login(PASSWORD)
            ex("param_unsettled")
            refused(lambda: d.set_parameters({"tid": "12345678"}))

        with connection(rec, "no-paper") as d:
            d.login(PASSWORD)
            ex("print_no_paper")
            refused(lambda: d.print_text(["TECHAPP TEST PRINT"]))

        with connection(rec) as d:
            ex("login_wrong")
            refused(lambda: d.login("demo-2025"))
            ex(None)
            for _ in range(3):
                refused(lambda: d.login("demo-2025"))
            ex("login_locked")
            refused(lambda: d.login("demo-2025"))
            ex("challenge_locked")
            refused(lambda: d.login(PASSWORD))

        with connection(rec) as d:
            d.login(PASSWORD)
            ex("param_trailing_newline")
            refused(lambda: d.set_parameters({"tid": "12345678\n"}))
            ex("param_long_value")
            refused(lambda: d.set_parameters({"primary_host": "https://pos-gateway.acquirer.example.com:5000"}))
            ex("param_stage_twice")
            txn = d._request(Command.PARAM_BEGIN, action="example").get(Tag.TXN_ID)
            send_raw(d, Command.PARAM_STAGE, [(Tag.TXN_ID, txn), (Tag.TID, "12345678"), (Tag.TID, "12345687")])
            d._request(Command.PARAM_ABORT, [(Tag.TXN_ID, txn)], action="example")
            ex("set_clock_bad_date")
            refused(lambda: d._request(Command.SET_CLOCK, [(Tag.CLOCK, "20261131103000")], action="example"))
    return rec.examples


class Block(NamedTuple):
    """One example as shown in the doc: events ``start:stop`` of a captured example."""

    name: str
    capture: str
    start: int = 0
    stop: int | None = None


#: The examples in the order of the doc.
BLOCKS = [
    Block("hello", "hello"),
    Block("login_challenge", "login", 0, 4),
    Block("login", "login", 4),
    Block("login_wrong", "login_wrong", 4),
    Block("login_locked", "login_locked", 4),
    Block("challenge_locked", "challenge_locked"),
    Block("no_challenge", "no_challenge"),
    Block("logout", "logout"),
    Block("get_identity", "get_identity"),
    Block("login_required", "login_required"),
    Block("get_parameters", "get_parameters"),
    Block("get_key_status", "get_key_status"),
    Block("get_hardware", "get_hardware"),
    Block("get_counters", "get_counters"),
    Block("get_log", "get_log"),
    Block("get_log_offset", "get_log_offset"),
    Block("self_test_printer", "self_test_printer"),
    Block("self_test_cancel", "self_test_cancel"),
    Block("param_commit", "param_commit", 0, 12),  # BEGIN, STAGE, COMMIT (not the read-back)
    Block("param_invalid", "param_invalid", 4),  # STAGE refused, ABORT
    Block("param_trailing_newline", "param_trailing_newline", 4, 8),
    Block("param_long_value", "param_long_value", 4, 8),
    Block("param_stage_twice", "param_stage_twice", 4, 8),
    Block("param_commit_invalid", "param_commit_invalid", 4),  # STAGE, COMMIT refused, ABORT
    Block("param_unsettled", "param_unsettled"),
    Block("param_abort", "param_abort"),
    Block("no_transaction", "no_transaction"),
    Block("set_clock", "set_clock"),
    Block("print_text", "print_text"),
    Block("print_no_paper", "print_no_paper"),
    Block("reboot", "reboot"),
    Block("duplicate_seq", "duplicate_seq"),
    Block("unknown_command", "unknown_command"),
    Block("malformed", "malformed"),
    Block("set_clock_bad_date", "set_clock_bad_date"),
    Block("unsupported_version", "unsupported_version"),
    Block("hello_v2_only", "hello_v2_only"),
    Block("missing_field", "missing_field"),
]


def block_events(block: Block, examples: dict[str, list[Event]]) -> list[Event]:
    return examples[block.capture][block.start : block.stop]


# -- rendering ------------------------------------------------------------------------------

COMMENT_COLUMN = 56  # where the explanation starts on a line of a frame block

#: Enumerated tags -> their enum, to show "1 = ETHERNET".
ENUM_OF_TAG: dict[Tag, type] = {
    Tag.KEY_SCHEME: proto.KeyScheme,
    Tag.KEY_TYPE: proto.KeyType,
    Tag.HEADER_STATUS: proto.HeaderStatus,
    Tag.COMM_MODE: proto.CommMode,
    Tag.PRINTER_STATE: proto.DeviceState,
    Tag.MAGSTRIPE_STATE: proto.DeviceState,
    Tag.IC_STATE: proto.DeviceState,
    Tag.CONTACTLESS_STATE: proto.DeviceState,
    Tag.KEYPAD_STATE: proto.DeviceState,
    Tag.DISPLAY_STATE: proto.DeviceState,
    Tag.PRINTER_PAPER: proto.PaperState,
    Tag.PRINTER_COVER: proto.CoverState,
    Tag.TAMPER_STATE: proto.TamperState,
    Tag.LOG_KIND: proto.LogKind,
    Tag.TEST_KIND: proto.TestKind,
    Tag.TEST_RESULT: proto.TestResult,
    Tag.CARD_TYPE: proto.CardType,
}


def hx(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


def _line(hex_part: str, comment: str = "", indent: int = 0) -> str:
    left = " " * indent + hex_part
    if not comment:
        return left
    return left + " " * max(COMMENT_COLUMN - len(left), 2) + comment


def command_name(code: int) -> str:
    base = code & ~RESPONSE_BIT
    name = Command(base).name if base in Command._value2member_map_ else "unknown command"
    return name + (" response" if code & RESPONSE_BIT else " request")


def _shown_value(tag: Tag, raw: bytes) -> str:
    kind = TAG_KINDS[tag]
    if kind is Kind.STR:
        return json.dumps(raw.decode("utf-8"), ensure_ascii=False)
    if kind in (Kind.UINT, Kind.INT):
        n = int.from_bytes(raw, "big", signed=kind is Kind.INT)
        enum_cls = ENUM_OF_TAG.get(tag)
        if enum_cls is not None and n in enum_cls._value2member_map_:
            return f"{n} = {enum_cls(n).name}"
        if tag == Tag.ERROR_FIELD and n in Tag._value2member_map_:
            return f"{n} = tag {n:02X} {Tag(n).name}"
        return str(n)
    if kind is Kind.BOOL:
        return "true" if raw == b"\x01" else "false"
    if kind is Kind.BYTES:
        return hx(raw) if 0 < len(raw) <= 8 else ""
    if kind is Kind.TIME:
        t = raw.decode("ascii")
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"
    return ""


def _field_lines(body: bytes, indent: int) -> list[str]:
    out = []
    for code, raw in tlv.decode(body):
        head = bytes([code]) + len(raw).to_bytes(2, "big")
        if code not in Tag._value2member_map_:
            out.append(_line(hx(head + raw), f"unknown tag {code:02X}", indent))
            continue
        tag = Tag(code)
        kind = TAG_KINDS[tag]
        label = f"{tag.name} ({kind.name}), {len(raw)} byte{'' if len(raw) == 1 else 's'}"
        if kind is Kind.LIST:
            out.append(_line(hx(head), label + ", containing:", indent))
            out += _field_lines(raw, indent + 3)
            continue
        value = _shown_value(tag, raw)
        if len(head) + len(raw) <= 16:
            out.append(_line(hx(head + raw), f"{label}: {value}" if value else label, indent))
        else:
            out.append(_line(hx(head), f"{label}: {value}" if value else label + ":", indent))
            out += [_line(hx(raw[i : i + 16]), "", indent + 3) for i in range(0, len(raw), 16)]
    return out


def frame_block(data: bytes) -> str:
    """A ```frame block: the frame around ``data``, one field per line, explained."""
    frame = encode_frame(data)
    n = len(data)
    lines = [_line("02", "STX"), _line(hx(frame[1:3]), f"LEN: BCD {n:04d} = {n} bytes of DATA")]
    if n >= 4:
        version, command, seq, status = data[:4]
        status_name = Status(status).name if status in Status._value2member_map_ else "?"
        lines.append(
            _line(
                hx(data[:4]),
                f"header: VER {version}, CMD {command:02X} = {command_name(command)}, SEQ {seq}, "
                f"STATUS {status:02X} {status_name}",
            )
        )
        try:
            lines += _field_lines(data[4:], 3)
        except tlv.TLVError as err:
            lines.append(_line(hx(data[4:]), f"TLV bytes (malformed: {err})", 3))
    else:
        lines.append(_line(hx(data), "DATA"))
    lines += [_line("03", "ETX"), _line(f"{frame[-1]:02X}", "LRC (XOR of LEN .. ETX)")]
    return "```frame\n" + "\n".join(lines) + "\n```"


def render(events: list[Event]) -> str:
    """An exchange as in the doc: arrow, what it is, the frame; ACK/NAK as one line."""
    parts = []
    for direction, kind, raw in events:
        arrow = "**→**" if direction == "tx" else "**←**"
        if kind == "frame":
            try:
                msg = decode_message(raw)
                what = f"{command_name(msg.command)}, SEQ {msg.seq}, {Status(msg.status).name}"
            except Exception:
                what = f"{command_name(raw[1])} (malformed), SEQ {raw[2]}"
            parts.append(f"{arrow} {what}\n\n{frame_block(raw)}\n")
        elif kind == "ack":
            parts.append(f"{arrow} `06` ACK\n")
        elif kind == "nak":
            parts.append(f"{arrow} `15` NAK\n")
        else:
            raise AssertionError(f"unexpected {kind} in an example: {raw!r}")
    return "\n".join(parts)


#: Integers in the examples of §5.2 (UINT and INT encodings).
INTEGERS: list[tuple[str, int]] = [
    ("0", 0),
    ("34", 34),
    ("127", 127),
    ("128", 128),
    ("255", 255),
    ("256", 256),
    ("20000", 20000),
    ("2⁶³ − 1", 2**63 - 1),
    ("2⁶⁴ − 1", 2**64 - 1),
    ("−1", -1),
    ("−5", -5),
    ("−128", -128),
    ("−129", -129),
    ("−200", -200),
    ("−2⁶³", -(2**63)),
]


def integer_table() -> str:
    def cell(tag: Tag, value: int) -> str:
        try:
            return f"`{hx(encode_value(tag, value))}`"
        except ValueError:
            return "—"

    rows = ["| Value | UINT | INT |", "|---|---|---|"]
    rows += [f"| {shown} | {cell(Tag.STAN, n)} | {cell(Tag.PRINTER_HEAD_TEMP, n)} |" for shown, n in INTEGERS]
    return "\n".join(rows) + "\n"


def generate(examples: dict[str, list[Event]] | None = None) -> dict[str, str]:
    """Every marked block of the doc, rendered: name -> text (the exchanges, then ``integers``)."""
    examples = capture() if examples is None else examples
    out = {b.name: render(block_events(b, examples)) for b in BLOCKS}
    out["integers"] = integer_table()
    return out


# -- the doc's markers --------------------------------------------------------------------------

MARKED = re.compile(r"^<!-- example: ([\w-]+) -->\n(.*?)\n<!-- /example -->$", re.MULTILINE | re.DOTALL)


def doc_blocks(text: str) -> dict[str, str]:
    """The marked blocks of the doc: name -> text between the markers."""
    found: dict[str, str] = {}
    for match in MARKED.finditer(text):
        assert match.group(1) not in found, f"example {match.group(1)} is marked twice"
        found[match.group(1)] = match.group(2)
    return found


def update_doc(text: str, blocks: dict[str, str]) -> str:
    missing = set(blocks) - set(doc_blocks(text))
    if missing:
        raise SystemExit(f"docs/protocol.md has no marker for: {', '.join(sorted(missing))}")
    return MARKED.sub(lambda m: f"<!-- example: {m.group(1)} -->\n{blocks[m.group(1)]}\n<!-- /example -->", text)


# -- tests/data/frames.json -----------------------------------------------------------------------

GOLDEN_DESCRIPTION = (
    "Golden byte vectors of the UnionPay-style ECR framing (STX | LEN 2-byte BCD | DATA | ETX | LRC) and of "
    "maintenance protocol v1 messages. 'messages' holds every frame of the worked examples in docs/protocol.md, "
    "captured from techapp's driver talking to the simulated terminal, with the decoded meaning. Field values: "
    "STR/TIME as strings, UINT/INT as numbers, BOOL as true/false, BYTES as upper-case hex, LIST as nested "
    "[name, value] pairs. Generated by docs/tools/protocol_examples.py --write-golden."
)

FRAMING_VECTORS = [
    ("reference-hello", b"HELLO", "pos-domain.md section 7.1 reference vector: DATA is ASCII HELLO, LRC 44", True),
    ("empty", b"", "no DATA: LEN 00 00, LRC = 00^00^03 = 03", True),
    (
        "control-bytes-in-data",
        bytes.fromhex("02030615"),
        "STX, ETX, ACK and NAK values inside DATA are plain data; the LRC is 15 (the NAK value)",
        True,
    ),
    ("bcd-length-18", bytes(range(18)), "18 bytes of DATA: LEN is BCD 00 18, not binary 00 12", False),
    (
        "max-length",
        bytes(i % 256 for i in range(2048)),
        "MAX_DATA_LEN = 2048 bytes of DATA (bytes 00..FF repeated): LEN 20 48",
        False,
    ),
]

BAD_FRAMES = [
    {
        "name": "bad-lrc",
        "stream_hex": "020005484548484F0345",
        "reason": "LRC mismatch",
        "meaning": "reference frame with DATA changed and the LRC byte wrong: BadFrame, the whole frame is dropped",
    },
    {
        "name": "len-not-bcd",
        "stream_hex": "02001A" + "00" * 26 + "03",
        "reason": "not BCD",
        "meaning": "LEN 00 1A has a nibble A: BadFrame, only the STX is dropped",
    },
    {
        "name": "oversize",
        "stream_hex": "022049",
        "reason": "exceeds",
        "meaning": "LEN 2049 > MAX_DATA_LEN: BadFrame as soon as LEN is known",
    },
    {
        "name": "no-etx",
        "stream_hex": "020005484558484F0444",
        "reason": "no ETX",
        "meaning": "the byte where the length says ETX must be is 04: BadFrame, only the STX is dropped",
    },
]


def _json_value(tag: Tag, value: Any) -> Any:
    kind = TAG_KINDS[tag]
    if kind is Kind.BYTES:
        return value.hex().upper()
    if kind is Kind.LIST:
        return [[t.name, _json_value(t, v)] for t, v in value]
    return value


def golden(examples: dict[str, list[Event]]) -> dict[str, Any]:
    """The content of tests/data/frames.json: each distinct frame of the examples once, in doc order."""
    messages: list[dict[str, Any]] = []
    seen: set[bytes] = set()
    for block in BLOCKS:
        for direction, kind, raw in block_events(block, examples):
            if kind != "frame" or raw in seen:
                continue
            seen.add(raw)
            entry: dict[str, Any] = {
                "example": block.capture,
                "direction": "laptop->terminal" if direction == "tx" else "terminal->laptop",
                "data_hex": raw.hex().upper(),
                "frame_hex": encode_frame(raw).hex().upper(),
            }
            try:
                msg = decode_message(raw)
            except Exception as err:
                entry["decode_error"] = type(err).__name__
                entry["header"] = {"version": raw[0], "command": raw[1], "seq": raw[2], "status": raw[3]}
            else:
                base = msg.command & ~RESPONSE_BIT
                entry["message"] = {
                    "version": msg.version,
                    "command": Command(base).name if base in Command._value2member_map_ else base,
                    "response": msg.is_response,
                    "seq": msg.seq,
                    "status": Status(msg.status).name,
                    "fields": [[t.name, _json_value(t, v)] for t, v in msg.fields],
                }
            messages.append(entry)
    framing = [
        {"name": name, "data_hex": data.hex().upper(), "meaning": meaning, "in_doc": in_doc}
        | {"frame_hex": encode_frame(data).hex().upper()}
        for name, data, meaning, in_doc in FRAMING_VECTORS
    ]
    return {"description": GOLDEN_DESCRIPTION, "framing": framing, "bad_frames": BAD_FRAMES, "messages": messages}


def golden_text(examples: dict[str, list[Event]]) -> str:
    return json.dumps(golden(examples), ensure_ascii=False, indent=1) + "\n"


# -- command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="examples to print (default: all)")
    parser.add_argument("--check", action="store_true", help="compare with docs/protocol.md; exit 1 on a difference")
    parser.add_argument("--write-doc", action="store_true", help="rewrite the marked examples in docs/protocol.md")
    parser.add_argument("--write-golden", action="store_true", help="rewrite tests/data/frames.json")
    args = parser.parse_args(argv)

    examples = capture()
    blocks = generate(examples)
    unknown = set(args.names) - set(blocks)
    if unknown:
        parser.error(f"unknown example(s) {', '.join(sorted(unknown))}; known: {', '.join(blocks)}")
    doc = DOC.read_text(encoding="utf-8")
    status = 0
    if args.write_doc:
        DOC.write_text(update_doc(doc, blocks), encoding="utf-8")
        print(f"wrote {len(blocks)} examples into {DOC.relative_to(REPO)}")
    if args.write_golden:
        GOLDEN.write_text(golden_text(examples), encoding="utf-8")
        print(f"wrote {GOLDEN.relative_to(REPO)}")
    if args.check:
        in_doc = doc_blocks(doc)
        for name, text in blocks.items():
            if in_doc.get(name) != text:
                print(f"docs/protocol.md: example {name} differs from the code", file=sys.stderr)
                status = 1
        for name in sorted(set(in_doc) - set(blocks)):
            print(f"docs/protocol.md: example {name} is marked but not generated", file=sys.stderr)
            status = 1
        if GOLDEN.read_text(encoding="utf-8") != golden_text(examples):
            print("tests/data/frames.json differs from the examples (run with --write-golden)", file=sys.stderr)
            status = 1
    if not (args.write_doc or args.write_golden or args.check):
        for name in args.names or blocks:
            print(f"<!-- example: {name} -->\n{blocks[name]}\n<!-- /example -->\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
