"""The window's repair bench (ui/bench_view.py): several simulated terminals on real ptys at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from drivers.ports import TERMINAL, UNKNOWN, PortInfo
from techapp.history import History
from ui import service as svc
from ui.bench_view import BenchView

DEMO_PASSWORD = "demo-2026"
SN = '[identity]\nserial_number = "{}"\n'
TIMEOUT_MS = 60_000


@pytest.fixture
def bench(qtbot, pty_sim):
    # after pty_sim, so closed before its terminals stop: each session logs out on its own pty (on a freed
    # /dev/pts/N the LOGOUT owed to a lost link would reach whichever pty has that number next)
    service = svc.TerminalService()
    view = BenchView(service, watch_ports=False)
    qtbot.addWidget(view)
    view.show()
    yield view
    from PySide6.QtCore import QCoreApplication, QEvent

    view.close_bench()
    assert service.shutdown(), "a worker thread did not stop"
    service.deleteLater()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _port_info(device: str, kind=TERMINAL) -> PortInfo:
    return PortInfo(device, "PAX terminal", "USB VID:PID=2FB8:0001", 0x2FB8, 0x0001, None, "PAX", "PAX", kind)


def _cell(view: BenchView, port: str, column: int) -> str:
    view.refresh()  # rows are redrawn together every 100 ms
    for r in range(view.proxy.rowCount()):
        index = view.proxy.index(r, 0)
        if view._port_at(index) == port:
            return view.proxy.index(r, column).data()
    raise AssertionError(f"{port} has no row")


def test_the_bench_diagnoses_several_terminals_queues_their_prompts_and_opens_one(bench, qtbot, pty_sim, tmp_path):
    healthy = pty_sim("healthy", SN.format("SN-HEALTHY"))
    paper = pty_sim("printer-no-paper", SN.format("SN-PAPER"))
    wrong = pty_sim("healthy", SN.format("SN-WRONG") + '[maintenance]\npassword = "another-one"\n')
    orders = tmp_path / "orders.csv"
    orders.write_text("id,serial_number,tid,mid\nWO-PAPER,SN-PAPER,12345678,123456789012345\n", encoding="utf-8")
    bench.load_work_orders(str(orders))
    # rows appear when the port watcher reports terminals (VID:PID); an unknown port gets none
    bench.ports_changed([_port_info(p.path) for p in (healthy, paper, wrong)] + [_port_info("/dev/ttyS0", UNKNOWN)])
    assert set(bench.entries) == {healthy.path, paper.path, wrong.path}
    bench.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(bench.all_button, Qt.MouseButton.LeftButton)

    # the person tests of two terminals queue in one list, each naming its terminal; answered one by one
    answered: set[str] = set()

    def answer_prompts() -> bool:
        for i in range(bench.prompts.count()):
            text = bench.prompts.item(i).text()
            assert text.startswith("SN SN-") and " on /dev/" in text
        if bench.prompts.count():
            answered.add(bench.prompts.item(0).text().split(":")[0])
            qtbot.mouseClick(bench.ready_button, Qt.MouseButton.LeftButton)
        return all(not e.running for e in bench.entries.values())

    opened = None
    for _ in range(TIMEOUT_MS // 50):
        if answer_prompts():
            break
        if opened is None and bench.entries[healthy.path].session is not None:
            # the full view of one terminal opens while every terminal is running; they all go on
            running_then = [e.running for e in bench.entries.values()]
            opened = bench.open_full_view(healthy.path)
        qtbot.wait(50)
    assert all(not e.running for e in bench.entries.values())
    assert answered >= {f"SN SN-HEALTHY on {healthy.path}", f"SN SN-PAPER on {paper.path}"}
    assert opened is not None and opened.isVisible() and opened.diagnosis is not None  # it saw the result too
    assert running_then == [True, True, True]

    assert _cell(bench, healthy.path, 2) == "SN-HEALTHY" and _cell(bench, healthy.path, 5) == "healthy"
    assert _cell(bench, paper.path, 5) == "faults: Printer out of paper"
    assert _cell(bench, wrong.path, 5).startswith("could not run: wrong maintenance password")
    assert bench.entries[paper.path].diagnosis.work_order["id"] == "WO-PAPER"  # matched by serial number
    assert bench.entries[healthy.path].diagnosis.work_order is None
    # never colour alone: each outcome has its icon and its words
    for port in (healthy.path, paper.path, wrong.path):
        r = bench._source_row(port)
        assert not bench.model.item(r, 5).icon().isNull() and bench.model.item(r, 5).text()

    # sortable: by outcome, faults before healthy (alphabetical on the outcome id: could-not-run, faults, healthy)
    bench.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    order = [bench._port_at(bench.proxy.index(r, 0)) for r in range(bench.proxy.rowCount())]
    assert order == [wrong.path, paper.path, healthy.path]
    # filterable
    bench.filter.setText("sn-paper")
    assert bench.proxy.rowCount() == 1 and bench._port_at(bench.proxy.index(0, 0)) == paper.path
    bench.filter.clear()

    # each result is in the visit history; the bench summary sheet prints them all
    with History.open() as h:
        sns = {v.serial_number for v in h.visits()}
    assert {"SN-HEALTHY", "SN-PAPER"} <= sns
    text = bench.summary_text()
    assert "SN-PAPER" in text and "Printer out of paper" in text and "SN-HEALTHY" in text
    pdf = tmp_path / "bench.pdf"
    bench.save_summary_pdf(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    opened.close()
    # a watched port that goes away is marked, not dropped
    bench.ports_changed([_port_info(p.path) for p in (healthy, paper)])
    assert _cell(bench, wrong.path, 4) == "done" or _cell(bench, wrong.path, 4) == "port gone"
    assert bench.entries[wrong.path].present is False


def test_a_pulled_terminal_does_not_stop_the_others(bench, qtbot, pty_sim, tmp_path):
    # The pulled terminal is reached by a name that goes away with it (as /dev/serial/by-id/... does).
    # Its own /dev/pts/N is handed to the next pty made on the machine (another test, on another xdist
    # worker), and the bench's session logs out on a new connection after a lost link: by the pty's
    # number that LOGOUT would reach a stranger's simulated terminal.
    pulled_port = str(tmp_path / "ttyPULLED")
    pulled = pty_sim("healthy", SN.format("SN-PULLED"), link=pulled_port)
    paper = pty_sim("printer-no-paper", SN.format("SN-PAPER"))
    for port in (pulled_port, paper.path):
        bench.add_port(port)
    bench.opt_person.setChecked(False)
    bench.password.setText(DEMO_PASSWORD)
    bench.diagnose([pulled_port, paper.path])
    qtbot.waitUntil(lambda: bench.entries[pulled_port].state == "diagnosing", timeout=TIMEOUT_MS)
    pulled.stop()  # the cable comes out half-way
    qtbot.waitUntil(lambda: all(not e.running for e in bench.entries.values()), timeout=TIMEOUT_MS)
    assert bench.entries[pulled_port].outcome == "could-not-run"
    assert _cell(bench, paper.path, 5) == "faults: Printer out of paper"


def test_the_main_window_opens_the_bench_from_the_file_menu(make_window, qtbot):
    window = make_window()
    action = window.findChild(type(window.bench.action), "act-bench")
    assert action is not None and action in window.menu_file.actions()
    assert action.shortcut().toString() == "Ctrl+Shift+B"
    action.trigger()
    bench = window.bench.bench
    assert bench is not None and bench.isVisible() and bench.view.table.model().columnCount() == 7
    bench.close()


def test_the_bench_speaks_chinese(bench):
    from ui.i18n import languages

    bench.add_port("sim://healthy")
    try:
        languages().set_language("zh")
        headers = [bench.model.horizontalHeaderItem(c).text() for c in range(bench.model.columnCount())]
        assert headers == ["端口", "型号", "序列号", "终端号", "状态", "结果", "用时"]
        assert _cell(bench, "sim://healthy", 4) == "等待"
        assert bench.all_button.text() == "全部诊断(&A)"
    finally:
        languages().set_language("en")
    assert _cell(bench, "sim://healthy", 4) == "waiting"


def test_a_terminal_with_its_own_password_and_work_order(bench, qtbot, pty_sim, tmp_path):
    own = pty_sim("printer-no-paper", SN.format("SN-OWN") + '[maintenance]\npassword = "another-one"\n')
    usual = pty_sim("printer-no-paper", SN.format("SN-USUAL"))
    order = tmp_path / "own.toml"
    order.write_text('id = "WO-OWN"\ntid = "12345678"\nmid = "123456789012345"\n', encoding="utf-8")
    for s in (own, usual):
        bench.add_port(s.path)
    from techapp.workorder import load_work_order

    bench.set_password(own.path, "another-one")  # per terminal; the other uses the bench's
    bench.set_work_order(own.path, load_work_order(order))
    bench.opt_person.setChecked(False)
    bench.password.setText(DEMO_PASSWORD)
    bench.diagnose_all()
    qtbot.waitUntil(lambda: all(not e.running for e in bench.entries.values()), timeout=TIMEOUT_MS)
    assert _cell(bench, own.path, 5) == _cell(bench, usual.path, 5) == "faults: Printer out of paper"
    assert bench.entries[own.path].diagnosis.work_order["id"] == "WO-OWN"
    assert bench.entries[usual.path].diagnosis.work_order is None
