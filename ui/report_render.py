"""The service report on paper: one renderer for a PDF file (QPdfWriter) and a printer (QPrinter).

The body is a QTextDocument (HTML built here from the report JSON) paginated to the page's body
area; every page gets the same frame painted with QPainter: the header (report number, company,
TRAINING band for simulated sessions), the footer (SHA-256 fingerprint, page n of N) and a QR code
carrying the report number and the fingerprint. The PDF also carries the fingerprint in its XMP
metadata (``techapp:fingerprint``) so ``techapp verify --pdf`` reads it back without OCR.

Fonts (docs/reports.md): one family for every page, chosen so that Chinese renders and is
embedded in the PDF: a font file in ``resources/fonts/`` (the frozen build bundles Noto Sans CJK
there), else ``$TECHAPP_REPORT_FONT``, else a known system file (Noto Sans CJK from
fonts-noto-cjk, WenQuanYi, Microsoft YaHei, PingFang), else any installed family that covers
Simplified Chinese. A report that has Chinese characters and finds no such font fails with
:class:`techapp.report.RenderError` instead of printing boxes.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)

import techapp.report as report_api
from drivers.resources import resource_root
from techapp.diagnosis.actions import parameter_label
from techapp.report import RenderError

# -- words ----------------------------------------------------------------------------------------

L = {
    "title": ("Service report", "维修服务报告"),
    "report_no": ("Report no.", "报告编号"),
    "issued": ("Issued", "出具时间"),
    "technician": ("Technician", "技术员"),
    "company": ("Service company", "服务公司"),
    "work_order": ("Work order", "工单"),
    "complaint": ("Complaint", "报修内容"),
    "merchant": ("Merchant", "商户"),
    "site": ("Site", "地址"),
    "mid": ("MID", "商户号"),
    "terminal": ("Terminal", "终端"),
    "sn": ("Serial no.", "序列号"),
    "tid": ("TID", "终端号"),
    "firmware": ("Firmware", "固件版本"),
    "app": ("Payment app", "支付应用版本"),
    "visit": ("Diagnosis", "诊断时间"),
    "outcome": ("Outcome", "结论"),
    "findings": ("Findings", "发现的问题"),
    "no_findings": ("No fault found.", "未发现故障。"),
    "repaired": ("Found and repaired during this visit", "本次发现并已修复"),
    "none_left": (
        "No fault remains after the repairs under Actions taken.",
        "经以下操作修复后，无遗留故障。",
    ),
    "cause": ("Cause", "原因"),
    "evidence": ("Evidence", "依据"),
    "actions": ("Actions taken", "已执行的操作"),
    "no_actions": ("No change was made to the terminal.", "未对终端做任何修改。"),
    "value": ("Parameter", "参数"),
    "written": ("Written", "写入"),
    "read_back": ("Read back", "回读"),
    "sign_on": ("Sign-on afterwards", "修复后签到"),
    "checks": ("Checks", "检查"),
    "backup": ("Backup", "备份"),
    "open": ("Open items", "未解决事项"),
    "manual": ("Manual steps", "需手工完成的步骤"),
    "escalation": ("Escalation", "上报"),
    "to": ("to", "收件方"),
    "untested": ("Not tested", "未测试项目"),
    "how": ("to test", "测试方法"),
    "checklist": ("Checklist", "检查清单"),
    "signatures": ("Signatures", "签字确认"),
    "signature": ("Signature", "签字"),
    "date": ("Date", "日期"),
    "name": ("Name", "姓名"),
    "merchant_sig": ("Merchant", "商户"),
    "accept": (
        "The merchant confirms the work above was done in their presence.",
        "商户确认以上工作已在其在场时完成。",
    ),
    "fingerprint": ("SHA-256 fingerprint", "SHA-256 指纹"),
    "page": ("Page {n} of {total}", "第 {n} 页，共 {total} 页"),
    "training": (
        "TRAINING: simulated terminal, not a service visit",
        "培训：模拟终端，并非真实服务记录",
    ),
    "fixed": ("fixed during this visit", "本次已修复"),
    "open_state": ("open", "未解决"),
    "complaint_mark": ("the complaint", "报修所指"),
    "summary": ("{pass} ok, {warn} warnings, {fail} failed, {skipped} skipped, {error} errors", ""),
    "could_not_run": ("Could not run", "未能完成"),
    "verify": ("Verify: techapp verify REPORT.json --pdf REPORT.pdf", "校验：techapp verify 报告.json --pdf 报告.pdf"),
}
OUTCOME = {
    "healthy": (("HEALTHY", "正常"), "#1b7f3b", "#e8f5ec"),
    "faults": (("FAULTS FOUND", "发现故障"), "#b3261e", "#fbeaea"),
    "incomplete": (("INCOMPLETE", "不完整"), "#9a6700", "#fff6dd"),
}
STATUS = {
    "pass": (("ok", "通过"), "#1b7f3b"),
    "warn": (("warn", "警告"), "#9a6700"),
    "fail": (("FAIL", "失败"), "#b3261e"),
    "skipped": (("skip", "跳过"), "#666666"),
    "error": (("ERROR", "错误"), "#b3261e"),
}
SEVERITY = {"critical": ("critical", "严重"), "high": ("high", "高"), "medium": ("medium", "中"), "low": ("low", "低")}
RESULT = {
    "done": ("done", "完成"),
    "failed": ("FAILED", "失败"),
    "declined": ("not confirmed", "未确认"),
    "blocked": ("blocked", "无法执行"),
    "restored": ("undone (backup restored)", "已撤销（已恢复备份）"),
    "unverified": ("written, not verified", "已写入，未验证"),
}
TRAINING_COLOUR = "#6a1b9a"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _w(key: str, lang: str, **fmt) -> str:
    en, zh = L[key]
    text = zh if lang == "zh" and zh else en
    return text.format(**fmt) if fmt else text


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def _tx(text: dict[str, str] | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en") or ""


def _e(s: Any) -> str:
    return html.escape(str(s), quote=False)


# -- fonts ----------------------------------------------------------------------------------------

SYSTEM_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
)
PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC")
_loaded: dict[str, list[str]] = {}


def _add_font_file(path: Path) -> list[str]:
    key = str(path)
    if key not in _loaded:
        fid = QFontDatabase.addApplicationFont(key)
        _loaded[key] = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        bold = Path(key.replace("Regular", "Bold"))
        if bold != path and bold.exists():
            QFontDatabase.addApplicationFont(str(bold))
    return _loaded[key]


def _best(families: list[str]) -> str | None:
    for want in PREFERRED_FAMILIES:
        if want in families:
            return want
    return families[0] if families else None


def font_candidates() -> list[Path]:
    """Font files tried in order (existing ones only)."""
    bundled = sorted(p for p in (resource_root() / "fonts").glob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc"))
    env = [Path(os.environ["TECHAPP_REPORT_FONT"])] if os.environ.get("TECHAPP_REPORT_FONT") else []
    return [p for p in [*bundled, *env, *map(Path, SYSTEM_CJK_FONTS)] if p.is_file()]


def cjk_family() -> str | None:
    """A font family with Simplified Chinese glyphs; None when there is none.

    A preferred family the system already has is used as it is: loading the same font file a second
    time as an application font gives Qt two engines with one PostScript name, and the PDF's
    ToUnicode map then loses the characters drawn with the second (text copied from the PDF, and
    ``techapp verify``'s pdftotext, would miss digits). Otherwise the font files are loaded, the
    bundled ones first.
    """
    installed = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    for family in PREFERRED_FAMILIES:
        if family in installed and family not in _app_families() and _covers(family, SAMPLE):
            return family
    for path in font_candidates():
        family = _best(_add_font_file(path))
        if family and _covers(family, SAMPLE):
            return family
    installed = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    for family in installed:
        if _covers(family, SAMPLE):
            return family
    return None


SAMPLE = "服务报告终端号"


def _app_families() -> set[str]:
    return {f for families in _loaded.values() for f in families}


def _covers(family: str, sample: str) -> bool:
    metrics = QFontMetricsF(QFont(family))
    return all(metrics.inFontUcs4(ord(ch)) for ch in sample)


#: Latin letters and digits come from one of these when installed, Chinese from the CJK family: Qt's
#: PDF writer maps Noto CJK's digit glyphs to no character in the ToUnicode table (the PDF looks right,
#: but its text, copied or read by pdftotext, loses the digits), so digits must not come from it.
LATIN_FAMILIES = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI")


def families_for(report: dict[str, Any], lang: str) -> list[str]:
    """The font families of a report, in fallback order: a Latin family, then the CJK one."""
    import json

    needs_cjk = lang == "zh" or bool(CJK.search(json.dumps(report, ensure_ascii=False)))
    cjk = cjk_family()
    if cjk is None and needs_cjk:
        raise RenderError(
            "no font with Chinese characters is installed: install fonts-noto-cjk (scripts/setup does) "
            "or put a CJK font file in resources/fonts/ (see docs/reports.md)"
        )
    installed = set(QFontDatabase.families())
    latin = next((f for f in LATIN_FAMILIES if f in installed), None)
    return [f for f in (latin, cjk) if f] or [QFont().defaultFamily()]


# -- the body as HTML -------------------------------------------------------------------------------

CSS = """
body { color: #111; }
h1 { font-size: 17pt; margin: 0; }
h2 { font-size: 11pt; margin-top: 10px; margin-bottom: 3px; color: #1f3b5c; border-bottom: 1px solid #1f3b5c; }
td { vertical-align: top; }
.small { font-size: 7.5pt; }
.muted { color: #555; }
.label { color: #555; font-size: 8pt; }
.mono { font-family: monospace; }
"""


def _kv(rows: list[tuple[str, str]], label_width: str = "30%") -> str:
    cells = "".join(
        f'<tr><td class="label" width="{label_width}">{_e(k)}</td><td>{_e(v) if v else "—"}</td></tr>' for k, v in rows
    )
    return f'<table cellspacing="0" cellpadding="1" width="100%">{cells}</table>'


def body_html(report: dict[str, Any], lang: str) -> str:
    t = lambda x: _tx(x, lang)  # noqa: E731
    w = lambda k, **f: _w(k, lang, **f)  # noqa: E731
    out: list[str] = [f"<html><head><style>{CSS}</style></head><body>"]
    col = "：" if lang == "zh" else ": "  # a label's colon, as each language writes it

    # title block
    term = report["terminal"]
    merch = report["merchant"]
    order = report.get("work_order") or {}
    tech = report["technician"]
    visit = report.get("visit") or {}
    out.append(
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f"<td><h1>{_e(w('title'))}</h1>"
        f'<span class="muted">{_e(report.get("company") or "")}</span></td>'
        f'<td align="right"><b>{_e(w("report_no"))}{col}{_e(report["report_no"])}</b><br/>'
        f"{_e(w('issued'))}{col}{_e(_when(report['issued_at']))} ({_e(_zone(report))})"
        "</td></tr></table>"
    )

    # outcome line
    words, fg, bg = OUTCOME.get(report.get("outcome", ""), (("—", "—"), "#333", "#eee"))
    headline = t(report.get("headline"))
    out.append(
        f'<table width="100%" cellspacing="0" cellpadding="7" style="margin-top:8px;">'
        f'<tr><td width="24%" style="background-color:{fg};"><span style="color:white; font-size:13pt;">'
        f"<b>{_e(_pick(words, lang))}</b></span></td>"
        f'<td style="background-color:{bg};">{_e(headline)}</td></tr></table>'
    )

    # who, where, what
    left = _kv(
        [
            (w("merchant"), merch.get("name", "")),
            (w("mid"), merch.get("mid", "")),
            (w("site"), merch.get("site", "")),
            (w("work_order"), order.get("id", "")),
            (w("complaint"), order.get("complaint", "")),
        ]
    )
    model = " ".join(x for x in (term.get("vendor"), term.get("model")) if x)
    right = _kv(
        [
            (w("terminal"), model),
            (w("sn"), term.get("serial_number", "")),
            (w("tid"), term.get("tid", "")),
            (w("firmware"), term.get("firmware_version", "")),
            (w("app"), term.get("app_version", "")),
        ]
    )
    who = _kv(
        [
            (w("technician"), " · ".join(x for x in (tech.get("name"), tech.get("id")) if x)),
            (w("visit"), f"{_when(visit.get('started_at'))} – {_when(visit.get('finished_at'), time_only=True)}"),
        ],
        label_width="15%",  # the same column as the half-width tables above
    )
    out.append(
        '<table width="100%" cellspacing="0" cellpadding="4" style="margin-top:6px;">'
        f'<tr><td width="50%">{left}</td><td width="50%">{right}</td></tr>'
        f'<tr><td colspan="2">{who}</td></tr></table>'
    )
    if report.get("could_not_run"):
        out.append(f"<p><b>{_e(w('could_not_run'))}{col.strip()}</b> {_e(t(report['could_not_run']))}</p>")

    # findings
    out.append(f"<h2>{_e(w('findings'))}</h2>")
    if not report["findings"]:
        repaired = [
            t(a["finding_title"])
            for a in report.get("actions_taken", [])
            if a.get("result") == "done" and a.get("finding_title")
        ]
        if repaired:  # one line: what was found and repaired, and that nothing is left
            names = ("、" if lang == "zh" else ", ").join(dict.fromkeys(repaired))
            colon, stop = ("：", "。") if lang == "zh" else (": ", ". ")
            out.append(f"<p><b>{_e(w('repaired'))}{colon}</b>{_e(names)}{stop}{_e(w('none_left'))}</p>")
        else:
            fixed = report.get("findings_before_repair") and report.get("actions_taken")
            out.append(f"<p>{_e(w('none_left' if fixed else 'no_findings'))}</p>")
    for n, f in enumerate(report["findings"], start=1):
        state = f.get("state", "open")
        state_html = (
            f' <span style="color:#1b7f3b;"><b>[{_e(w("fixed"))}]</b></span>'
            if state == "fixed-during-diagnosis"
            else ""
        )
        sev = _pick(SEVERITY.get(f.get("severity", ""), ("", "")), lang)
        out.append(
            f"<p style='margin-top:4px; margin-bottom:1px;'><b>{n}. {_e(t(f['title']))}</b>"
            f" <span class='muted'>({_e(sev)})</span>{state_html}</p>"
            f"<p style='margin-top:0; margin-bottom:1px;'><span class='label'>{_e(w('cause'))}{col.strip()}</span> "
            f"{_e(t(f['cause']))}</p>"
        )
        if f.get("evidence"):
            items = "".join(f"<li>{_e(t(ev))}</li>" for ev in f["evidence"])
            out.append(
                f"<p style='margin:0;' class='label'>{_e(w('evidence'))}{col.strip()}</p>"
                f"<ul style='margin-top:0;'>{items}</ul>"
            )

    # actions taken
    out.append(f"<h2>{_e(w('actions'))}</h2>")
    if not report["actions_taken"]:
        out.append(f"<p>{_e(w('no_actions'))}</p>")
    for a in report["actions_taken"]:
        res = a.get("result", "")
        colour = "#1b7f3b" if res == "done" else "#b3261e"
        out.append(
            f"<p style='margin-bottom:1px;'><b>{_e(t(a['title']))}</b> — "
            f"<span style='color:{colour};'><b>{_e(_pick(RESULT.get(res, (res, res)), lang))}</b></span>"
            f"{col + _e(t(a['message'])) if t(a.get('message')) else ''}</p>"
        )
        if a.get("values"):
            rows = "".join(
                f"<tr><td>{_e(parameter_label(v['name'], lang))}</td><td>{_e(v['written'] or '—')}</td>"
                f"<td>{_e(v['read_back'] or '—')}</td></tr>"
                for v in a["values"]
            )
            out.append(
                '<table cellspacing="0" cellpadding="2" border="0.5" style="border-color:#999; margin-left:12px;">'
                f"<tr><th align='left'>{_e(w('value'))}</th><th align='left'>{_e(w('written'))}</th>"
                f"<th align='left'>{_e(w('read_back'))}</th></tr>{rows}</table>"
            )
        extra: list[str] = []
        so = a.get("sign_on")
        if so:
            extra.append(
                f"{_e(w('sign_on'))}{col}{_e(so.get('response_code') or so.get('outcome'))}"
                + (f" ({_e(so['host'])})" if so.get("host") else "")
            )
        if a.get("checks"):
            extra.append(
                f"{_e(w('checks'))}{col}"
                + "; ".join(
                    f"{_e(t(c.get('title')) or c['check'])} {_e(_status_word(c['before'], lang))}"
                    f" → {_e(_status_word(c['after'], lang))}"
                    for c in a["checks"]
                )
            )
        if a.get("backup"):
            extra.append(f"{_e(w('backup'))}{col}<span class='mono'>{_e(a['backup'])}</span>")
        if extra:
            out.append("<p class='small' style='margin-left:12px; margin-top:1px;'>" + "<br/>".join(extra) + "</p>")

    # open items, manual steps, escalation
    if report.get("open_items"):
        out.append(f"<h2>{_e(w('open'))}</h2><ul>")
        for item in report["open_items"]:
            pending = "; ".join(t(p) for p in item.get("pending", []))
            out.append(f"<li><b>{_e(t(item['title']))}</b>{': ' + _e(pending) if pending else ''}</li>")
        out.append("</ul>")
    if report.get("manual_steps"):
        out.append(f"<h2>{_e(w('manual'))}</h2>")
        for m in report["manual_steps"]:
            steps = "".join(f"<li>{_e(t(s))}</li>" for s in m.get("steps", []))
            out.append(
                f"<p style='margin-bottom:0;'><b>{_e(t(m['title']))}</b></p><ol style='margin-top:0;'>{steps}</ol>"
            )
    if report.get("escalations"):
        out.append(f"<h2>{_e(w('escalation'))}</h2>")
        for x in report["escalations"]:
            to = f" ({_e(w('to'))}{col}{_e(x['recipient'])})" if x.get("recipient") else ""
            body = "<br/>".join(_e(line) for line in t(x.get("text")).rstrip("\n").split("\n"))
            out.append(
                f"<p style='margin-bottom:1px;'><b>{_e(t(x['title']))}</b>{to}</p>"
                f'<table width="100%" cellpadding="4" style="background-color:#f3f3f3;"><tr><td class="small">'
                f"{body}</td></tr></table>"
            )

    # not tested
    if report.get("untested"):
        out.append(f"<h2>{_e(w('untested'))}</h2><ul>")
        for u in report["untested"]:
            mark = f" <b>[{_e(w('complaint_mark'))}]</b>" if u.get("complaint") else ""
            out.append(
                f"<li><b>{_e(t(u['title']))}</b>{mark}{col}{_e(t(u['reason']))}"
                f"<br/><span class='small muted'>{_e(w('how'))}{col}{_e(t(u['how']))}</span></li>"
            )
        out.append("</ul>")

    out.append("</body></html>")
    return "".join(out)


def checklist_html(report: dict[str, Any], lang: str) -> str:
    """The annex: every check, grouped, the groups with failures first."""
    t = lambda x: _tx(x, lang)  # noqa: E731
    w = lambda k, **f: _w(k, lang, **f)  # noqa: E731
    out: list[str] = [f"<html><head><style>{CSS}</style></head><body>"]
    c = report.get("counts", {})
    out.append(f"<h2 style='margin-top:0;'>{_e(w('checklist'))}</h2>")
    out.append(f"<p class='small muted' style='margin-top:0;'>{_e(_counts(c, lang))}</p>")
    rows: list[str] = []
    for g in report["checklist"]:
        rows.append(f"<tr><td colspan='3' style='background-color:#e9eef4;'><b>{_e(t(g['title']))}</b></td></tr>")
        for chk in g["checks"]:
            word, colour = STATUS.get(chk["status"], ((chk["status"], chk["status"]), "#333"))
            rows.append(
                f"<tr><td width='9%' style='color:{colour};'><b>{_e(_pick(word, lang))}</b></td>"
                f"<td width='27%'>{_e(t(chk['title']))}</td><td>{_e(t(chk['summary']))}</td></tr>"
            )
    out.append(f"<table class='small' width='100%' cellspacing='0' cellpadding='1'>{''.join(rows)}</table>")
    out.append("</body></html>")
    return "".join(out)


def signature_html(report: dict[str, Any], lang: str) -> str:
    w = lambda k, **f: _w(k, lang, **f)  # noqa: E731
    col = "：" if lang == "zh" else ": "
    tech = report["signatures"]["technician"]
    merch = report["signatures"]["merchant"]
    line = "_" * 34
    short = "_" * 16

    def block(title: str, name: str) -> str:
        return (
            f"<td width='50%'><b>{_e(title)}</b><br/>{_e(w('name'))}{col}{_e(name) if name else short}<br/><br/>"
            f"{_e(w('signature'))}{col}{line}<br/><br/>{_e(w('date'))}{col}{short}</td>"
        )

    who = " · ".join(x for x in (tech.get("name"), tech.get("id")) if x)
    return (
        f"<html><head><style>{CSS}</style></head><body><h2>{_e(w('signatures'))}</h2>"
        f"<p class='small muted'>{_e(w('accept'))}</p>"
        "<table width='100%' cellspacing='0' cellpadding='4'><tr>"
        + block(w("technician"), who)
        + block(w("merchant_sig"), merch.get("name", ""))
        + "</tr></table></body></html>"
    )


def _status_word(status: str, lang: str) -> str:
    word = STATUS.get(status)
    return _pick(word[0], lang) if word else status or "—"


def _counts(c: dict[str, int], lang: str) -> str:
    if lang == "zh":
        return (
            f"通过 {c.get('pass', 0)}、警告 {c.get('warn', 0)}、失败 {c.get('fail', 0)}、"
            f"跳过 {c.get('skipped', 0)}、错误 {c.get('error', 0)}"
        )
    return _w("summary", "en", **{k: c.get(k, 0) for k in ("pass", "warn", "fail", "skipped", "error")})


def _when(iso: str | None, time_only: bool = False) -> str:
    if not iso:
        return "—"
    from datetime import datetime

    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return dt.strftime("%H:%M:%S") if time_only else dt.strftime("%Y-%m-%d %H:%M:%S")


def _zone(report: dict[str, Any]) -> str:
    """ "CST, UTC+08:00": the zone's name (when the system has one) and always the offset."""
    off = _offset(report["issued_at"])
    name = report.get("time_zone") or ""
    return f"{name}, {off}" if name and name not in ("UTC",) and not name.startswith(("+", "-")) else off or name


def _offset(iso: str) -> str:
    from datetime import datetime

    try:
        off = datetime.fromisoformat(iso).strftime("%z")
    except ValueError:
        return ""
    return f"UTC{off[:3]}:{off[3:]}" if off else ""


# -- painting ---------------------------------------------------------------------------------------


def qr_payload(report: dict[str, Any]) -> str:
    """What the QR code carries: ``TECHAPP-REPORT <report no> SHA256:<fingerprint>``."""
    return f"TECHAPP-REPORT {report['report_no']} SHA256:{report['fingerprint']}"


def _draw_qr(painter: QPainter, data: str, rect: QRectF) -> None:
    import segno

    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=2))
    n = len(rows)
    cell = min(rect.width(), rect.height()) / n
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.fillRect(QRectF(rect.x(), rect.y(), cell * n, cell * n), QColor("white"))
    painter.setBrush(QColor("black"))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                # a hair larger than the cell: no white seams between modules in a viewer
                painter.drawRect(QRectF(rect.x() + x * cell, rect.y() + y * cell, cell * 1.02, cell * 1.02))
    painter.restore()


def _font(families: list[str], pt: float, dpi: float, bold: bool = False, mono: bool = False) -> QFont:
    f = QFont()
    f.setFamilies(families)
    if mono:
        f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPixelSize(max(1, round(pt * dpi / 72)))
    f.setBold(bold)
    return f


def paint(report: dict[str, Any], device: QPagedPaintDevice, *, lang: str) -> int:
    """Paint the report on ``device`` (a QPdfWriter or QPrinter, page size set); returns the page count.

    Pages: the summary (outcome, who and what, findings, actions, open items, not tested), then the
    signature block kept whole (on the summary's last page when it fits), then the checklist annex
    from a new page.
    """
    family = families_for(report, lang)
    dpi = float(device.logicalDpiY())
    mm = dpi / 25.4
    page = device.pageLayout().paintRectPixels(device.resolution())
    width, height = float(page.width()), float(page.height())
    header_h = (14 if report.get("training") else 9) * mm
    footer_h = 22 * mm
    body = QRectF(0, header_h, width, height - header_h - footer_h)

    def document(markup: str) -> QTextDocument:
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(device)
        base = QFont()
        base.setFamilies(family)
        base.setPointSizeF(9)
        doc.setDefaultFont(base)
        doc.setDocumentMargin(0)
        doc.setHtml(markup)
        doc.setPageSize(QSizeF(body.width(), body.height()))
        return doc

    main = document(body_html(report, lang))
    sig = document(signature_html(report, lang))
    annex = document(checklist_html(report, lang))
    sig_h = sig.documentLayout().blockBoundingRect(sig.lastBlock()).bottom()
    main_pages = main.pageCount()
    # the documentSize of a paginated document is whole pages: the last block's bottom is where text ends
    end = main.documentLayout().blockBoundingRect(main.lastBlock()).bottom()
    last_used = end - (main_pages - 1) * body.height()
    gap = 4 * mm
    sig_alone = last_used + gap + sig_h > body.height()
    sig_page = main_pages + (1 if sig_alone else 0)  # 1-based
    annex_pages = annex.pageCount()
    total = sig_page + annex_pages

    def draw(doc: QTextDocument, index: int, top: float = 0.0, height_: float | None = None) -> None:
        h = body.height() if height_ is None else height_
        painter.save()
        painter.translate(body.x(), body.y() + top - index * body.height())
        doc.drawContents(painter, QRectF(0, index * body.height(), body.width(), h))
        painter.restore()

    painter = QPainter()
    if not painter.begin(device):
        raise RenderError("cannot paint on the output (is the file writable? is the printer there?)")
    try:
        for n in range(1, total + 1):
            if n > 1:
                device.newPage()
            _frame(painter, report, lang, family, dpi, width, height, header_h, footer_h, n, total)
            if n <= main_pages:
                draw(main, n - 1)
            if n == sig_page:
                top = 0.0 if sig_alone else last_used + gap
                painter.save()
                painter.translate(body.x(), body.y() + top)
                sig.drawContents(painter, QRectF(0, 0, body.width(), sig_h))
                painter.restore()
            if n > sig_page:
                draw(annex, n - sig_page - 1)
    finally:
        painter.end()
    return total


def _frame(painter, report, lang, family, dpi, width, height, header_h, footer_h, n, total) -> None:
    mm = dpi / 25.4
    small = _font(family, 7.5, dpi)
    painter.save()
    # header: report number and company, with a rule
    painter.setFont(small)
    painter.setPen(QColor("#555555"))
    band_h = 5.5 * mm if report.get("training") else 0.0
    head = QRectF(0, band_h, width, header_h - band_h - 3 * mm)
    left = f"{_w('title', lang)} · {report['report_no']}"
    painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, left)
    if report.get("company"):
        painter.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, report["company"])
    painter.setPen(QPen(QColor("#1f3b5c"), 0.3 * mm))
    painter.drawLine(QPointF(0, header_h - 2 * mm), QPointF(width, header_h - 2 * mm))

    if report.get("training"):
        # on every page: a band across the top and a watermark across the body
        band = QRectF(0, 0, width, band_h)
        painter.fillRect(band, QColor(TRAINING_COLOUR))
        painter.setPen(QColor("white"))
        painter.setFont(_font(family, 9, dpi, bold=True))
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, "TRAINING · 培训  —  " + _w("training", lang))
        painter.save()
        painter.translate(width / 2, height / 2)
        painter.rotate(-35)
        painter.setFont(_font(family, 80, dpi, bold=True))
        colour = QColor(TRAINING_COLOUR)
        colour.setAlpha(28)
        painter.setPen(colour)
        painter.drawText(QRectF(-width, -20 * mm, 2 * width, 40 * mm), Qt.AlignmentFlag.AlignCenter, "TRAINING 培训")
        painter.restore()

    # footer: rule, fingerprint, page n of N, QR code
    top = height - footer_h + 3 * mm
    painter.setPen(QPen(QColor("#1f3b5c"), 0.3 * mm))
    painter.drawLine(QPointF(0, top), QPointF(width, top))
    qr_size = footer_h - 4 * mm
    _draw_qr(painter, qr_payload(report), QRectF(width - qr_size, top + 1.5 * mm, qr_size, qr_size))
    text_w = width - qr_size - 4 * mm
    painter.setPen(QColor("#333333"))
    painter.setFont(small)
    line_h = QFontMetricsF(small).height()
    y = top + 1.5 * mm
    painter.drawText(QRectF(0, y, text_w, line_h), Qt.AlignmentFlag.AlignLeft, f"{_w('fingerprint', lang)}:")
    mono = _font(["DejaVu Sans Mono", "Liberation Mono", "Consolas", "Courier New"], 7, dpi, mono=True)
    painter.setFont(mono)
    painter.drawText(QRectF(0, y + line_h, text_w, line_h), Qt.AlignmentFlag.AlignLeft, report["fingerprint"])
    painter.setFont(small)
    signed = report.get("signature")
    key_line = f"Ed25519 key {signed['key_id']}" if signed else ""
    painter.drawText(
        QRectF(0, y + 2 * line_h, text_w, line_h),
        Qt.AlignmentFlag.AlignLeft,
        f"{report['report_no']}   {key_line}".rstrip(),
    )
    painter.setPen(QColor("#777777"))
    painter.drawText(QRectF(0, y + 3 * line_h, text_w, line_h), Qt.AlignmentFlag.AlignLeft, _w("verify", lang))
    painter.setPen(QColor("#333333"))
    painter.drawText(
        QRectF(0, y + 4 * line_h, text_w, line_h),
        Qt.AlignmentFlag.AlignLeft,
        _w("page", lang, n=n, total=total),
    )
    painter.restore()


def xmp(report: dict[str, Any]) -> bytes:
    """XMP metadata with the report number and the fingerprint (``techapp verify --pdf`` reads them)."""
    no = html.escape(report["report_no"])
    fp = html.escape(report["fingerprint"])
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:techapp="https://techapp.invalid/ns/report/1/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<techapp:reportNo>{no}</techapp:reportNo><techapp:fingerprint>{fp}</techapp:fingerprint>"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Service report {no}</rdf:li></rdf:Alt></dc:title>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def page_layout(paper: str) -> QPageLayout:
    size = QPageSize(QPageSize.PageSizeId.A4 if paper == "A4" else QPageSize.PageSizeId.Letter)
    return QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(15, 12, 15, 12), QPageLayout.Unit.Millimeter)


class QtReportRenderer:
    """The renderer registered with :mod:`techapp.report`."""

    def render_pdf(self, report: dict[str, Any], path: Path, *, lang: str, paper: str = "A4") -> None:
        _need_app()
        if "fingerprint" not in report:
            raise ValueError("seal the report (techapp.report.seal) before rendering it")
        path = Path(path)
        if not path.parent.is_dir():
            raise RenderError(f"cannot write {path}: folder {path.parent} does not exist")
        tmp = path.with_name(f".{path.name}.tmp")
        writer = QPdfWriter(str(tmp))
        writer.setResolution(300)
        writer.setPageLayout(page_layout(paper))
        writer.setTitle(f"{_w('title', lang)} {report['report_no']}")
        writer.setCreator(report.get("generator", "techapp"))
        tech = report.get("technician") or {}
        if tech.get("name"):
            writer.setAuthor(tech["name"])
        writer.setDocumentXmpMetadata(xmp(report))
        try:
            paint(report, writer, lang=lang)
            del writer  # flushes and closes the file
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def render_to_printer(self, report: dict[str, Any], printer: Any, *, lang: str) -> None:
        _need_app()
        paint(report, printer, lang=lang)

    def print_report(self, report: dict[str, Any], *, lang: str, paper: str = "A4", printer_name: str = "") -> str:
        return print_report(report, lang=lang, paper=paper, printer_name=printer_name)


def _need_app() -> None:
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        raise RenderError("rendering needs a Qt application (ui.report_render.ensure_app())")


def ensure_app():
    """A QGuiApplication for headless rendering (offscreen platform unless one is chosen)."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["techapp"])
    return app


def print_report(report: dict[str, Any], *, lang: str, paper: str = "A4", printer_name: str = "") -> str:
    """Print on the named (else the default) printer without a dialog; returns the printer's name."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    ensure_app()
    info = QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        raise RenderError(
            f"no printer named {printer_name!r}" if printer_name else "no printer is set up (no default printer)"
        )
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(page_layout(paper))
    printer.setDocName(f"{_w('title', lang)} {report['report_no']}")
    paint(report, printer, lang=lang)
    return info.printerName()


RENDERER = QtReportRenderer()


def register() -> None:
    report_api.register_renderer(lambda: RENDERER)


register()

__all__ = [
    "RENDERER",
    "QtReportRenderer",
    "ensure_app",
    "page_layout",
    "paint",
    "print_report",
    "qr_payload",
    "register",
    "xmp",
]
