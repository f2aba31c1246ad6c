"""Languages: the Linguist files are current and complete; switching changes what is on screen."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ui import i18n
from ui.app import setup_demo

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("locale", i18n.TRANSLATED)
def test_ts_file_is_what_lupdate_makes_from_the_source(locale, tmp_path):
    committed = i18n.ts_path(locale)
    fresh = tmp_path / committed.name
    shutil.copy(committed, fresh)
    subprocess.run(i18n.lupdate_command(str(fresh)), check=True, capture_output=True, timeout=120)
    assert fresh.read_bytes() == committed.read_bytes(), (
        f"{committed.name} is stale: run `.venv/bin/python -m ui.i18n` and translate the new strings"
    )


@pytest.mark.parametrize("locale", i18n.TRANSLATED)
def test_every_string_is_translated(locale):
    root = ET.parse(i18n.ts_path(locale)).getroot()
    unfinished = [
        m.findtext("source")
        for m in root.iter("message")
        if m.find("translation").get("type") in ("unfinished", "vanished", "obsolete")
        or not (m.findtext("translation") or "").strip()
    ]
    assert not unfinished, f"untranslated in {locale}: {unfinished}"


@pytest.mark.parametrize("locale", i18n.TRANSLATED)
def test_translations_keep_their_placeholders_and_accelerators(locale):
    root = ET.parse(i18n.ts_path(locale)).getroot()
    for m in root.iter("message"):
        src, dst = m.findtext("source"), m.findtext("translation")
        for n in range(1, 5):
            assert (f"%{n}" in src) == (f"%{n}" in dst), (src, dst)
        assert ("&" in src.replace("&&", "")) == ("&" in dst.replace("&&", "")), (src, dst)


@pytest.mark.parametrize("locale", i18n.TRANSLATED)
def test_qm_is_built_from_the_current_ts(locale, tmp_path):
    qm = tmp_path / "fresh.qm"
    subprocess.run(i18n.lrelease_command(str(i18n.ts_path(locale)), str(qm)), check=True, timeout=120)
    assert qm.read_bytes() == i18n.qm_path(locale).read_bytes(), "run `.venv/bin/python -m ui.i18n`"


def test_payment_terms_use_the_terminal_wordings():
    root = ET.parse(i18n.ts_path("zh_CN")).getroot()
    zh = {m.findtext("source"): m.findtext("translation") for m in root.iter("message")}
    assert zh["Terminal ID (TID)"].startswith("终端号")
    assert zh["Merchant ID (MID)"].startswith("商户号")
    assert zh["Master key (TMK)"].startswith("主密钥")
    assert "签到" in zh["Sign-on (签到) by the terminal"]
    assert zh["Pending reversal"] == "待冲正"


def test_switching_the_language_at_run_time_changes_the_visible_text(qtbot, make_window):
    w = make_window("en")
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    assert w.diagnose_button.text() == "&Diagnose (F5)"
    assert w.tabs.tabText(2) == "Traffic log"
    finding = w.findings.findChild(QLabel, "finding-tid-mismatch").text()
    assert "TID keyed wrong" in finding
    group = w.checklist.topLevelItem(0).text(0)

    w.findChild(type(w.act_lang["zh"]), "lang-zh").trigger()
    qtbot.waitUntil(lambda: w.diagnose_button.text() == "诊断(&D)（F5）", timeout=5000)  # LanguageChange is posted
    assert w.tabs.tabText(2) == "通讯日志"
    assert w.windowTitle() == "techapp - POS 终端诊断【培训：模拟终端】"  # sim://: a training session
    assert w.connect_panel.connect_button.text() == "断开"
    zh_finding = w.findings.findChild(QLabel, "finding-tid-mismatch")
    assert zh_finding.text() != finding and "终端号" in zh_finding.text()  # techapp's Text.zh
    assert w.checklist.topLevelItem(0).text(0) != group
    assert "已连接" in w.link_label.text()
    assert w.terminal_view.topLevelItem(0).text(0) == "终端信息"

    w.act_lang["en"].trigger()
    qtbot.waitUntil(lambda: w.diagnose_button.text() == "&Diagnose (F5)", timeout=5000)
    assert "TID keyed wrong" in w.findings.findChild(QLabel, "finding-tid-mismatch").text()
    assert w.settings.value("language") == "en"


def test_the_language_follows_the_system_locale_until_one_is_chosen(qtbot, monkeypatch):
    from PySide6.QtCore import QLocale

    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("zh_CN")))
    assert i18n.system_language() == "zh"
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("de_DE")))
    assert i18n.system_language() == "en"
