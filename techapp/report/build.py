"""The service report as data: ``techapp.report/1``, built from a diagnosis (object or its JSON).

Everything a renderer prints is in here, in both languages ({"en": ..., "zh": ...}), so one report
renders in either language and its fingerprint does not depend on the language it was printed in.
Only what a merchant and a service company may read gets in: titles, summaries, causes, evidence,
the parameters an action wrote and read back, check values. Never the raw readings (``observed``),
never a clear key or the maintenance password; every free text goes through :func:`mask.clean`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from ..laptopclock import is_training
from ..version import generator
from .mask import clean_tree

SCHEMA = "techapp.report/1"

#: the order a merchant reads the checklist in: what failed first
STATUS_ORDER = ("fail", "error", "warn", "skipped", "pass")
GROUP_ORDER = ("link", "identity", "hardware", "parameters", "keys", "counters", "self-test", "network", "sign-on")


def _t(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _text(value: Any) -> dict[str, str]:
    """A Text as {"en", "zh"} from a Text object, a dict or a plain string."""
    if value is None:
        return _t("", "")
    if isinstance(value, dict):
        return _t(str(value.get("en", "")), str(value.get("zh", value.get("en", ""))))
    if hasattr(value, "en"):
        return _t(value.en, value.zh)
    return _t(str(value), str(value))


def report_number(serial_number: str, when: datetime) -> str:
    """``TA-YYYYMMDD-HHMMSS-<last 6 of the serial number>`` (``000000`` when the serial is unknown)."""
    tail = re.sub(r"[^0-9A-Za-z]", "", serial_number or "")[-6:].upper() or "000000"
    return f"TA-{when:%Y%m%d-%H%M%S}-{tail}"


def _diagnosis_dict(diagnosis: Any) -> dict[str, Any]:
    if isinstance(diagnosis, dict):
        if diagnosis.get("schema") != "techapp.diagnosis/1":
            raise ValueError(f"not a diagnosis (schema {diagnosis.get('schema')!r}, expected techapp.diagnosis/1)")
        return diagnosis
    return diagnosis.to_dict()


def _with_offset(local: str | None, now: datetime) -> str | None:
    """A naive laptop time from the diagnosis, with the laptop's UTC offset now (ISO 8601)."""
    if not local:
        return None
    try:
        naive = datetime.fromisoformat(local)
    except ValueError:
        return local
    if naive.tzinfo is not None:
        return naive.isoformat(timespec="seconds")
    return naive.replace(tzinfo=now.tzinfo).isoformat(timespec="seconds")


def _checklist(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks grouped; the group with the worst result first, and the worst checks first within a group."""
    from ..diagnosis.render import GROUPS

    groups: dict[str, list[dict[str, Any]]] = {}
    for c in checks:
        groups.setdefault(c.get("group", ""), []).append(c)
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}

    def worst(items: list[dict[str, Any]]) -> int:
        return min(rank.get(c.get("status"), 9) for c in items)

    def group_pos(name: str) -> int:
        return GROUP_ORDER.index(name) if name in GROUP_ORDER else len(GROUP_ORDER)

    out = []
    for name in sorted(groups, key=lambda g: (worst(groups[g]), group_pos(g))):
        items = sorted(groups[name], key=lambda c: rank.get(c.get("status"), 9))  # stable: judge order kept
        title = GROUPS.get(name)
        out.append(
            {
                "group": name,
                "title": _text(title) if title is not None else _t(name, name),
                "counts": {s: sum(1 for c in items if c.get("status") == s) for s in STATUS_ORDER},
                "checks": [
                    {
                        "id": c["id"],
                        "status": c["status"],
                        "title": _text(c.get("title")),
                        "summary": _text(c.get("summary")),
                        "compared_with": c.get("compared_with", "") or "",
                    }
                    for c in items
                ],
            }
        )
    return out


def _findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": f["id"],
            "severity": f.get("severity", ""),
            "confidence": f.get("confidence", ""),
            "state": f.get("state", "open"),
            "title": _text(f.get("title")),
            "cause": _text(f.get("cause")),
            "evidence": [_text(e) for e in f.get("evidence", [])],
            "actions": [a["id"] for a in f.get("actions", [])],
        }
        for f in findings
    ]


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


#: titles of actions whose finding is gone after the repair (the diagnosis JSON keeps only their ids)
ACTION_TITLES = {
    "sync-clock": _t("Set the terminal's clock", "校准终端时钟"),
    "settle-batch": _t("Settle the batch", "结算批次"),
    "sign-on": _t("Sign on to the host", "向主机签到"),
    "print-test-page": _t("Print a test page", "打印测试页"),
}


def _action_title(action_id: str, written: dict[str, Any]) -> dict[str, str]:
    if action_id in ACTION_TITLES:
        return ACTION_TITLES[action_id]
    if written:
        from ..diagnosis.actions import parameter_label

        return _t(
            "Set " + ", ".join(parameter_label(n, "en") for n in written),
            "修改" + "、".join(parameter_label(n, "zh") for n in written),
        )
    return _t(action_id, action_id)


def _actions_taken(
    outcomes: list[dict[str, Any]], findings: list[dict[str, Any]], checks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    titles = {a["id"]: a.get("title") for f in findings for a in f.get("actions", [])}
    check_titles = {c["id"]: c.get("title") for c in checks}
    out = []
    for a in outcomes:
        written = a.get("written") or {}
        read_back = a.get("read_back") or {}
        values = [
            {"name": name, "written": _scalar(written.get(name)), "read_back": _scalar(read_back.get(name))}
            for name in list(dict.fromkeys([*written, *read_back]))
        ]
        checks = [
            {
                "check": cid,
                "title": _text(check_titles.get(cid) or cid),
                "before": (a.get("before") or {}).get(cid, ""),
                "after": (a.get("after") or {}).get(cid, ""),
            }
            for cid in list(dict.fromkeys([*(a.get("before") or {}), *(a.get("after") or {})]))
        ]
        sign_on = a.get("sign_on")
        out.append(
            {
                "action": a["action"],
                "finding": a.get("finding", ""),
                "finding_title": _text(a["finding_title"]) if a.get("finding_title") else None,
                "title": _text(a.get("title") or titles.get(a["action"]))
                if (a.get("title") or titles.get(a["action"]))
                else _action_title(a["action"], written),
                "result": a.get("result", ""),
                "message": _text(a.get("message")),
                "values": values,
                "checks": checks,
                "sign_on": (
                    {
                        "outcome": str(sign_on.get("outcome", "")),
                        "response_code": str(sign_on.get("response_code", "") or ""),
                        "host": str(sign_on.get("host", "") or ""),
                        "at": str(sign_on.get("sent_at", "") or ""),
                    }
                    if isinstance(sign_on, dict)
                    else None
                ),
                # the file name only: the technician's folders are none of the merchant's business
                "backup": (a.get("backup_path") or "").replace("\\", "/").rsplit("/", 1)[-1],
            }
        )
    return out


def _open_items(findings: list[dict[str, Any]], taken: list[dict[str, Any]]):
    """(open items, manual steps, escalations) from the findings still open after the visit."""
    done = {a["action"] for a in taken if a.get("result") == "done"}
    open_items, manual, escalations = [], [], []
    for f in findings:
        if f.get("state", "open") != "open":
            continue
        pending = [a for a in f.get("actions", []) if a["id"] not in done]
        open_items.append(
            {
                "finding": f["id"],
                "title": _text(f.get("title")),
                "pending": [_text(a.get("title")) for a in pending if a.get("kind") != "escalation"],
            }
        )
        for a in pending:
            if a.get("kind") == "manual":
                manual.append(
                    {
                        "finding": f["id"],
                        "action": a["id"],
                        "title": _text(a.get("title")),
                        "steps": [_text(s) for s in a.get("steps", [])],
                    }
                )
            elif a.get("kind") == "escalation":
                escalations.append(
                    {
                        "finding": f["id"],
                        "action": a["id"],
                        "title": _text(a.get("title")),
                        "recipient": a.get("recipient", "") or "",
                        "text": _text(a.get("text")),
                    }
                )
    return open_items, manual, escalations


def build_report(
    diagnosis: Any,
    *,
    technician: dict[str, str] | None = None,
    report_no: str | None = None,
    company: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The canonical report (``techapp.report/1``) of ``diagnosis`` (a Diagnosis or its JSON dict), unsealed.

    ``technician``: {"name", "id"} (from :mod:`techapp.settings`); ``report_no``: given by the visit
    history when there is one, else :func:`report_number`. Seal it with :func:`seal.seal`.
    """
    d = _diagnosis_dict(diagnosis)
    now = (now or datetime.now()).astimezone()
    terminal = d.get("terminal") or {}
    order = d.get("work_order") or None
    sn = str(terminal.get("serial_number") or (order or {}).get("serial_number") or "")
    training = is_training(str(d.get("port", "")))
    open_items, manual, escalations = _open_items(d.get("findings", []), d.get("actions_taken", []))
    diag_digest = hashlib.sha256(
        json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    merchant_name = str((order or {}).get("merchant_name") or terminal.get("merchant_name") or "")
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "report_no": report_no or report_number(sn, now),
        "issued_at": now.isoformat(timespec="seconds"),
        "time_zone": now.tzname() or "",
        "training": training,
        "generator": generator(),
        "company": company,
        "technician": {"name": (technician or {}).get("name", ""), "id": (technician or {}).get("id", "")},
        "work_order": (
            {
                "id": str(order.get("id", "")),
                "complaint": str(order.get("complaint") or order.get("notes") or ""),
                "profile": str(order.get("acquirer_profile", "") or ""),
            }
            if order
            else None
        ),
        "merchant": {
            "name": merchant_name,
            "mid": str(terminal.get("mid") or (order or {}).get("mid") or ""),
            "site": str((order or {}).get("site") or (order or {}).get("address") or ""),
        },
        "terminal": {
            "vendor": str(terminal.get("vendor", "") or ""),
            "model": str(terminal.get("model", "") or ""),
            "serial_number": sn,
            "firmware_version": str(terminal.get("firmware_version", "") or ""),
            "app_version": str(terminal.get("app", "") or ""),
            "tid": str(terminal.get("tid", "") or ""),
            "mid": str(terminal.get("mid", "") or ""),
        },
        "visit": {
            "port": "simulated terminal (training)" if training else str(d.get("port", "")),
            "started_at": _with_offset(d.get("started_at"), now),
            "finished_at": _with_offset(d.get("finished_at"), now),
            "profile": d.get("profile") or "",
        },
        "outcome": d.get("outcome", ""),
        "exit_code": int(d.get("exit_code", 2)),
        "headline": _text(d.get("headline")),
        "could_not_run": _text(d["could_not_run"]) if d.get("could_not_run") else None,
        "cancelled": bool(d.get("cancelled", False)),
        "counts": {s: int(d.get("counts", {}).get(k, 0)) for s, k in _COUNT_KEYS.items()},
        "checklist": _checklist(d.get("checks", [])),
        "findings": _findings(d.get("findings", [])),
        "findings_before_repair": list(d.get("findings_before_repair", [])),
        "actions_taken": _actions_taken(d.get("actions_taken", []), d.get("findings", []), d.get("checks", [])),
        "open_items": open_items,
        "manual_steps": manual,
        "escalations": escalations,
        "untested": [
            {
                "check": u.get("check", ""),
                "title": _text(u.get("title")),
                "reason": _text(u.get("reason")),
                "how": _text(u.get("how")),
                "complaint": bool(u.get("complaint", False)),
            }
            for u in d.get("untested", [])
        ],
        "signatures": {
            "technician": {"name": (technician or {}).get("name", ""), "id": (technician or {}).get("id", "")},
            "merchant": {"name": merchant_name},
        },
        "source": {"schema": d.get("schema", ""), "sha256": diag_digest},
    }
    keep = [report["terminal"]["mid"], report["merchant"]["mid"], report["terminal"]["tid"], sn]
    # the report's own identifiers and the digest are not free text
    fixed = {k: report[k] for k in ("schema", "report_no", "issued_at", "source")}
    return {**clean_tree(report, keep), **fixed}


_COUNT_KEYS = {"pass": "pass", "warn": "warn", "fail": "fail", "skipped": "skipped", "error": "error"}
