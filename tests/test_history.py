"""The visit history: recorded by real runs, listed, compared, migrated, and whole after a killed writer."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from techapp.cli import main
from techapp.history import SCHEMA_VERSION, History, HistoryError

ROOT = Path(__file__).resolve().parents[1]
TECHAPP = Path(sys.executable).with_name("techapp")


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(folder))
    monkeypatch.setenv("TECHAPP_PASSWORD", "demo-2026")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    return folder


def _history_json(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["history", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_real_diagnose_run_is_recorded_and_listed(data, tmp_path):
    env = {**os.environ, "TECHAPP_DATA_DIR": str(data), "TECHAPP_PASSWORD": "demo-2026"}
    run = subprocess.run(
        [str(TECHAPP), "diagnose", "--demo", "--fix", "none", "--no-prompts"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr  # faults found: recording does not change the exit code
    assert "warning" not in run.stderr
    listed = subprocess.run(
        [str(TECHAPP), "history", "--json", "--sn", "82412345"], env=env, capture_output=True, text=True, timeout=30
    )
    assert listed.returncode == 0, listed.stderr
    [visit] = json.loads(listed.stdout)
    assert visit["serial_number"] == "82412345"
    assert visit["kind"] == "diagnose" and visit["outcome"] == "faults" and visit["exit_code"] == 1
    assert visit["tid"] == "12345687" and visit["mid"] == "123456789012345"
    assert visit["work_order"] == "WO-2026-1125-0042"
    assert visit["training"] is True  # sim:// is training, never a real terminal on site
    assert visit["findings"] == [{"en": "TID keyed wrong", "zh": "终端号输入错误"}]
    # the file and its folder are the technician's only
    db = data / "history.sqlite3"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    # no secret: the maintenance password is nowhere in the database (nor its WAL)
    for f in data.glob("history.sqlite3*"):
        assert b"demo-2026" not in f.read_bytes()
    # the table view lists it too
    table = subprocess.run(
        [str(TECHAPP), "history", "--tid", "12345687"], env=env, capture_output=True, text=True, timeout=30
    )
    assert "SN 82412345" in table.stdout and "faults found" in table.stdout and "TID keyed wrong" in table.stdout


def test_filters_find_the_visit_and_nothing_else(data, capsys):
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts"]) == 1
    assert main(["diagnose", "--port", "sim://healthy", "--fix", "none", "--no-prompts"]) == 3
    everything = _history_json(capsys)
    assert len(everything) == 2
    assert [v["tid"] for v in _history_json(capsys, "--tid", "12345687")] == ["12345687"]
    assert len(_history_json(capsys, "--merchant", "demo corner")) == 2  # part of the name, any case
    assert _history_json(capsys, "--merchant", "nowhere") == []
    assert [v["work_order"] for v in _history_json(capsys, "--work-order", "WO-2026-1125-0042")] == [
        "WO-2026-1125-0042"
    ]
    today = datetime.now().date()
    assert len(_history_json(capsys, "--since", today.isoformat())) == 2
    assert _history_json(capsys, "--since", (today + timedelta(days=1)).isoformat()) == []
    assert len(_history_json(capsys, "--until", today.isoformat())) == 2  # a date includes that day
    with History.open() as h:  # the window's "any field": part of a serial number, TID, MID, merchant or work order
        assert [v.tid for v in h.visits(text="1234568")] == ["12345687"]
        assert len(h.visits(text="CORNER")) == 2
        assert [v.work_order for v in h.visits(text="wo-2026")] == ["WO-2026-1125-0042"]
        assert h.visits(text="50%_") == []  # LIKE wildcards are taken literally
    assert main(["history", "--since", "last tuesday"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_no_history_records_nothing(data, capsys):
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history"]) == 1
    assert _history_json(capsys) == []


def test_a_history_that_cannot_be_written_is_a_warning_not_a_failure(data, capsys):
    data.mkdir(parents=True)
    (data / "history.sqlite3").write_bytes(b"this is not a database, it is a text file" * 100)
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts"]) == 1  # the run's own exit code
    err = capsys.readouterr().err
    assert "warning: this run is not recorded in the visit history" in err


def test_compare_after_a_repair_shows_what_changed(data, capsys):
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts"]) == 1
    assert main(["diagnose", "--demo", "--fix", "auto", "--no-prompts"]) == 3  # repaired, person tests not run
    first, repair = sorted(_history_json(capsys), key=lambda v: v["visit"])
    assert repair["kind"] == "repair" and repair["tid"] == "12345678"
    with History.open() as h:
        visit = h.visit(repair["visit"])
        assert [a["action"] for a in visit.actions] == ["fix-tid"] and visit.actions[0]["result"] == "done"
        assert visit.backups and Path(visit.backups[0]["path"]).is_file()
        assert [(f["title"].en, f["state"]) for f in visit.finding_rows] == [("TID keyed wrong", "repaired")]
        lines = [c.text for c in h.compare_with_last(repair["visit"])]
    en = [t.en for t in lines]
    zh = [t.zh for t in lines]
    assert "TID: 12345687 → 12345678" in en and "终端号：12345687 → 12345678" in zh
    assert any(line.startswith("Trace number (STAN): ") for line in en)  # the sign-ons counted up
    assert "Found again (left open at the last visit), repaired now: TID keyed wrong" in en
    assert "Repeated: the second time in 30 days at this merchant: TID keyed wrong" in en
    # no internal ids in what a person reads
    for t in lines:
        assert "tid-mismatch" not in t.en + t.zh and "fix-tid" not in t.en + t.zh
    # the CLI prints the same lines
    capsys.readouterr()
    assert main(["history", "--compare", str(repair["visit"]), "--lang", "zh"]) == 0
    assert "终端号：12345687 → 12345678" in capsys.readouterr().out
    with History.open() as h:
        assert [c.text.en for c in h.compare_with_last(first["visit"])] == [
            "First visit of this terminal in the history."
        ]


def test_third_97_at_this_merchant_in_30_days(data, tmp_path, capsys):
    out = tmp_path / "d.json"
    assert main(["diagnose", "--port", "sim://not-registered-97", "--fix", "none", "--no-prompts", "--no-history",
                 "--json", str(out)]) == 1  # fmt: skip
    doc = json.loads(out.read_text())
    [finding] = doc["findings"]
    now = datetime.fromisoformat(doc["started_at"])
    ids = []
    with History.open() as h:
        for days in (40, 20, 10, 0):  # the one 40 days ago is outside the window
            when = dict(doc, started_at=(now - timedelta(days=days)).isoformat(timespec="seconds"))
            ids.append(h.record(when, technician={"name": "Wang Wei", "id": "T-0042"}))
        other = dict(doc, terminal=dict(doc["terminal"], mid="999999999999999"), started_at=doc["started_at"])
        h.record(other)  # another merchant: does not count
        lines = [c.text for c in h.compare_with_last(ids[-1])]
    assert f"Repeated: the third time in 30 days at this merchant: {finding['title']['en']}" in [t.en for t in lines]
    assert f"重复出现：30 天内该商户第 3 次：{finding['title']['zh']}" in [t.zh for t in lines]
    assert lines[0].en == f"Compared with the visit of {(now - timedelta(days=10)):%Y-%m-%d %H:%M} (Wang Wei)."


def test_restore_is_recorded(data, capsys):
    assert main(["diagnose", "--demo", "--fix", "auto", "--no-prompts"]) == 3
    [backup] = (data / "backups").glob("*.json")
    assert main(["restore", "--demo", "--backup", str(backup), "--yes"]) == 0
    newest = _history_json(capsys)[0]
    assert newest["kind"] == "restore" and newest["outcome"] == "restored" and newest["serial_number"] == "82412345"
    with History.open() as h:
        visit = h.visit(newest["visit"])
    assert visit.diagnosis is None
    assert {b["role"] for b in visit.backups} == {"restored-from", "before-write"}
    assert visit.actions[0]["written"] == {"tid": "12345687"}
    with History.open() as h:
        assert [c.text.en for c in h.compare_with_last(newest["visit"])] == ["Restored: TID: 12345687"]
    # the next diagnosis compares with the last one that read the terminal, and names the restore between
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts"]) == 1
    latest = _history_json(capsys)[0]
    with History.open() as h:
        lines = [c.text.en for c in h.compare_with_last(latest["visit"])]
    assert lines[1].startswith("In between, on ") and lines[1].endswith("a parameter backup was restored.")
    assert "TID: 12345678 → 12345687" in lines
    assert "New since the last visit: TID keyed wrong" in lines


# -- migrations -----------------------------------------------------------------------------------


def _demo_doc(tmp_path) -> dict:
    out = tmp_path / "demo.json"
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(out)]) == 1
    return json.loads(out.read_text())


def test_a_version_1_file_is_migrated_and_keeps_its_visits(data, tmp_path):
    doc = _demo_doc(tmp_path)
    path = tmp_path / "old.sqlite3"
    old = History.open(path, upto=1)
    assert old.schema_version == 1
    conn = old._conn
    conn.execute("INSERT INTO terminals VALUES ('82412345', 'PAX', 'S90', ?, ?)", (doc["started_at"],) * 2)
    for tid in ("12345687", "12345678"):
        d = json.loads(json.dumps(doc))
        d["terminal"]["tid"] = tid
        conn.execute(
            "INSERT INTO visits (serial_number, kind, started_at, tid, mid, merchant, port, outcome, diagnosis_json) "
            "VALUES ('82412345', 'diagnose', ?, ?, ?, 'Demo', 'sim://demo-97', 'faults', ?)",
            (doc["started_at"], tid, doc["terminal"]["mid"], json.dumps(d)),
        )
    old.close()
    with History.open(path) as h:
        assert h.schema_version == SCHEMA_VERSION == 2
        assert h.integrity_check() == "ok"
        visits = h.visits(sn="82412345")
        assert len(visits) == 2 and all(v.training for v in visits)  # the new column, filled from the port
        # the readings were extracted from the stored diagnosis: the comparison works on old visits
        assert "TID: 12345687 → 12345678" in [c.text.en for c in h.compare_with_last(visits[0].id)]
        h.record(doc)  # and new visits are written with the new tables
        assert len(h.visits()) == 3


def test_a_newer_or_foreign_file_is_refused_untouched(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer techapp"):
        History.open(newer)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not sqlite" * 500)
    with pytest.raises(HistoryError, match="damaged or not a database"):
        History.open(junk)
    assert junk.read_bytes() == b"not sqlite" * 500


# -- a killed writer ------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, os, signal, sys
    from techapp.history import History

    path, doc_path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    doc = json.load(open(doc_path, encoding="utf-8"))
    h = History.open(path)
    seen = []

    def trace(sql):
        if sql.startswith("BEGIN") or seen:
            seen.append(sql)
            if len(seen) == kill_at:  # SIGKILL: no cleanup, no rollback, like a pulled power cord
                os.kill(os.getpid(), signal.SIGKILL)

    h._conn.set_trace_callback(trace)
    h.record(doc, technician={"name": "Wang Wei", "id": "T-0042"})
    print(len(seen))
    """
)


def _write(path: Path, doc_path: Path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WRITER, str(path), str(doc_path), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def _snapshot(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        tables = ("terminals", "visits", "checks", "findings", "actions", "readings", "backups", "reports")
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def test_a_writer_killed_mid_save_leaves_no_half_visit(data, tmp_path):
    doc = _demo_doc(tmp_path)
    doc_path = tmp_path / "doc.json"
    doc_path.write_text(json.dumps(doc), encoding="utf-8")
    db = tmp_path / "h.sqlite3"
    done = _write(db, doc_path, kill_at=10**6)  # a whole save: how many statements it takes
    assert done.returncode == 0, done.stderr
    statements = int(done.stdout)
    assert statements > 10  # BEGIN, terminal, visit, checks ..., COMMIT
    saved = _snapshot(db)
    assert len(saved["visits"]) == 1 and len(saved["checks"]) == len(doc["checks"])
    # kill it at the BEGIN, in the middle of the rows, and at the COMMIT itself (before it completes)
    for kill_at in sorted({1, 2, 3, statements // 2, statements - 1, statements}):
        killed = _write(db, doc_path, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr)
        with History.open(db) as h:
            assert h.integrity_check() == "ok"
            assert [v.id for v in h.visits()] == [1]  # the saved visit, and no part of the killed one
        assert _snapshot(db) == saved, kill_at
    # a writer killed right after its save returned keeps that visit whole
    after = textwrap.dedent(
        """
        import json, os, signal, sys
        from techapp.history import History
        h = History.open(sys.argv[1])
        h.record(json.load(open(sys.argv[2], encoding="utf-8")))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    killed = subprocess.run([sys.executable, "-c", after, str(db), str(doc_path)], cwd=ROOT, timeout=60)
    assert killed.returncode == -9
    with History.open(db) as h:
        assert h.integrity_check() == "ok"
        assert len(h.visits()) == 2
        assert len(h.visit(h.visits()[0].id).checks) == len(doc["checks"])


def test_report_of_a_recorded_visit_is_kept_with_it(data, tmp_path, capsys):
    assert main(["diagnose", "--demo", "--fix", "none", "--no-prompts"]) == 1
    assert main(["diagnose", "--port", "sim://healthy", "--fix", "none", "--no-prompts"]) == 3
    demo, healthy = sorted(_history_json(capsys), key=lambda v: v["visit"])
    # --last --sn: the newest visit of that terminal; both sims are SN 82412345, so the healthy one
    out = tmp_path / "last.json"
    assert main(["report", "--last", "--sn", demo["serial_number"], "--json", str(out), "--no-sign"]) == 0
    last = json.loads(out.read_text())
    assert last["terminal"]["serial_number"] == "82412345" and last["outcome"] == healthy["outcome"]
    # VISIT: that visit's diagnosis, and the report is kept with it (its number shows in the list)
    out = tmp_path / "demo.json"
    assert main(["report", str(demo["visit"]), "--json", str(out), "--no-sign"]) == 0
    report = json.loads(out.read_text())
    assert report["outcome"] == "faults" and report["terminal"]["tid"] == "12345687"
    listed = {v["visit"]: v for v in _history_json(capsys)}
    assert listed[demo["visit"]]["report_no"] == report["report_no"]
    with History.open() as h:
        kept = h.visit(demo["visit"])
        assert kept.report == report and kept.fingerprint == report["fingerprint"]
    capsys.readouterr()
    assert main(["history", "--sn", "82412345"]) == 0
    assert f"report {report['report_no']}" in capsys.readouterr().out
    # a visit that is not there
    assert main(["report", "999", "--json", str(tmp_path / "x.json")]) == 2
    assert "no visit 999" in capsys.readouterr().err
