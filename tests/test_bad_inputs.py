"""Issue 14: every bad input gets a clear error naming what was wrong, exit 2, never a traceback.

One table over every file type the command line reads (work order TOML/JSON/CSV, acquirer
profile, scenario, backup, network map, password file, settings, report JSON) and every option
with a value (``--baud``, ``--tcp``, ``--link``, ``--json``, ``--trace``, ``--netmap``), run
in-process through ``techapp.cli.main`` (an exception would fail the test), plus the cases that
need a real process: closed standard output, a full disk (``/dev/full``), Ctrl-C while starting.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from techapp.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOOD_ORDER = (ROOT / "resources" / "work-orders" / "demo-97.toml").read_text(encoding="utf-8")
HUGE = "1" + "0" * 5000  # over Python's 4300-digit limit for int <-> str
DEEP_TOML = "x = " + "[" * 5000 + "]" * 5000
DEEP_JSON = "[" * 100_000 + "]" * 100_000
TOO_LONG = "a" * 5000  # over NAME_MAX (255) and PATH_MAX (4096)
BIG = 2 * 1024 * 1024  # over MAX_INPUT_BYTES


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TECHAPP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    monkeypatch.delenv("TECHAPP_NETMAP", raising=False)


# -- file types: how a command reads each one ------------------------------------------------------------
def order(path: str) -> list[str]:
    return ["diagnose", "--demo", "--work-order", path, "--fix", "none", "--no-history"]


def profile(path: str) -> list[str]:
    return ["diagnose", "--demo", "--profile", path, "--fix", "none", "--no-history"]


def scenario(path: str) -> list[str]:
    return ["sim", path, "--check"]


def backup(path: str) -> list[str]:
    return ["restore", "--demo", "--backup", path, "--yes", "--no-history"]


def password(path: str) -> list[str]:
    return ["info", "--port", "/dev/ttyTECHAPP-NONE", "--password-file", path]


def report_json(path: str) -> list[str]:
    return ["verify", path]


def from_json(path: str) -> list[str]:
    return ["report", "--from-json", path]


READERS: dict[str, tuple[Callable[[str], list[str]], str]] = {
    # name: (command, file suffix)
    "work-order-toml": (order, ".toml"),
    "work-order-json": (order, ".json"),
    "work-order-csv": (order, ".csv"),
    "profile": (profile, ".toml"),
    "scenario": (scenario, ".toml"),
    "backup": (backup, ".json"),
    "password-file": (password, ".txt"),
    "report-json": (report_json, ".json"),
    "diagnosis-json": (from_json, ".json"),
}
TOML_READERS = ("work-order-toml", "profile", "scenario")
JSON_READERS = ("work-order-json", "backup", "report-json", "diagnosis-json")

# -- contents every reader must refuse ---------------------------------------------------------------------
CONTENTS: list[tuple[str, str, bytes | None, str]] = []  # (reader, case, content, expected words)
for reader in TOML_READERS:
    CONTENTS += [
        (reader, "huge-integer", f"x = {HUGE}\n".encode(), "a number is too long (more than 4300 digits)"),
        (reader, "deep-nesting", DEEP_TOML.encode(), "nested too deeply"),
        (reader, "duplicate-key", b'tid = "12345678"\ntid = "87654321"\n', "given twice"),
    ]
for reader in JSON_READERS:
    CONTENTS += [
        (reader, "huge-integer", f'{{"x": {HUGE}}}'.encode(), "a number is too long (more than 4300 digits)"),
        (reader, "deep-nesting", DEEP_JSON.encode(), "nested too deeply"),
        (reader, "duplicate-key", b'{"tid": "12345678", "tid": "87654321"}', "appears twice"),
    ]
for reader in READERS:
    CONTENTS += [
        (reader, "not-utf8", b"id = \xff\xfe\xfa\n", "not UTF-8"),
        (reader, "too-big", None, "too large"),  # written below: BIG bytes
        (reader, "dev-zero", None, "not a regular file"),
        (reader, "fifo", None, "not a regular file"),
        (reader, "folder", None, "a folder"),
        (reader, "name-too-long", None, ""),  # the message depends on where the name is refused; never a traceback
    ]
CONTENTS += [
    ("work-order-csv", "duplicate-column", b"id,mid,tid,tid\nWO-1,123456789012345,12345678,87654321\n", "twice"),
    (
        "work-order-csv",
        "field-over-csv-limit",
        b"id,mid,tid,notes\nWO-1,123456789012345,12345678," + b"x" * 200_000,
        "field",
    ),
    ("work-order-csv", "more-cells-than-header", b"id,mid,tid\nWO-1,123456789012345,12345678,extra\n", "more cells"),
]


def _place(tmp_path: Path, reader: str, case: str, content: bytes | None) -> str:
    suffix = READERS[reader][1]
    path = tmp_path / f"input{suffix}"
    if case == "too-big":
        path.write_bytes(b"#" * BIG if suffix in (".toml", ".txt", ".csv") else b" " * BIG)
    elif case == "dev-zero":
        return "/dev/zero"
    elif case == "fifo":
        os.mkfifo(path)
    elif case == "folder":
        path = tmp_path / f"folder{suffix}"
        path.mkdir()
    elif case == "name-too-long":
        return str(tmp_path / (TOO_LONG + suffix))
    else:
        assert content is not None
        path.write_bytes(content)
    return str(path)


def _run(argv: list[str], capsys) -> tuple[int, str]:
    started = time.monotonic()
    code = main(argv)
    out, err = capsys.readouterr()
    assert time.monotonic() - started < 30, "a bad input must be refused at once"
    return code, out + err


@pytest.mark.parametrize(("reader", "case", "content", "words"), CONTENTS, ids=[f"{r}-{c}" for r, c, *_ in CONTENTS])
def test_a_bad_file_is_refused_with_its_name(tmp_path, capsys, reader, case, content, words):
    path = _place(tmp_path, reader, case, content)
    code, said = _run(READERS[reader][0](path), capsys)
    assert code == 2, said
    assert "Traceback" not in said
    assert words in said, said
    assert (path[:200] in said) or (Path(path).name[:60] in said), f"the message does not name the file: {said}"


def test_a_short_csv_row_with_order_id_is_read_with_empty_cells(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text("id,mid,tid,notes\nWO-1,123456789012345,12345678,a\nWO-2,123456789012345\n", encoding="utf-8")
    code, said = _run([*order(str(path)), "--order-id", "WO-2"], capsys)
    assert code == 2 and "row 3: field 'tid' is required" in said


def test_a_scenario_with_a_huge_integer_on_the_scenario_path_does_not_break_sim_list(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "broken.toml").write_text(f'extends = "healthy"\n[maintenance]\nkdf_iterations = {HUGE}\n')
    monkeypatch.setenv("TECHAPP_SCENARIO_PATH", f"{folder}{os.pathsep}{tmp_path / TOO_LONG}")
    code, said = _run(["sim", "--list"], capsys)
    assert code == 0
    assert "broken" in said and "INVALID" in said and "a number is too long" in said
    assert "demo-97" in said  # the shipped ones are still listed


def test_a_too_long_profile_or_scenario_name_is_not_found(capsys):
    code, said = _run(["diagnose", "--demo", "--profile", TOO_LONG, "--fix", "none", "--no-history"], capsys)
    assert code == 2 and "unknown acquirer profile" in said
    code, said = _run(["sim", TOO_LONG, "--check"], capsys)
    assert code == 2 and "unknown scenario" in said


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON"),
        ('{"routes": {}, "routes": {}}', "appears twice"),
        (f'{{"default": {HUGE}}}', "a number is too long"),
        (DEEP_JSON, "nested too deeply"),
        ('{"names": {}, "routes": {}, "default": "refused", "extra": 1}', "unknown keys"),
        (None, "not a regular file"),
    ],
    ids=["not-json", "duplicate-key", "huge-integer", "deep-nesting", "unknown-key", "dev-zero"],
)
@pytest.mark.parametrize("command", ["network", "diagnose"])
def test_a_bad_network_map_is_named_by_network_and_diagnose(tmp_path, capsys, monkeypatch, content, words, command):
    path = tmp_path / "netmap.json"
    if content is None:
        path = Path("/dev/zero")
    else:
        path.write_text(content)
    monkeypatch.setenv("TECHAPP_NETMAP", str(path))
    argv = [command, "--port", "/dev/ttyTECHAPP-NONE"] + (
        ["--fix", "none", "--no-history"] if command == "diagnose" else []
    )
    code, said = _run(argv, capsys)
    assert code == 2, said
    assert "laptop network" in said and words in said and str(path) in said


# -- options ---------------------------------------------------------------------------------------------------
OPTIONS = [
    ("baud-1", ["info", "--demo", "--baud", "1"], "not a standard line speed"),
    ("baud-text", ["info", "--demo", "--baud", "fast"], "is not a line speed"),
    ("baud-huge", ["info", "--demo", "--baud", HUGE], "100000000000... is not a standard line speed"),
    ("tcp-70000", ["sim", "healthy", "--tcp", "70000"], "outside the TCP port range 0..65535"),
    ("tcp-negative", ["sim", "healthy", "--tcp", "-1"], "outside the TCP port range"),
    ("person-timeout-0", ["diagnose", "--demo", "--person-timeout", "0"], "outside 1..600"),
]


@pytest.mark.parametrize(("argv", "words"), [o[1:] for o in OPTIONS], ids=[o[0] for o in OPTIONS])
def test_a_bad_option_value_is_refused(capsys, argv, words):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    said = capsys.readouterr().err
    assert stop.value.code == 2 and words in said and "Traceback" not in said


def test_sim_link_in_a_folder_that_cannot_be_written(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: every folder is writable")
        code, said = _run(["sim", "healthy", "--pty", "--link", str(folder / "ttyT")], capsys)
    finally:
        folder.chmod(0o700)
    assert code == 2 and f"folder {folder} is not writable" in said


def test_sim_link_where_the_system_refuses_a_link(capsys):
    # /proc takes no new files, whoever asks (also root, for whom every folder is "writable")
    code, said = _run(["sim", "healthy", "--pty", "--link", "/proc/techapp-ttyT"], capsys)
    assert code == 2 and "/proc/techapp-ttyT" in said and "Traceback" not in said, said


@pytest.mark.parametrize("what", ["regular-file", "missing-folder", "too-long"])
def test_sim_link_refuses_what_it_must_not_replace(tmp_path, capsys, what):
    target = {
        "regular-file": tmp_path / "notes.txt",
        "missing-folder": tmp_path / "nope" / "ttyT",
        "too-long": tmp_path / TOO_LONG,
    }[what]
    if what == "regular-file":
        target.write_text("keep")
    code, said = _run(["sim", "healthy", "--pty", "--link", str(target)], capsys)
    assert code == 2 and "cannot keep the link" in said
    if what == "regular-file":
        assert target.read_text() == "keep"


OUTPUTS = [
    (
        "json-device",
        ["diagnose", "--demo", "--fix", "none", "--no-history", "--json", "/dev/null"],
        "not a regular file",
    ),
    (
        "json-too-long",
        ["diagnose", "--demo", "--fix", "none", "--no-history", "--json", "/tmp/" + TOO_LONG],
        "too long",
    ),
    (
        "json-missing-folder",
        ["diagnose", "--demo", "--fix", "none", "--no-history", "--json", "/nonexistent/x.json"],
        "does not exist",
    ),
    (
        "report-device",
        ["diagnose", "--demo", "--fix", "none", "--no-history", "--report", "/dev/null"],
        "not a regular file",
    ),
    ("trace-device", ["info", "--demo", "--trace", "/dev/full"], "not a regular file"),
    ("trace-too-long", ["info", "--demo", "--trace", "/tmp/" + TOO_LONG], "too long"),
    ("netmap-device", ["sim", "healthy", "--tcp", "0", "--netmap", "/dev/null"], "not a regular file"),
]


@pytest.mark.parametrize(("argv", "words"), [o[1:] for o in OUTPUTS], ids=[o[0] for o in OUTPUTS])
def test_a_bad_output_path_is_refused(capsys, argv, words):
    code, said = _run(argv, capsys)
    assert code == 2 and words in said and "Traceback" not in said, said


# -- real processes: standard output, Ctrl-C ----------------------------------------------------------------
def _proc_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TECHAPP_")}
    env.update(TECHAPP_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    return env


def test_a_full_disk_on_standard_output(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "techapp", "info", "--demo", "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_proc_env(tmp_path),
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "cannot write the output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_closed_standard_output(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "techapp", "info", "--demo"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_proc_env(tmp_path),
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 2, done.stderr
    assert "standard output is closed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("entry", [["-m", "techapp"], ["-c", "from ui.launcher import main; raise SystemExit(main())"]])
def test_ctrl_c_while_starting(tmp_path, entry):
    # SIGINT at once: it lands while Python imports the command line (or argparse runs)
    for delay in (0.15, 0.25, 0.35, 0.5):
        proc = subprocess.Popen(
            [sys.executable, *entry, "diagnose", "--demo", "--fix", "none", "--no-history"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_proc_env(tmp_path),
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if "init_import_site" in err:
            continue  # so early that Python itself was starting (its site module): before any techapp code
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert proc.returncode in (2, 3, 1, 0), err  # 2 when interrupted; the run may have finished first


def test_json_dash_and_bad_inputs_leave_no_files(tmp_path, capsys):
    code, said = _run(["diagnose", "--demo", "--fix", "none", "--no-history", "--json", "-"], capsys)
    assert code == 1 and json.loads(said[: said.rindex("}") + 1])["exit_code"] == 1


# -- the terminal as a bad input: a log count nobody can hold --------------------------------------------------
class _HugeLog:
    """A terminal's log that claims ``n`` entries (and grows by ``grow`` at each look), answering any offset."""

    def __init__(self, n: int, entry, grow: int = 0) -> None:
        self.n, self.entry, self.grow = n, entry, grow
        self.offsets: list[int] = []

    def __len__(self) -> int:
        self.n += self.grow
        return self.n

    def __getitem__(self, part: slice):
        self.offsets.append(part.start or 0)
        return [self.entry] * min(30, self.n - (part.start or 0))


@pytest.mark.parametrize("grow", [0, 5000], ids=["a-billion-entries", "growing-at-every-request"])
def test_read_log_keeps_at_most_its_limit_of_the_newest_entries(pty_sim, connect, grow):
    from drivers.maint.driver import MAX_LOG_ENTRIES

    server = pty_sim("demo-97")
    log = _HugeLog(10**9, server.terminal.response_log[0], grow)
    server.terminal.response_log = log
    driver = connect(server.path)
    driver.login("demo-2026")
    started = time.monotonic()
    entries = driver.read_log("response-codes")
    assert len(entries) == MAX_LOG_ENTRIES
    assert log.offsets[1] >= 10**9 - MAX_LOG_ENTRIES  # after the first answer it reads the newest part
    assert time.monotonic() - started < 30
