"""The diagnosis as text for people: the checklist, the findings with their actions, the repairs."""

from __future__ import annotations

from typing import Any

from .actions import parameter_label
from .model import Action, Diagnosis, Finding, T
from .plan import plan_lines

MARK = {
    "en": {"pass": "[ ok ]", "warn": "[warn]", "fail": "[FAIL]", "skipped": "[skip]", "error": "[ERR ]"},
    "zh": {"pass": "[通过]", "warn": "[警告]", "fail": "[失败]", "skipped": "[跳过]", "error": "[错误]"},
}
GROUPS = {
    "link": T("Link", "连接"),
    "identity": T("Identity", "终端信息"),
    "hardware": T("Hardware", "硬件"),
    "parameters": T("Parameters", "参数"),
    "keys": T("Keys", "密钥"),
    "counters": T("Counters", "计数"),
    "self-test": T("Tests with a person", "人工测试"),
    "network": T("Network", "网络"),
    "sign-on": T("Sign-on", "签到"),
}
SEVERITY = {
    "critical": T("critical", "严重"),
    "high": T("high", "高"),
    "medium": T("medium", "中"),
    "low": T("low", "低"),
}
CONFIDENCE = {"high": T("sure", "确定"), "medium": T("likely", "很可能"), "low": T("possible", "可能")}
#: A finding's state when it is not simply open (the diagnosis's own steps repaired it).
#: what a repair writes or reports besides payment parameters (those go by parameter_label)
WRITTEN_NAMES = {
    "clock": T("clock", "时钟"),
    "unsettled_transactions": T("unsettled transactions", "未结算笔数"),
    "batch": T("batch number", "批次号"),
}
STATE = {"fixed-during-diagnosis": T("FIXED during this diagnosis", "本次诊断中已修复")}
KIND = {"automatic": T("automatic", "自动"), "manual": T("manual", "手动"), "escalation": T("escalate", "上报")}
RESULT = {
    "done": T("done", "完成"),
    "failed": T("FAILED", "失败"),
    "declined": T("not confirmed", "未确认"),
    "blocked": T("blocked", "无法执行"),
    "restored": T("undone (backup restored)", "已撤销（恢复备份）"),
    "unverified": T("WRITTEN, NOT VERIFIED", "已写入，未验证"),
}


def source_text(compared_with: str, lang: str) -> str:
    """What a check compared with, in the report's language ("work order WO-1" -> "工单 WO-1")."""
    if lang != "zh":
        return compared_with
    for en, zh in (("work order ", "工单 "), ("acquirer profile ", "收单行配置 "), ("laptop clock", "笔记本时钟")):
        if compared_with.startswith(en):
            return zh + compared_with[len(en) :]
    return compared_with


def _value(v: Any) -> str:
    if v == "" or v is None:
        return "(blank)"
    return str(v)


def describe_changes(action: Action, lang: str) -> list[str]:
    """``Name: before -> after`` lines for an automatic parameter write, named as the terminal's menus do."""
    colon = "：" if lang == "zh" else ": "
    blank = "（空）" if lang == "zh" else "(blank)"
    return [
        f"{parameter_label(name, lang)}{colon}{_value(a) if a not in ('', None) else blank} -> "
        f"{_value(b) if b not in ('', None) else blank}"
        for name, (a, b) in action.changes.items()
    ]


def render_action(action: Action, lang: str, label: str, indent: str = "     ") -> list[str]:
    t = lambda x: x(lang)  # noqa: E731
    out = [f"{indent}{label}) [{t(KIND[action.kind])}] {t(action.title)}"]
    sub = indent + "   "
    if action.changes:
        out += [f"{sub}{line}" for line in describe_changes(action, lang)]
    if action.then_sign_on:
        out.append(sub + t(T("then the terminal signs on to prove it", "然后终端签到验证")))
    for n, step in enumerate(action.steps, start=1):
        out.append(f"{sub}{n}. {t(step)}")
    if action.blocked is not None:
        out.append(sub + t(T("cannot be done now: ", "目前无法执行：")) + t(action.blocked))
    if action.text is not None:
        out.append(
            sub + t(T("text to send", "上报内容")) + (f" ({action.recipient})" if action.recipient else "") + ":"
        )
        out += [f"{sub}| {line}" for line in t(action.text).rstrip("\n").split("\n")]
    if action.verify is not None:
        out.append(sub + t(T("afterwards check: ", "完成后检查：")) + t(action.verify))
    return out


def render_finding(f: Finding, lang: str, number: int) -> list[str]:
    t = lambda x: x(lang)  # noqa: E731
    state = t(STATE[f.state]) if f.state in STATE else ""
    sep = "，" if lang == "zh" else ", "
    head = f"  {number}. {t(f.title)}  [{t(SEVERITY[f.severity])}{sep}{t(CONFIDENCE[f.confidence])}" + (
        f"{sep}{state}]" if state else "]"
    )
    out = [head, "     " + t(T("Cause: ", "原因：")) + t(f.cause)]
    if f.evidence:
        out.append("     " + t(T("Evidence:", "依据：")))
        out += [f"       - {t(e)}" for e in f.evidence]
    if f.procedure:
        out.append("     " + t(T("Decision steps:", "判断步骤：")))
        out += [f"       {t(p)}" for p in f.procedure]
    if f.actions:
        out.append("     " + t(T("What to do:", "处理：")))
        for i, a in enumerate(f.actions):
            out += render_action(a, lang, "abcdefghij"[i], indent="       ")
    return out


OUTCOME = {
    "healthy": T("HEALTHY", "正常"),
    "faults": T("FAULTS FOUND", "发现故障"),
    "incomplete": T("INCOMPLETE", "诊断不完整"),
}


def render_untested(d: Diagnosis, lang: str) -> list[str]:
    """The "Not tested" section: each test that did not run, why, and how to test it."""
    if not d.untested:
        return []
    t = lambda x: x(lang)  # noqa: E731
    colon = "：" if lang == "zh" else ": "
    out = [t(T("Not tested (the result does not cover these)", "未测试（结果不包括以下项目）"))]
    for u in d.untested:
        mark = t(T("  <- what the complaint is about", "  ← 投诉所指")) if u.complaint else ""
        out.append(f"  - {t(u.title)}{colon}{t(u.reason)}{mark}")
        out.append("    " + t(T("to test: ", "测试方法：")) + t(u.how))
        if u.command_line is not None:
            out.append("    " + t(T("on the command line: ", "命令行：")) + t(u.command_line))
    out.append("")
    return out


def render_text(d: Diagnosis, lang: str = "en") -> str:
    t = lambda x: x(lang)  # noqa: E731
    # the first line is the outcome: what was found, or what was not tested and how to test it
    first_line = t(d.headline)
    if d.outcome == "incomplete" and d.untested and d.untested[0].command_line is not None:
        # the headline says how for any tool; this is the command line: its options too
        first_line += t(T(". On the command line: ", "。命令行：") + d.untested[0].command_line)
    out: list[str] = [first_line, ""]
    term = d.terminal
    if term:
        device = f"{term.get('vendor', '')} {term.get('model', '')}".strip()
        serial = term.get("serial_number", "?")
        if lang == "zh":  # the trade's words and full-width punctuation
            tid, mid = (f" {term[k]}" if term.get(k) else "为空" for k in ("tid", "mid"))
            ids = f"，终端号{tid}，商户号{mid}" if "tid" in term else ""
            out.append(f"终端：{device}，序列号 {serial}{ids}")
        else:
            ids = f", TID {_value(term.get('tid'))}, MID {_value(term.get('mid'))}" if "tid" in term else ""
            out.append(f"Terminal: {device} SN {serial}{ids}")
    if d.work_order:
        wo = d.work_order
        out.append(t(T("Work order: ", "工单：")) + f"{wo['id']} {wo.get('merchant_name', '')}".rstrip())
        complaint = wo.get("complaint") or wo.get("notes")
        if complaint:
            out.append(t(T("Complaint: ", "报修内容：")) + complaint)
    else:
        out.append(t(T("Work order: none (checks that need one say so)", "工单：无（需要工单的检查会注明）")))
    out.append(t(T("Acquirer profile: ", "收单行配置：")) + (d.profile or t(T("none", "无"))))
    out.append("")
    out.append(t(T("Checklist", "检查清单")))
    group = None
    for c in d.checks:
        if c.group != group:
            group = c.group
            out.append(f"  {t(GROUPS.get(group, T(group, group)))}")
        if not c.compared_with:
            source = ""
        elif lang == "zh":
            source = f"（{source_text(c.compared_with, lang)}）"
        else:
            source = f"  ({c.compared_with})"
        colon = "：" if lang == "zh" else ": "
        out.append(f"    {MARK[lang][c.status]} {t(c.title)}{colon}{t(c.summary)}{source}")
    out.append("")
    if d.actions_taken:
        out.append(t(T("Repairs", "修复")))
        for o in d.actions_taken:
            name = t(o.title) if o.title is not None else o.action
            why = f"（{t(o.finding_title)}）" if lang == "zh" and o.finding_title else ""
            why = why or (f" ({t(o.finding_title)})" if o.finding_title else "")
            colon = "：" if lang == "zh" else ": "
            out.append(f"  {name}{why}{colon}{t(RESULT[o.result])}{colon}{t(o.message)}")
            if o.backup_path:
                out.append("    " + t(T("backup: ", "备份：")) + o.backup_path)
            for key, value in o.written.items():
                back = o.read_back.get(key, "-")
                label = t(WRITTEN_NAMES[key]) if key in WRITTEN_NAMES else parameter_label(key, lang)
                comma = "，" if lang == "zh" else ", "
                out.append(
                    f"    {label}{colon}{t(T('written', '写入'))} {_value(value)}{comma}"
                    f"{t(T('read back', '回读'))} {_value(back)}"
                )
            if o.sign_on:
                code = o.sign_on.get("response_code") or o.sign_on.get("outcome")
                host = o.sign_on.get("host")
                where = f"（{host}）" if lang == "zh" else f" ({host})"
                out.append("    " + t(T("sign-on afterwards: ", "之后签到：")) + f"{code}{where}")
            changed = [i for i in o.before if o.before[i] != o.after.get(i)]
            for i in o.before:
                flag = " *" if i in changed else ""
                check = d.check(i)
                label = t(check.title) if check is not None else i
                after = MARK[lang][o.after.get(i, "skipped")]
                out.append(f"    {label}{colon}{MARK[lang][o.before[i]]} -> {after}{flag}")
        if d.findings_before:
            titles = {o.finding: t(o.finding_title) for o in d.actions_taken if o.finding_title is not None}
            named = [titles.get(i, i) for i in d.findings_before]
            sep = "；" if lang == "zh" else "; "
            out.append("  " + t(T("Findings before the repair: ", "修复前的发现：")) + sep.join(named))
        out.append("")
    if d.findings:
        out.append(
            t(
                T(
                    f"Findings ({len(d.findings)}), most important first",
                    f"发现的问题（{len(d.findings)} 项），按重要性排列",
                )
            )
        )
        for n, f in enumerate(d.findings, start=1):
            out += render_finding(f, lang, n)
            out.append("")
        if not d.actions_taken and (planned := plan_lines(d.findings, lang)):  # issue 17: dependency order
            out += [*planned, ""]
    else:
        flagged = sum(1 for c in d.checks if c.status in ("warn", "fail"))
        if flagged:
            out.append(
                t(
                    T(
                        f"No findings; {flagged} "
                        + ("check fails or warns" if flagged == 1 else "checks fail or warn")
                        + " without pointing at a root cause (see the checklist).",
                        f"未发现问题；{flagged} 项检查失败或有警告，但不指向故障原因（见检查清单）。",
                    )
                )
            )
        else:
            out.append(t(T("No findings: every check that ran passed.", "未发现问题：所有已运行的检查均通过。")))
        if d.untested:
            out.append(
                t(
                    T(
                        "This is not an all-clear: the tests under 'Not tested' did not run.",
                        "这不代表终端正常：“未测试”中的项目没有运行。",
                    )
                )
            )
        out.append("")
    out += render_untested(d, lang)
    if d.could_not_run is not None:
        out.append(t(T("The diagnosis could not run in full: ", "诊断未能完整运行：")) + t(d.could_not_run))
    if d.cancelled and d.actions_taken and not d.findings_before:
        out.append(
            t(
                T(
                    "Cancelled during the repairs: the checklist and findings above are from before them; "
                    "run the diagnosis again to see the terminal now.",
                    "修复过程中已取消：以上检查和发现是修复前的结果；请重新诊断查看终端现状。",
                )
            )
        )
    elif d.cancelled:
        out.append(t(T("Cancelled: the checks after the cancel did not run.", "已取消：取消后的检查未运行。")))
    counts = {s: sum(1 for c in d.checks if c.status == s) for s in ("pass", "warn", "fail", "skipped", "error")}
    out.append(
        t(T("Summary: ", "小结："))
        + ", ".join(f"{counts[s]} {MARK[lang][s]}" for s in counts)
        + t(T(f"; {len(d.findings)} finding" + ("" if len(d.findings) == 1 else "s"), f"；{len(d.findings)} 项发现"))
    )
    return "\n".join(out) + "\n"
