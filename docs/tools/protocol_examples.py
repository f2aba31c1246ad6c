"""Regenerate the worked examples of docs/protocol.md from real traffic.

techapp's driver (:class:`drivers.maint.driver.MaintenanceDriver`) talks to the
simulated terminal over an in-process cable (:func:`drivers.sim.ports.cable`,
the terminal served by :func:`drivers.sim.server.run_session` as in
production), with the nonces fixed to those of §8.1 and the terminal clock
pinned to 2026-11-25 10:30:00, so every run produces the same bytes. The
laptop's link trace is rendered as the annotated ``frame`` blocks of the doc.

COMM_TEST and SIGN_ON reach the simulated acquirer (:mod:`drivers.sim.acquirer`)
through the emulated network of the example terminal (:mod:`drivers.sim.world`).
What would vary from run to run is pinned as well (:func:`pinned`): the
acquirer's clock (fields 12/13 and the RRN, which is ``hhmmss`` of that clock
plus a per-server counter) and the working keys it hands out; CONNECT_MS and
ELAPSED_MS count the scenario's emulated network latency only (45 ms to the
primary host, 60 ms to the backup), not the milliseconds the loopback and the
simulated host themselves take. (The terminal sends a "waiting for the host's
answer" progress frame when the simulated host takes more than 0.25 s to
answer, which it does not on any but a badly overloaded machine.) The
0800/0810 the acquirer saw are rendered as annotated ``text`` blocks
(:func:`host_block`).

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
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import iso8583

from drivers import tlv
from drivers.errors import TerminalError
from drivers.framing import encode_frame
from drivers.hostlink import cup
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
from drivers.sim import hostside
from drivers.sim import terminal as sim_terminal
from drivers.sim import world as sim_world
from drivers.sim.acquirer import AcquirerServer
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
#: The acquirer host's clock: fields 12/13 of its answers and the hhmmss of its RRNs.
HOST_NOW = FIXED_NOW
#: The working keys the pinned acquirer hands out, in the order it asks for them
#: (PIK, MAK, TDK; each cut to the length 60.3 asks for). Arbitrary values.
PINNED_WORKING_KEYS = (
    "0B1C2D3E4F5A6B7C8D9EAFB0C1D2E3F4",
    "5E4D3C2B1A0F9E8D7C6B5A4938271605",
    "13579BDF2468ACE0FDB97531ECA86420",
)
#: Real time beyond the emulated network latency that ELAPSED_MS ignores (the loopback's
#: own milliseconds). Past it real time counts again, so a host that never answers still
#: times out instead of hanging the generator.
HOST_CLOCK_SLACK = 5.0

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

[network]
link_up = true
ip_address = "192.168.1.50"
default = "timeout"

[[network.hosts]]
address = "10.20.30.40"
port = 5000
result = "ok"
latency_ms = 45

[[network.hosts]]
address = "10.20.30.41"
port = 5000
result = "ok"
latency_ms = 60

[acquirer]
name = "示例收单行 Demo Acquirer"
institution_id = "48020000"
check_serial_number = false

[[acquirer.terminals]]
tid = "12345678"
mid = "123456789012345"
serial_number = "82412345"
tmk = "0123456789ABCDEFFEDCBA9876543210"
active = true
roles = ["production"]

[[acquirer.hosts]]
role = "production"
address = "10.20.30.40"
port = 5000

[[acquirer.hosts]]
role = "production"
address = "10.20.30.41"
port = 5000

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
    "unsettled": {"counters": {"unsettled_transactions": 3, "unsettled_amount": 12800}},
    # the host issued newer working keys since (the same TID signed on elsewhere): the terminal's MAK is stale
    "stale-keys": {
        "counters": {"unsettled_transactions": 3, "unsettled_amount": 12800},
        "acquirer": {
            "terminals": [
                {
                    "tid": "12345678",
                    "mid": "123456789012345",
                    "serial_number": "82412345",
                    "tmk": "0123456789ABCDEFFEDCBA9876543210",
                    "issued_keys": "newer",
                }
            ]
        },
    },
    "no-paper": {"hardware": {"paper": "out"}},
}

Event = tuple[str, str, bytes]  # direction "tx"/"rx", kind "frame"/"ack"/"nak"/"bad", raw (a frame's DATA)


# -- capture ------------------------------------------------------------------------------


def terminal_scenario(variant: str = "healthy") -> Scenario:
    data = tomllib.loads(TERMINAL)
    for table, values in VARIANTS[variant].items():
        data[table] = {**data[table], **values}
    return Scenario.model_validate(data)


class PinnedKeys:
    """``key_source`` of the pinned acquirer: :data:`PINNED_WORKING_KEYS` in turn, cut to length."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, length: int) -> bytes:
        key = bytes.fromhex(PINNED_WORKING_KEYS[self.calls % len(PINNED_WORKING_KEYS)])[:length]
        self.calls += 1
        return key


class _TimeWith:
    """The :mod:`time` module with some functions replaced (for a module's ``time`` global)."""

    def __init__(self, **overrides: Callable[..., Any]) -> None:
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides[name] if name in self._overrides else getattr(time, name)


class NetworkClock:
    """``time.monotonic`` of :mod:`drivers.sim.hostside` in the examples: the emulated network
    waits of the sign-on under way (the scenario's latency), plus real time only beyond
    :data:`HOST_CLOCK_SLACK`. ELAPSED_MS is then the emulated latency, the same on every run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.emulated = 0.0
        self.started = time.monotonic()

    def wait(self, seconds: float) -> None:
        self.emulated += seconds

    def monotonic(self) -> float:
        overrun = time.monotonic() - self.started - self.emulated - HOST_CLOCK_SLACK
        return self.emulated + max(0.0, overrun)


@contextlib.contextmanager
def pinned(recorder: Recorder | None = None) -> Iterator[None]:
    """Pin what would differ from run to run; everything is restored after.

    Fixed nonces (Nt for the terminal, Nc for the laptop) and a fixed terminal clock; for
    COMM_TEST and SIGN_ON an acquirer with a fixed clock and fixed working keys (whose
    0800/0810 go to ``recorder``), CONNECT_MS and ELAPSED_MS without the loopback's own
    time.
    """
    saved_nonce, saved_now = auth.new_nonce, sim_terminal.SimulatedTerminal.now
    saved_start, saved_wait = sim_world.SimWorld._start, sim_terminal.Session.wait_serviced
    saved_world_time, saved_host_time = sim_world.time, hostside.time
    saved_sign_on, saved_settle = hostside.sign_on, hostside.settle
    clock = NetworkClock()

    def nonce() -> bytes:
        return NONCE_TERMINAL if threading.current_thread().name == TERMINAL_THREAD else NONCE_CLIENT

    def start(world: sim_world.SimWorld) -> list[AcquirerServer]:
        if not world._servers:  # called under the world's lock
            keys, batches = world._host_state(world.scenario.acquirer)
            world._servers.append(
                AcquirerServer(
                    world.scenario.acquirer,
                    clock=lambda: HOST_NOW,
                    key_source=PinnedKeys(),
                    trace=recorder.host_trace if recorder is not None else None,
                    issued_keys=keys,
                    batches=batches,
                ).start()
            )
        return world._servers

    def wait_serviced(session: sim_terminal.Session, seconds: float) -> None:
        clock.wait(seconds)
        saved_wait(session, seconds)

    def sign_on(session: sim_terminal.Session):
        clock.reset()
        return saved_sign_on(session)

    def settle(session: sim_terminal.Session):
        clock.reset()
        return saved_settle(session)

    auth.new_nonce = nonce
    sim_terminal.SimulatedTerminal.now = lambda self: FIXED_NOW
    sim_world.SimWorld._start = start
    sim_terminal.Session.wait_serviced = wait_serviced
    # the loopback connect() counts 0 ms: CONNECT_MS is the emulated latency of the network rule
    sim_world.time = _TimeWith(perf_counter=lambda: 0.0)
    hostside.time = _TimeWith(monotonic=clock.monotonic)
    hostside.sign_on, hostside.settle = sign_on, settle
    try:
        yield
    finally:
        auth.new_nonce = saved_nonce
        sim_terminal.SimulatedTerminal.now = saved_now
        sim_world.SimWorld._start = saved_start
        sim_terminal.Session.wait_serviced = saved_wait
        sim_world.time, hostside.time = saved_world_time, saved_host_time
        hostside.sign_on, hostside.settle = saved_sign_on, saved_settle


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


class Captured(dict[str, list[Event]]):
    """The laptop's link trace per example; :attr:`host`, the acquirer's messages per example
    (``(direction, "address:port", wire bytes)``, "rx" to the host, "tx" from it)."""

    def __init__(self) -> None:
        super().__init__()
        self.host: dict[str, list[Event]] = {}


class Recorder:
    """Collects the laptop's link trace (and the acquirer's) under the name of the example being captured."""

    def __init__(self) -> None:
        self.examples = Captured()
        self._current: list[Event] = []
        self._current_host: list[Event] = []
        self._connection = threading.local()  # per acquirer connection thread: the example of its request

    def trace(self, direction: str, kind: str, raw: bytes) -> None:
        self._current.append((direction, kind, bytes(raw)))

    def host_trace(self, direction: str, host: str, wire: bytes) -> None:
        """The acquirer's trace: "rx" a message the host received, "tx" one it sent (wire bytes).

        Called from the acquirer's connection threads. The host traces its answer after
        sending it, when the terminal may already have answered the laptop and the next
        example begun: an answer goes with the example its request was recorded in.
        """
        if direction == "rx":
            self._connection.example = self._current_host
        getattr(self._connection, "example", self._current_host).append((direction, host, bytes(wire)))

    def start(self, name: str | None) -> None:
        """Record into example ``name`` from now on (None: record nothing)."""
        self._current = []
        self._current_host = []
        if name is not None:
            assert name not in self.examples, f"example {name} captured twice"
            self.examples[name] = self._current
            self.examples.host[name] = self._current_host


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
        terminal.close()  # stops the acquirer's servers, if COMM_TEST or SIGN_ON started them
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


def capture() -> Captured:
    """Run every example against the simulator; returns the laptop's trace per example (and the host's)."""
    rec = Recorder()
    ex = rec.start
    with pinned(rec):
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
            send_raw(d, 0x7E)
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

        with connection(rec) as d:
            d.login(PASSWORD)
            ex("comm_test")
            d.comm_test()
            ex("sign_on")
            d.sign_on()

        with connection(rec, "tid-typo") as d:
            d.login(PASSWORD)
            ex("sign_on_97")
            d.sign_on()

        with connection(rec, "unsettled") as d:
            d.login(PASSWORD)
            ex("param_unsettled")
            refused(lambda: d.set_parameters({"tid": "12345678"}))
            ex("settle")
            d.settle()
            ex("settle_empty")
            d.settle()

        with connection(rec, "stale-keys") as d:
            d.login(PASSWORD)
            ex("settle_a0")
            d.settle()

        with connection(rec, "no-paper") as d:
            d.login(PASSWORD)
            ex("print_no_paper")
            refused(lambda: d.print_text(["TECHAPP TEST PRINT"]))

        with connection(rec) as d:
            d.hello()  # a client greets first (docs/protocol.md §3.5)
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
    Block("comm_test", "comm_test"),
    Block("sign_on", "sign_on"),
    Block("sign_on_97", "sign_on_97"),
    Block("settle", "settle"),
    Block("settle_empty", "settle_empty"),
    Block("settle_a0", "settle_a0", 4),  # the final answer only: the request and progress are as above
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


#: The host messages (0800/0810 as the acquirer received and sent them) shown in the doc:
#: the same slicing as :data:`BLOCKS`, over :attr:`Captured.host`.
HOST_BLOCKS = [
    Block("sign_on_host", "sign_on"),
    Block("sign_on_97_host", "sign_on_97", 1),  # the 0810 only: the 0800 differs only in field 41
    Block("settle_host", "settle"),
]


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
    Tag.HOST_ROLE: proto.HostRole,
    Tag.OUTCOME: proto.CommOutcome,
    Tag.TLS_OUTCOME: proto.TlsOutcome,
    Tag.LINK_FAILURE: proto.LinkFailure,
    Tag.RECONCILIATION: proto.Reconciliation,
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


# -- host messages (ISO 8583, reference §4) -----------------------------------------------------

#: 60.3 network management codes as the doc explains them.
NMC_TEXT = {
    cup.SIGN_ON_SINGLE: "sign-on, single-length keys",
    cup.SIGN_ON_DOUBLE: "sign-on, double-length keys",
    cup.SIGN_ON_DOUBLE_TDK: "sign-on, double-length keys + TDK",
    cup.ECHO_TEST: "echo test",
    cup.SETTLEMENT: "settlement",
}


def _host_field_comment(number: str, value: str, length: bytes, request: bool) -> str:
    size = int(length.hex()) if length else 0  # LLVAR/LLLVAR lengths are BCD here (reference §4.7)
    if number == "11":
        return f"11 STAN (n6 BCD): {value}"
    if number == "12":
        return f"12 host time hhmmss (n6 BCD): {value[0:2]}:{value[2:4]}:{value[4:6]}"
    if number == "13":
        return f"13 host date MMDD (n4 BCD): {value[0:2]}-{value[2:4]}"
    if number == "32":
        return f"32 acquirer that answered (LLVAR, {size} digits, BCD): {value}"
    if number == "37":
        return f'37 RRN (an12): "{value}"'
    if number == "39":
        return f'39 response code (an2): "{value}"'
    if number == "41":
        return f'41 TID (ans8): "{value}"'
    if number == "42":
        return f'42 MID (ans15): "{value}"'
    if number == "60":
        f60 = cup.parse_field_60(value)
        nmc = f"{f60.nmc} {NMC_TEXT[f60.nmc]}" if f60.nmc in NMC_TEXT else str(f60.nmc)
        batch = "" if f60.batch is None else f"{f60.batch:06d}"
        return f"60 (LLLVAR, {size} digits, BCD + pad 0): 60.1 {f60.message_type}, 60.2 batch {batch}, 60.3 {nmc}"
    if number == "62" and request:
        return f'62 device data (LLLVAR, {size} bytes): "{bytes.fromhex(value).decode("ascii", "replace")}"'
    if number == "62":
        return f"62 working keys (LLLVAR, {size} bytes), in the layout of 60.3:"
    if number == "63":
        return f'63 operator code (LLLVAR, {size} bytes): "{value}"'
    if number == "48":
        t = cup.SettlementTotals.parse(value)
        result = "" if request else f", reconciliation {t.result} (domestic) / {t.foreign_result} (foreign)"
        return (
            f"48 settlement totals (LLLVAR, {size} digits): domestic debits {t.debit_count} for "
            f"{t.debit_amount} fen, credits {t.credit_count} for {t.credit_amount} fen; foreign none{result}"
        )
    if number == "49":
        return f'49 currency (an3): "{value}" (CNY)'
    if number == "64":
        return f'64 MAC (b8, CUP MAC under the MAK): "{bytes.fromhex(value).decode("ascii", "replace")}"'
    return f"{number} ({size} bytes)" if length else number


def host_block(wire: bytes) -> str:
    """A ```text block: one CUP message (length prefix included), one part per line, explained."""
    body = wire[2:]
    msg = cup.decode(body)
    values, parts = iso8583.decode(body, cup.SPEC)
    request = msg.mti[2] in "02"
    tpdu, header = msg.tpdu, msg.header
    status = "TEST" if header.terminal_status == 1 else "NORMAL" if header.terminal_status == 0 else "?"
    lines = [
        _line(hx(wire[:2]), f"length: {len(body)} bytes follow (binary, big-endian)"),
        _line(hx(parts["h"]["data"][:5]), f"TPDU: ID {tpdu.id}, destination {tpdu.destination}, source {tpdu.source}"),
        _line(
            hx(parts["h"]["data"][5:]),
            f"header: {header.app_category} | {header.software_version} | terminal status {header.terminal_status}"
            f" = {status} | processing requirement {header.processing_requirement} | {header.sub_version}",
        ),
        _line(hx(parts["t"]["data"]), f"MTI {msg.mti}"),
    ]
    numbers = sorted((n for n in values if n.isdigit() and n != "1"), key=int)
    lines.append(_line(hx(parts["p"]["data"]), "bitmap: fields " + ", ".join(numbers)))
    for number in numbers:
        length, data = parts[number]["len"], parts[number]["data"]
        comment = _host_field_comment(number, values[number], length, request)
        if number == "62" and not request:
            lines.append(_line(hx(length), comment, 3))
            nmc = cup.parse_field_60(msg.get(60)).nmc if msg.get(60) else None
            pos = 0
            for key_type, key_len in cup.KEY_LAYOUT.get(nmc or "", ()):
                name = key_type.upper()
                lines.append(_line(hx(data[pos : pos + key_len]), f"{name}, TDES-ECB under the TMK", 6))
                pos += key_len
                lines.append(_line(hx(data[pos : pos + cup.CV_LEN]), f"{name} check value", 6))
                pos += cup.CV_LEN
            if pos != len(data):
                lines.append(_line(hx(data[pos:]), "(not in the 60.3 layout)", 6))
            continue
        raw = length + data
        if len(raw) <= 16:
            lines.append(_line(hx(raw), comment, 3))
        else:
            lines.append(_line(hx(length), comment, 3))
            lines += [_line(hx(data[i : i + 16]), "", 6) for i in range(0, len(data), 16)]
    return "```text\n" + "\n".join(lines) + "\n```"


def render_host(events: list[Event]) -> str:
    """The 0800/0810 of an example, as the acquirer received ("rx") and sent ("tx") them."""
    parts = []
    for direction, host, wire in events:
        mti = cup.decode(wire[2:]).mti
        if direction == "rx":
            parts.append(f"Terminal → host {host}: {mti}\n\n{host_block(wire)}\n")
        else:
            parts.append(f"Host {host} → terminal: {mti}\n\n{host_block(wire)}\n")
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


def generate(examples: Captured | None = None) -> dict[str, str]:
    """Every marked block of the doc, rendered: name -> text (the exchanges, the host messages, ``integers``)."""
    examples = capture() if examples is None else examples
    out = {b.name: render(block_events(b, examples)) for b in BLOCKS}
    for b in HOST_BLOCKS:
        out[b.name] = render_host(block_events(b, examples.host))
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
    ("reference-hello", b"HELLO", "payment-facts.md section 4 reference vector: DATA is ASCII HELLO, LRC 44", True),
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
