"""The repair bench (issue 12): many simulated terminals on real ptys diagnosed at once (techapp/bench.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from techapp.bench import Bench, BenchJob, load_work_orders, worst_exit
from techapp.credentials import DEMO_PASSWORD
from techapp.history import History

SN = '[identity]\nserial_number = "{}"\n'
WRONG_PASSWORD = '[maintenance]\npassword = "not-the-bench-one"\n'


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "bench-orders.csv"
    path.write_text(
        "id,serial_number,tid,mid,acquirer_profile\n"
        "WO-1,SN-PAPER,12345678,123456789012345,\n"
        "WO-2,SN-OTHER,87654321,123456789012345,\n",
        encoding="utf-8",
    )
    return path


def test_four_terminals_on_ptys_each_get_their_own_outcome_while_one_is_pulled(pty_sim, tmp_path):
    healthy = pty_sim("healthy", SN.format("SN-HEALTHY"))
    paper = pty_sim("printer-no-paper", SN.format("SN-PAPER"))
    pulled = pty_sim("healthy", SN.format("SN-PULLED"))
    wrong = pty_sim("healthy", SN.format("SN-WRONGPW") + WRONG_PASSWORD)
    asked: list[tuple[str, str, str]] = []
    pulled_once = threading.Event()

    def ask(row, prompt):  # a person at the bench swipes and presses keys on the terminal named
        asked.append((row.serial_number, row.port, prompt.id))
        return True

    def on_update(row):  # the technician pulls one cable while that terminal is half-way
        if row.port == pulled.path and row.state == "diagnosing" and row.step >= 5 and not pulled_once.is_set():
            pulled_once.set()
            threading.Thread(target=pulled.stop).start()

    history_seen: list[int] = []

    def record(row):
        with History.open() as h:
            visit = h.record(row.diagnosis)
        history_seen.append(visit)
        return visit

    bench = Bench(
        [BenchJob(s.path) for s in (healthy, paper, pulled, wrong)],
        DEMO_PASSWORD,
        work_orders=load_work_orders(_csv(tmp_path)),
        ask_person=ask,
        person_timeout_s=5,
        on_update=on_update,
        record=record,
        json_dir=tmp_path / "out",
    )
    rows = {r.port: r for r in bench.run()}

    assert pulled_once.is_set()
    h, p, u, w = (rows[s.path] for s in (healthy, paper, pulled, wrong))
    assert (h.serial_number, h.outcome, h.top) == ("SN-HEALTHY", "healthy", None)
    assert (p.serial_number, p.outcome, p.top.en) == ("SN-PAPER", "faults", "Printer out of paper")
    assert p.work_order_id == "WO-1" and p.diagnosis.work_order["id"] == "WO-1"  # matched by serial number
    assert h.work_order_id == "" and h.diagnosis.work_order is None
    assert u.outcome == "could-not-run" and "link" in u.top.en
    assert w.outcome == "could-not-run" and "password" in w.top.en.lower()
    assert all(r.state == "done" for r in rows.values())
    assert worst_exit(rows.values()) == bench.exit_code == 2
    # each prompt named the terminal it was for
    assert {(sn, port) for sn, port, _ in asked} >= {("SN-HEALTHY", healthy.path), ("SN-PAPER", paper.path)}
    # one JSON per terminal, each the terminal's own diagnosis
    for row in rows.values():
        doc = json.loads(Path(row.json_path).read_text(encoding="utf-8"))
        assert doc["port"] == row.port
        assert doc["terminal"].get("serial_number", row.serial_number) == row.serial_number
    assert json.loads(Path(h.json_path).read_text(encoding="utf-8"))["outcome"] == "healthy"
    assert json.loads(Path(p.json_path).read_text(encoding="utf-8"))["findings"][0]["id"] == "printer-paper"
    # each result went to the visit history
    assert len(history_seen) == 4 and all(r.visit_id for r in rows.values())


def test_one_hung_terminal_does_not_hold_up_the_others(pty_sim):
    hung = pty_sim("hung-terminal", SN.format("SN-HUNG"))
    fine = pty_sim("printer-no-paper", SN.format("SN-FINE"))
    done_at: dict[str, float] = {}

    def on_update(row):
        if row.outcome and row.port not in done_at:
            done_at[row.port] = row.elapsed

    bench = Bench(
        [BenchJob(hung.path), BenchJob(fine.path)],
        DEMO_PASSWORD,
        on_update=on_update,
        driver_options={"response_timeout": 1.0},  # the hung one's time-outs, shorter for the test
    )
    rows = {r.port: r for r in bench.run()}
    assert rows[fine.path].outcome == "faults" and rows[hung.path].outcome == "could-not-run"
    # the healthy one finished long before the hung one's time-outs ran out
    assert done_at[fine.path] < done_at[hung.path]


def test_the_command_line_bench_writes_json_per_terminal_and_exits_with_the_worst(pty_sim, tmp_path):
    paper = pty_sim("printer-no-paper", SN.format("SN-PAPER"))
    wrong = pty_sim("healthy", SN.format("SN-WRONGPW") + WRONG_PASSWORD)
    out = tmp_path / "json"
    env = {**os.environ, "TECHAPP_PASSWORD": DEMO_PASSWORD, "LANG": "C.UTF-8"}
    # the installed command (ui.launcher): it can render the reports (Qt offscreen); python -m techapp cannot
    exe = Path(sys.executable).with_name("techapp")
    cmd = [str(exe), "bench", "--port", paper.path, "--port", wrong.path]
    cmd += ["--work-orders", str(_csv(tmp_path)), "--json", str(out), "--no-prompts", "--lang", "en"]
    cmd += ["--reports", str(tmp_path / "reports")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr  # the wrong password: could not run is the worst outcome
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["PORT", "SN", "MODEL", "TID", "OUTCOME", "TIME"]
    assert any(paper.path in line and "SN-PAPER" in line and "faults" in line for line in lines)
    assert any(wrong.path in line and "could not run" in line for line in lines)
    assert "Printer out of paper" in proc.stdout
    # plain progress lines on stderr (not a terminal), each naming its port
    assert f"[{paper.path} SN SN-PAPER] faults: Printer out of paper" in proc.stderr
    summary = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 2
    by_sn = {t["serial_number"]: t for t in summary["terminals"]}
    assert by_sn["SN-PAPER"]["outcome"] == "faults" and by_sn["SN-PAPER"]["work_order"] == "WO-1"
    assert by_sn["SN-PAPER"]["findings"][0] == "printer-paper"
    doc = json.loads(Path(by_sn["SN-PAPER"]["json"]).read_text(encoding="utf-8"))
    assert doc["outcome"] == "faults" and doc["work_order"]["id"] == "WO-1"
    assert "not-the-bench-one" not in proc.stdout + proc.stderr
    # each terminal's service report, printable one by one
    pdf = tmp_path / "reports" / Path(by_sn["SN-PAPER"]["json"]).with_suffix(".pdf").name
    assert pdf.read_bytes().startswith(b"%PDF")
    report = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    assert "SN-PAPER" in json.dumps(report)


def test_no_terminal_found_is_said():
    env = {**os.environ, "TECHAPP_PASSWORD": DEMO_PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "techapp", "bench", "--all-terminals"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    # no USB terminal is plugged into the test machine
    assert proc.returncode == 2 and "no terminal found" in proc.stderr


def test_terminals_finishing_together_all_reach_a_new_visit_history(tmp_path):
    """Several bench workers open a history that does not exist yet at the same moment: every one gets it
    (the schema was created twice: "table terminals already exists")."""
    path = tmp_path / "history.sqlite3"
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            History.open(path).close()
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_ctrl_c_cancels_every_terminal_and_waits_for_each(tmp_path):
    """Ctrl-C while one terminal hangs in its login and another is slow: both are cancelled, each
    row says so, and the command ends only after every worker ended (exit 2)."""
    import signal
    import time

    env = {**os.environ, "TECHAPP_PASSWORD": DEMO_PASSWORD}
    cmd = [sys.executable, "-m", "techapp", "bench", "--port", "sim://hung-terminal", "--port", "sim://slow-terminal"]
    cmd += ["--no-prompts", "--lang", "en", "--json", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "cancelling every terminal" in err and "Traceback" not in err
    summary = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert [t["outcome"] for t in summary["terminals"]] == ["could-not-run", "could-not-run"]
    assert all(t["top"]["en"] == "cancelled" for t in summary["terminals"])


def test_a_terminal_on_stderr_gets_a_live_table(tmp_path):
    """stderr a terminal (a real pty): the table is redrawn in place (cursor up, clear line), one line per
    terminal; the summary still goes to standard output."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TECHAPP_PASSWORD": DEMO_PASSWORD}
    cmd = [sys.executable, "-m", "techapp", "bench", "--port", "sim://printer-no-paper", "--port", "sim://healthy"]
    cmd += ["--no-prompts", "--lang", "en", "--no-history"]
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, timeout=120)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the writer is gone and everything was read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 1  # faults (no paper) is worse than incomplete (no person)
    assert "\x1b[F\x1b[F\x1b[2K" in text  # two lines moved over and redrawn
    last = text.rsplit("\x1b[F\x1b[F", 1)[-1]
    assert "sim://printer-no-paper" in last and "faults: Printer out of paper" in last
    assert "sim://healthy" in last and "incomplete: not tested" in last
    assert "PORT" in proc.stdout.decode() and "\x1b[" not in proc.stdout.decode()


def test_fix_auto_repairs_each_terminal_and_the_summary_names_the_repair():
    from drivers.resources import resource_root
    from techapp.bench import summary_lines

    orders = load_work_orders(resource_root() / "work-orders" / "demo-97.toml")  # names SN 82412345
    bench = Bench([BenchJob("sim://demo-97")], DEMO_PASSWORD, work_orders=orders, fix="auto")
    (row,) = bench.run()
    assert row.before is not None and row.before.top.id == "tid-mismatch"  # what it found first
    assert [(o.action, o.result) for o in row.diagnosis.actions_taken] == [("fix-tid", "done")]
    assert row.tid == "12345678"  # read back after the repair
    lines = summary_lines([row], "en")
    assert any(line.strip().startswith("* Set the TID") and "TID keyed wrong" in line for line in lines)


def test_a_link_where_bench_json_goes_is_refused_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "bench.json").symlink_to(target)
    env = {**os.environ, "TECHAPP_PASSWORD": DEMO_PASSWORD}
    cmd = [sys.executable, "-m", "techapp", "bench", "--port", "sim://healthy", "--no-prompts", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "bench.json" in proc.stderr and "Traceback" not in proc.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    assert list(out.glob("*_sim_healthy.json"))  # the terminal's own file is still written
