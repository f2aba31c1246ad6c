"""The service report: real runs on the simulated terminal, rendered to PDF in both languages and read back.

PDFs are read with poppler's pdftotext/pdffonts/pdfinfo (scripts/setup installs poppler-utils). The
text is NFKC-normalised and its white space collapsed before comparing: Noto CJK maps a few ideographs
(入, 示) to their Kangxi-radical code points in the PDF's ToUnicode table, as a copy-paste reads them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import unicodedata
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import jsonschema
import pytest

import ui.report_render as report_render
from techapp import cli, schemas
from techapp.credentials import DEMO_PASSWORD
from techapp.report import (
    RenderError,
    build_report,
    clean,
    fingerprint,
    load_report,
    mask_pan,
    render_pdf,
    seal,
    verify,
)
from techapp.settings import Settings, SettingsError, load_settings, save_settings

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "resources" / "scenarios"


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} (poppler-utils) is not installed: run scripts/setup")
    return exe


def pdf_text(path: Path, page: int | None = None) -> str:
    args = [_tool("pdftotext"), "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, str(path), "-"], capture_output=True, check=True, timeout=60).stdout
    # one space for every run of white space: a paragraph's line breaks fall where the page width says
    return " ".join(unicodedata.normalize("NFKC", out.decode("utf-8")).split())


def pdf_pages(path: Path) -> int:
    out = subprocess.run([_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def pdf_info(path: Path) -> str:
    return subprocess.run([_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch, qapp):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TECHAPP_CONFIG_DIR", raising=False)
    monkeypatch.setenv("TECHAPP_PASSWORD", DEMO_PASSWORD)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    report_render.register()
    save_settings(Settings(technician_name="王伟 Wang Wei", technician_id="T-0042", company="Demo Field Service"))


def _secrets() -> set[str]:
    """Every clear key and password in the demo's scenario files (and the halves of the keys)."""
    found = {DEMO_PASSWORD}
    for name in ("demo-97.toml", "healthy.toml"):
        text = (SCENARIOS / name).read_text(encoding="utf-8")
        for m in re.finditer(r'^\s*(\w*(?:key|password|pin)\w*)\s*=\s*"([^"]{6,})"', text, re.M | re.I):
            value = m.group(2)
            found.add(value)
            if re.fullmatch(r"[0-9A-Fa-f]{32,}", value):
                found.update({value[:16], value[16:32]})
    assert len(found) > 3, "no keys found in the scenario files: did their format change?"
    return found


def _assert_no_secret(text: str) -> None:
    for secret in _secrets():
        assert secret not in text and secret.lower() not in text.lower(), f"a secret reached the report: {secret[:4]}…"


def _schema_validate(doc: dict) -> None:
    schema = json.loads((schemas.SCHEMA_DIR / "report-v1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_the_committed_schema_is_the_codes():
    assert (schemas.SCHEMA_DIR / "report-v1.schema.json").read_text(encoding="utf-8") == schemas.render(
        "report-v1.schema.json"
    )


def test_a_faulty_terminal_reported_in_english_and_chinese(tmp_path, capsys):
    pdf = tmp_path / "visit.pdf"
    code = cli.main(
        ["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--report", str(pdf), "--lang", "en"]
    )
    assert code == 1  # faults found; the report does not change the exit code
    doc = load_report(tmp_path / "visit.json")  # the JSON beside the PDF
    _schema_validate(doc)
    assert doc["outcome"] == "faults" and doc["training"] is True
    assert doc["technician"] == {"name": "王伟 Wang Wei", "id": "T-0042"}
    assert re.fullmatch(r"TA-\d{8}-\d{6}-412345", doc["report_no"])
    assert re.search(r"[+-]\d\d:\d\d$", doc["issued_at"])  # the time zone is on the date
    assert doc["fingerprint"] == fingerprint(doc)

    en = pdf_text(pdf)
    for expected in (
        "Service report",
        doc["report_no"],
        "FAULTS FOUND",
        "Faults found: TID keyed wrong",
        "王伟 Wang Wei",
        "T-0042",
        "示例便利店 Demo Corner Shop",
        "广州市天河区体育西路 1 号",  # the site, from the work order
        "WO-2026-1125-0042",
        "PAX S90",
        "82412345",
        "12345687",  # the TID as the terminal has it
        "PayDroid FW 2.6.41",
        "UnionPay POS V3.2.15",
        "TID keyed wrong",
        "The host has no record of that terminal",  # the cause
        "response code 97",  # the evidence
        "Not tested",
        "Card reader test",
        "Checklist",
        "Signature",
        doc["fingerprint"],
    ):
        assert expected in en, expected
    # failures first: the parameters group (a FAIL) comes before the hardware group (all ok)
    annex = en[en.index("Checklist") :]
    assert annex.index("Parameters") < annex.index("Hardware")
    # training on every page
    for page in range(1, pdf_pages(pdf) + 1):
        assert "TRAINING" in pdf_text(pdf, page), page

    # the same report in Chinese, from its JSON: the same fingerprint, Chinese words, the font embedded
    zh_pdf = tmp_path / "visit-zh.pdf"
    assert cli.main(["report", "--from-json", str(tmp_path / "visit.json"), "--pdf", str(zh_pdf), "--lang", "zh"]) == 0
    assert load_report(tmp_path / "visit-zh.json")["fingerprint"] == doc["fingerprint"]
    zh = pdf_text(zh_pdf)
    for expected in ("维修服务报告", "发现故障", "终端号输入错误", "主机没有该终端记录", "签字", "未测试项目", "培训"):
        assert expected in zh, expected
    assert doc["fingerprint"] in zh
    fonts = subprocess.run([_tool("pdffonts"), str(zh_pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line or "Hei" in line or "YaHei" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column

    for text in (en, zh, json.dumps(doc, ensure_ascii=False)):
        _assert_no_secret(text)


def test_a_repair_reports_before_after_read_back_and_sign_on(tmp_path):
    diag = tmp_path / "d.json"
    code = cli.main(["diagnose", "--demo", "--fix", "auto", "--no-prompts", "--no-history", "--json", str(diag)])
    assert code == 3  # fixed, but the person tests did not run
    pdf = tmp_path / "r.pdf"
    assert cli.main(["report", "--from-json", str(diag), "--pdf", str(pdf), "--paper", "Letter"]) == 0
    doc = load_report(tmp_path / "r.json")
    _schema_validate(doc)
    (taken,) = doc["actions_taken"]
    assert taken["result"] == "done"
    assert taken["values"] == [{"name": "tid", "written": "12345678", "read_back": "12345678"}]
    assert taken["sign_on"]["response_code"] == "00"
    assert "/" not in taken["backup"]  # the file name only
    text = pdf_text(pdf)
    assert "INCOMPLETE" in text and "Actions taken" in text
    assert "Found and repaired during this visit: TID keyed wrong" in text  # the finding the repair took away
    assert re.search(r"Set (the )?TID[^—]* — done", text)  # the action's title (the engine's, when it keeps one)
    assert "TID 12345678 12345678" in text  # the parameter as the terminal's menu names it: written, read back
    assert "Sign-on afterwards: 00" in text
    assert re.search(r"Terminal ID \(TID\) FAIL → ok", text)  # the check before and after
    assert "612 x 792 pts" in pdf_info(pdf)  # Letter
    _assert_no_secret(text)


def test_verify_valid_modified_unsigned_and_the_pdf_beside_it(tmp_path, capsys):
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    pdf, js = tmp_path / "r.pdf", tmp_path / "r.json"
    assert cli.main(["report", "--from-json", str(diag), "--pdf", str(pdf)]) == 0
    capsys.readouterr()

    assert cli.main(["verify", str(js), "--pdf", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "VALID" in out and "this computer's technician key" in out and "PDF matches" in out
    key = Path(os.environ["TECHAPP_DATA_DIR"]) / "report-signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE" not in js.read_text(encoding="utf-8")  # only the public key travels

    # one changed word in the JSON: modified, and the PDF no longer matches it
    doc = json.loads(js.read_text(encoding="utf-8"))
    doc["terminal"]["tid"] = "12345678"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["verify", str(tampered), "--pdf", str(pdf)]) == 1
    out = capsys.readouterr().out
    assert "MODIFIED" in out and "PDF DOES NOT MATCH" in out

    # re-sealed without the key (fingerprint recomputed, old signature kept): the signature gives it away
    doc["fingerprint"] = fingerprint(doc)
    tampered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert verify(tampered).verdict == "bad-signature"
    assert cli.main(["verify", str(tampered)]) == 1
    assert "MODIFIED" in capsys.readouterr().out

    # unsigned: the fingerprint holds, nobody vouches for it
    save_settings(load_settings().with_changes(sign_reports=False))
    assert cli.main(["report", "--from-json", str(diag), "--json", str(tmp_path / "u.json")]) == 0
    capsys.readouterr()
    assert cli.main(["verify", str(tmp_path / "u.json")]) == 0
    assert "UNSIGNED" in capsys.readouterr().out

    # the PDF of another report (another number) does not match this one
    other = seal(build_report(json.loads(diag.read_text(encoding="utf-8")), report_no="TA-OTHER"))
    render_pdf(other, tmp_path / "other.pdf", lang="en")
    assert verify(js, tmp_path / "other.pdf").pdf == "differs"
    assert verify(tmp_path / "u.json", tmp_path / "other.pdf").ok is False
    # a file that is not a PDF
    (tmp_path / "fake.pdf").write_text("hello", encoding="utf-8")
    assert verify(js, tmp_path / "fake.pdf").pdf == "unreadable"


def test_a_modified_report_is_not_rendered_again(tmp_path, capsys):
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    js = tmp_path / "r.json"
    assert cli.main(["report", "--from-json", str(diag), "--json", str(js)]) == 0
    doc = json.loads(js.read_text(encoding="utf-8"))
    doc["outcome"] = "healthy"
    js.write_text(json.dumps(doc), encoding="utf-8")
    assert cli.main(["report", "--from-json", str(js), "--pdf", str(tmp_path / "x.pdf")]) == 1
    assert "modified" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_card_numbers_are_masked_and_key_material_hidden(tmp_path):
    assert mask_pan("4111 1111 1111 1111") == "411111******1111"
    assert clean("swiped 4111111111111111 ok") == "swiped 411111******1111 ok"
    assert clean("track2 4111111111111111=25121010000") == "track2 411111******1111"
    assert clean("MID 123456789012345", keep=["123456789012345"]) == "MID 123456789012345"
    assert clean("backup 82412345-20261204-172813-521545.json") == "backup 82412345-20261204-172813-521545.json"
    assert clean("STAN 001209 batch 37") == "STAN 001209 batch 37"
    assert clean("key F039121BEC83D26B169BDCD5B22AAF8F") == "key [hidden]"
    assert clean("check value 08D7B4FB") == "check value 08D7B4FB"

    # a PAN in any free text of a diagnosis (here a log line in a check summary) never reaches the report
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    d = json.loads(diag.read_text(encoding="utf-8"))
    d["checks"][0]["summary"] = {"en": "card 6228480402564890018 declined", "zh": "卡 6228 4804 0256 4890 018 被拒"}
    d["findings"][0]["evidence"].append({"en": "PAN 4111-1111-1111-1111", "zh": "卡号 4111111111111111"})
    report = seal(build_report(d, technician={"name": "x", "id": "y"}))
    text = json.dumps(report, ensure_ascii=False)
    assert "6228480402564890018" not in text and "4111111111111111" not in text and "4111-1111" not in text
    assert "622848*********0018" in text and "411111******1111" in text
    assert report["terminal"]["mid"] == "123456789012345"  # the MID is no card number
    pdf = tmp_path / "r.pdf"
    render_pdf(report, pdf, lang="zh")
    assert "411111******1111" in pdf_text(pdf)
    assert "4111111111111111" not in pdf_text(pdf).replace(" ", "")


def test_no_chinese_font_is_an_error_not_boxes(tmp_path, monkeypatch):
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    report = seal(build_report(json.loads(diag.read_text(encoding="utf-8"))))
    monkeypatch.setattr(report_render, "cjk_family", lambda: None)
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        render_pdf(report, tmp_path / "r.pdf", lang="zh")
    assert not (tmp_path / "r.pdf").exists()


def test_a_font_in_resources_fonts_is_tried_first(monkeypatch, tmp_path):
    (tmp_path / "fonts").mkdir()
    fake = tmp_path / "fonts" / "Bundled.ttf"
    fake.write_bytes(b"\0")
    monkeypatch.setattr(report_render, "resource_root", lambda: tmp_path)
    assert report_render.font_candidates()[0] == fake


def test_settings_are_validated_and_kept(tmp_path, capsys):
    assert cli.main(["settings", "--technician-name", "Li Na", "--technician-id", "T-7", "--report-lang", "zh"]) == 0
    s = load_settings()
    assert (s.technician_name, s.technician_id, s.report_lang) == ("Li Na", "T-7", "zh")
    assert "Li Na" in capsys.readouterr().out
    path = Path(os.environ["TECHAPP_DATA_DIR"]) / "settings.toml"
    path.write_text('technician_nam = "typo"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="technician_nam"):
        load_settings()
    assert cli.main(["settings"]) == 2
    assert "unknown setting" in capsys.readouterr().err


def _scenario_report(tmp_path: Path, scenario: str, *extra: str) -> tuple[dict, str]:
    pdf = tmp_path / f"{scenario}.pdf"
    code = cli.main(
        ["diagnose", "--port", f"sim://{scenario}", "--profile", "demo", "--no-prompts", "--no-history", *extra]
        + ["--report", str(pdf), "--lang", "en"]
    )
    assert code in (0, 1, 3), code
    return load_report(pdf.with_suffix(".json")), pdf_text(pdf)


def test_escalation_manual_steps_and_a_finding_fixed_during_the_diagnosis(tmp_path):
    doc, text = _scenario_report(tmp_path, "not-registered-97", "--fix", "none")
    _schema_validate(doc)
    (esc,) = doc["escalations"]
    assert esc["recipient"] and esc["recipient"] in text
    assert "Escalation" in text and "Response code: 97" in text  # the text to send, as it is
    assert "Open items" in text and "Terminal not registered at the acquirer" in text

    doc, text = _scenario_report(tmp_path, "printer-no-paper", "--fix", "none")
    (manual,) = doc["manual_steps"]
    assert "Manual steps" in text and manual["steps"] and manual["steps"][0]["en"] in text

    doc, text = _scenario_report(tmp_path, "clock-set-by-sign-on", "--fix", "none")
    assert [f["state"] for f in doc["findings"]] == ["fixed-during-diagnosis"]
    assert "[fixed during this visit]" in text


def test_a_real_terminal_is_not_marked_training(tmp_path):
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    d = json.loads(diag.read_text(encoding="utf-8"))
    d["port"] = "/dev/ttyACM0"
    report = seal(build_report(d))
    assert report["training"] is False and report["visit"]["port"] == "/dev/ttyACM0"
    render_pdf(report, tmp_path / "r.pdf", lang="en")
    assert "TRAINING" not in pdf_text(tmp_path / "r.pdf")


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    gone = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "TECHAPP_CONFIG_DIR")
    env = {k: v for k, v in os.environ.items() if k not in gone}
    env.update(TECHAPP_DATA_DIR=str(tmp_path / "data"), TECHAPP_PASSWORD=DEMO_PASSWORD, PYTHONIOENCODING="utf-8")
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)


def test_the_command_renders_headless_and_keeps_the_report_with_the_visit(tmp_path):
    """`techapp` on a box without a display (no DISPLAY, no QT_QPA_PLATFORM): the offscreen platform renders."""
    import sys

    techapp_exe = [sys.executable, "-c", "import sys; from ui.launcher import main; sys.exit(main())"]
    ran = _run([*techapp_exe, "diagnose", "--demo", "--fix", "none", "--no-prompts", "--report", "a.pdf"], tmp_path)
    assert ran.returncode == 1, ran.stderr
    assert "report PDF: a.pdf" in ran.stderr
    first = load_report(tmp_path / "a.json")
    from techapp.history import History

    with History.open(tmp_path / "data" / "history.sqlite3") as h:
        stored = h.visit(h.last_visit().id).report
    assert stored is not None and stored["fingerprint"] == first["fingerprint"]  # kept with the visit

    # the visit in the history has its report: rendering it again gives the same number and fingerprint
    ran = _run([*techapp_exe, "report", "--last", "--pdf", "b.pdf"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    again = load_report(tmp_path / "b.json")
    assert (again["report_no"], again["fingerprint"]) == (first["report_no"], first["fingerprint"])
    assert first["fingerprint"] in pdf_text(tmp_path / "b.pdf")

    # a printer that is not there: exit 2 and why, nothing printed
    ran = _run([*techapp_exe, "report", "--last", "--print", "--printer", "no-such-printer-here"], tmp_path)
    assert ran.returncode == 2 and "no printer named 'no-such-printer-here'" in ran.stderr

    # python -m techapp has no Qt renderer (techapp may not import QtGui): it says so, exit 2
    ran = _run([sys.executable, "-m", "techapp", "report", "--last", "--pdf", "c.pdf"], tmp_path)
    assert ran.returncode == 2 and "needs the desktop part" in ran.stderr
    assert not (tmp_path / "c.pdf").exists() and not (tmp_path / "c.json").exists()


def test_without_a_system_cjk_font_the_bundled_font_prints_chinese(tmp_path):
    """What the frozen build does on a laptop without CJK fonts: fontconfig sees none, resources/fonts has one."""
    import sys

    source = next((Path(p) for p in report_render.SYSTEM_CJK_FONTS if Path(p).is_file()), None)
    if source is None:
        pytest.fail("no CJK font file on this machine: scripts/setup installs fonts-noto-cjk")
    bundle = tmp_path / "bundle"
    (bundle / "fonts").mkdir(parents=True)
    shutil.copyfile(source, bundle / "fonts" / source.name)
    diag = tmp_path / "d.json"
    cli.main(["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--json", str(diag)])
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    script = f"""
import json, sys
from pathlib import Path
import ui.report_render as rr
from PySide6.QtGui import QFontDatabase
rr.SYSTEM_CJK_FONTS = ()
rr.resource_root = lambda: Path({str(bundle)!r})
rr.ensure_app()
assert not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese), "fontconfig still sees a CJK font"
from techapp.report import build_report, render_pdf, seal
report = seal(build_report(json.loads(Path({str(diag)!r}).read_text(encoding="utf-8"))))
render_pdf(report, {str(tmp_path / "r.pdf")!r}, lang="zh")
"""
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf"), "QT_QPA_PLATFORM": "offscreen"}
    ran = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "终端号输入错误" in pdf_text(tmp_path / "r.pdf")
    fonts = subprocess.run([_tool("pdffonts"), str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert "CJK" in fonts, fonts


def test_the_report_page_pictures_can_be_made(tmp_path):
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    script = ROOT / "docs" / "screenshots" / "make_report_pages.py"
    ran = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    for lang in ("en", "zh"):
        png = (tmp_path / f"report-{lang}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 50_000  # a page with text, not a blank one


def test_an_unreadable_signing_key_is_said_plainly(tmp_path, capsys):
    key = Path(os.environ["TECHAPP_DATA_DIR"]) / "report-signing-key.pem"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("not a key\n", encoding="utf-8")
    code = cli.main(
        ["diagnose", "--demo", "--fix", "none", "--no-prompts", "--no-history", "--report", str(tmp_path / "r.pdf")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "no report: the signing key" in err and "cannot be read" in err and "Traceback" not in err
    assert not (tmp_path / "r.pdf").exists()
    assert key.read_text(encoding="utf-8") == "not a key\n"  # never overwritten
