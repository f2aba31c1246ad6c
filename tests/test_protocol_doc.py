"""docs/protocol.md shows the bytes the code really sends.

docs/tools/protocol_examples.py drives techapp's driver against the simulated
terminal (fixed nonces, pinned clock) and renders each worked example; every
one must appear byte-identical between its markers in the doc, and
tests/data/frames.json must hold exactly the frames of those examples. A code
change that alters the wire format therefore fails here until the doc and the
golden vectors are regenerated (``--write-doc``, ``--write-golden``) and the
change is reviewed.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from drivers.framing import ETX, STX, lrc
from drivers.hostlink import cup
from drivers.maint import auth
from drivers.maint import protocol as proto
from drivers.sim import hostside
from drivers.sim import terminal as sim_terminal
from drivers.sim import world as sim_world

REPO = Path(__file__).resolve().parent.parent
TOOL = REPO / "docs" / "tools" / "protocol_examples.py"
DOC = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("protocol_examples", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()
NAMES = [block.name for block in tool.BLOCKS] + [block.name for block in tool.HOST_BLOCKS] + ["integers"]
PROGRESS_INTERVAL = sim_terminal.PROGRESS_INTERVAL  # before the generator runs


@pytest.fixture(scope="module")
def captured() -> dict[str, list]:
    """One run of every example against the simulator (a few seconds)."""
    return tool.capture()


@pytest.fixture(scope="module")
def generated(captured) -> dict[str, str]:
    return tool.generate(captured)


def test_the_generator_makes_every_example_it_declares(generated):
    assert list(generated) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_example_is_byte_identical_in_the_doc(generated, name):
    shown = tool.doc_blocks(DOC)
    assert name in shown, f"docs/protocol.md lacks <!-- example: {name} -->"
    assert shown[name] == generated[name], (
        f"example {name} in docs/protocol.md differs from what the code sends; "
        "run .venv/bin/python docs/tools/protocol_examples.py --write-doc --write-golden and review the diff"
    )
    assert generated[name] in DOC


def test_every_marked_example_is_generated(generated):
    assert set(tool.doc_blocks(DOC)) == set(generated)
    opening = re.findall(r"^<!-- example: ", DOC, re.MULTILINE)
    closing = re.findall(r"^<!-- /example -->$", DOC, re.MULTILINE)
    assert len(opening) == len(closing) == len(generated)


def test_golden_vectors_are_what_the_generator_writes(captured):
    golden = (REPO / "tests" / "data" / "frames.json").read_text(encoding="utf-8")
    assert golden == tool.golden_text(captured), "run docs/tools/protocol_examples.py --write-golden"


def test_examples_are_complete_exchanges(captured):
    """Every request gets its ACK; every frame the terminal sends is ACKed by the laptop."""
    for block in tool.BLOCKS:
        events = tool.block_events(block, captured)
        assert events, block.name
        for i, (direction, kind, _) in enumerate(events):
            if kind == "frame":
                answer = events[i + 1][:2] if i + 1 < len(events) else None
                expected = ("rx", "ack") if direction == "tx" else ("tx", "ack")
                assert answer == expected, f"{block.name}: event {i} is not followed by its ACK"
            else:
                assert kind == "ack", f"{block.name}: unexpected {kind}"


def test_the_generator_restores_what_it_pins(captured):
    assert auth.new_nonce is not None and auth.new_nonce.__module__ == auth.__name__
    assert len({auth.new_nonce(), auth.new_nonce()}) == 2  # random again
    assert sim_terminal.SimulatedTerminal.now.__module__ == sim_terminal.__name__
    assert sim_terminal.PROGRESS_INTERVAL == PROGRESS_INTERVAL
    assert sim_terminal.Session.wait_serviced.__module__ == sim_terminal.__name__
    assert sim_world.SimWorld.acquirer.__module__ == sim_world.__name__
    assert sim_world.time is time and hostside.time is time
    assert hostside.sign_on.__module__ == hostside.__name__


def test_the_host_examples_are_what_the_terminal_and_host_exchanged(captured):
    """The 0800 is the terminal's own (its parameters, STAN + 1, "SN" + serial) and the keys of the
    0810 verify under the example terminal's TMK, as the terminal checked them."""
    (rx, _, request), (tx, _, answer) = captured.host["sign_on"]
    assert (rx, tx) == ("rx", "tx")
    sent, got = cup.decode(request[2:]), cup.decode(answer[2:])
    assert sent.mti == "0800" and got.mti == "0810" and got.get(39) == "00"
    assert (sent.get(11), sent.get(41), sent.get(42)) == ("001209", "12345678", "123456789012345")
    assert cup.parse_device_data(sent.get(62)) == "82412345"
    tmk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    blocks = cup.unpack_working_keys(cup.parse_field_60(sent.get(60)).nmc, bytes.fromhex(got.get(62)))
    assert [cup.verify_working_key(tmk, b) is not None for b in blocks] == [True, True]


def test_the_update_replaces_only_between_markers(generated):
    assert tool.update_doc(DOC, generated) == DOC
    stale = DOC.replace("SEQ 1, OK", "SEQ 1, STALE", 1)
    assert stale != DOC
    assert tool.update_doc(stale, generated) == DOC


@pytest.mark.slow
def test_the_tool_runs_from_the_command_line_and_finds_the_doc_up_to_date():
    done = subprocess.run([sys.executable, str(TOOL), "--check"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# -- hand-written parts of the doc that quote the code ---------------------------------------------


def test_frames_quoted_inline_are_correct_frames():
    """Frames written inline (the §2.5 timelines, the reference vector) have the right LEN, ETX and LRC."""
    quoted = set(re.findall(r"`(02 [0-9A-F]{2} [0-9A-F]{2}(?: [0-9A-F]{2})+)`", DOC))
    assert len(quoted) >= 2
    for text in quoted:
        wire = bytes.fromhex(text)
        n = int(wire[1:3].hex())
        assert wire[0] == STX and len(wire) == n + 5 and wire[3 + n] == ETX, text
        assert wire[-1] == lrc(wire[1:-1]), f"{text}: LRC should be {lrc(wire[1:-1]):02X}"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("MAX_LIST_DEPTH", f"{proto.MAX_LIST_DEPTH} levels"),
        ("PRINTER_OVERHEAT_C", f"{sim_terminal.PRINTER_OVERHEAT_C} °C"),
    ],
)
def test_doc_constants_match_the_code(name, shown):
    assert re.search(rf"^\| {name} \| {re.escape(shown)}\b", DOC, re.MULTILINE), f"{name} should read {shown}"


def test_doc_states_the_code_s_limits_where_it_explains_them():
    assert f"`MAX_LIST_DEPTH` = {proto.MAX_LIST_DEPTH}" in DOC
    assert f"`PRINTER_OVERHEAT_C` = {sim_terminal.PRINTER_OVERHEAT_C} °C" in DOC
    assert "frame abandoned: inter-byte timeout" in DOC
