"""``techapp history`` and the history's part of the other commands (recording, ``report VISIT|--last``).

Recording never changes a command's exit code: when the history cannot be written the
command says so on stderr ("warning: ...") and ends as it would have.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the history (sqlite3 and its helpers) loads when a visit is read or recorded
    from .history import VisitSummary

OUTCOME_WORDS = {
    "healthy": "healthy",
    "faults": "faults found",
    "incomplete": "incomplete",
    "restored": "backup restored",
}


def _warn(message: str) -> None:
    print(f"techapp: warning: {message}", file=sys.stderr, flush=True)


def add_no_history_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-history",
        action="store_true",
        help="do not record this run in the visit history (see `techapp history`)",
    )


def add_history_parser(sub: Any) -> None:
    h = sub.add_parser(
        "history",
        allow_abbrev=False,
        help="list the recorded visits (diagnoses, repairs, restores), newest first",
    )
    which = h.add_mutually_exclusive_group()
    which.add_argument("--sn", metavar="SN", help="the terminal's serial number")
    which.add_argument("--tid", metavar="TID", help="terminal id (TID)")
    which.add_argument("--mid", metavar="MID", help="merchant id (MID)")
    which.add_argument("--merchant", metavar="TEXT", help="part of the merchant's name, any case")
    which.add_argument("--work-order", metavar="ID", help="the work order number")
    h.add_argument("--since", metavar="DATE", help="only visits on or after DATE (YYYY-MM-DD)")
    h.add_argument("--until", metavar="DATE", help="only visits on or before DATE (YYYY-MM-DD)")
    h.add_argument("--compare", metavar="VISIT", type=int, help="what changed at visit VISIT since the one before")
    h.add_argument("--lang", choices=("zh", "en"), help="language of the text (default: from the locale)")
    h.add_argument("--json", action="store_true", help="print JSON (a list of visits) instead of a table")


def add_report_source_args(p: argparse.ArgumentParser) -> None:
    """``techapp report VISIT`` / ``--last [--sn SN]``: the report of a recorded visit."""
    p.add_argument("visit", nargs="?", type=int, help="the visit number from `techapp history`")
    p.add_argument("--last", action="store_true", help="the newest recorded visit (of --sn SN when given)")
    p.add_argument("--sn", metavar="SN", help="with --last: of this terminal")


def report_source(args: argparse.Namespace) -> tuple[dict[str, Any], int] | None:
    """The stored diagnosis JSON and visit number that ``args`` name, or None when they name no visit.

    Raises :class:`HistoryError` (with a message for the person) when the visit is not there.
    """
    from .history import History, HistoryError

    visit_id = getattr(args, "visit", None)
    if visit_id is None and not getattr(args, "last", False):
        return None
    with History.open() as h:
        if visit_id is None:
            last = h.last_visit(getattr(args, "sn", None) or None)
            if last is None:
                where = f" of terminal SN {args.sn}" if getattr(args, "sn", None) else ""
                raise HistoryError(f"no visit{where} in the history yet")
            visit_id = last.id
        visit = h.visit(visit_id)
        if visit.diagnosis is None:
            raise HistoryError(f"visit {visit_id} is a {visit.kind} without a diagnosis: there is no report to make")
        return visit.diagnosis, visit_id


def record_diagnosis(result: Any, *, before: Any = None, disabled: bool = False) -> int | None:
    """Record a finished ``diagnose`` run; a warning (never an exception) when the history cannot be written."""
    if disabled:
        return None
    from .history import safe_record, technician

    visit_id, why = safe_record(lambda h: h.record(result, technician=technician(), before=before))
    if visit_id is None:
        _warn(f"this run is not recorded in the visit history: {why}")
    return visit_id


def record_restore(*, disabled: bool = False, **kwargs: Any) -> int | None:
    if disabled:
        return None
    from .history import safe_record, technician

    visit_id, why = safe_record(lambda h: h.record_restore(technician=technician(), **kwargs))
    if visit_id is None:
        _warn(f"this restore is not recorded in the visit history: {why}")
    return visit_id


def _line(v: VisitSummary, lang: str) -> str:
    outcome = OUTCOME_WORDS.get(v.outcome, v.outcome)
    who = v.technician.get("name") or ""
    training = "  [training]" if v.training else ""
    head = f"{v.id:>5}  {v.started_at.replace('T', ' ')[:16]}  SN {v.serial_number}  {v.kind:<8} {outcome}{training}"
    where = "  ".join(x for x in (f"TID {v.tid}" if v.tid else "", f"MID {v.mid}" if v.mid else "", v.merchant) if x)
    lines = [head, f"       {where}" if where else ""]
    extra = "  ".join(
        x
        for x in (
            f"work order {v.work_order}" if v.work_order else "",
            f"by {who}" if who else "",
            f"report {v.report_no}" if v.report_no else "",
        )
        if x
    )
    lines.append(f"       {extra}" if extra else "")
    for title in v.findings:
        lines.append(f"       - {title(lang)}")
    return "\n".join(line for line in lines if line) + "\n"


def cmd_history(args: argparse.Namespace, lang: str) -> int:
    from .history import History, HistoryError

    try:
        with History.open() as h:
            if args.compare is not None:
                changes = h.compare_with_last(args.compare)
                if args.json:
                    json.dump([c.to_dict() for c in changes], sys.stdout, ensure_ascii=False, indent=2)
                    sys.stdout.write("\n")
                else:
                    sys.stdout.write("".join(f"{c.text(lang)}\n" for c in changes))
                return 0
            found = h.visits(
                sn=args.sn,
                tid=args.tid,
                mid=args.mid,
                merchant=args.merchant,
                work_order=args.work_order,
                since=args.since,
                until=args.until,
            )
    except ValueError as err:  # a bad --since / --until
        print(f"techapp: {err}", file=sys.stderr)
        return 2
    except HistoryError as err:
        print(f"techapp: {err}", file=sys.stderr)
        return 2
    if args.json:
        json.dump([v.to_dict() for v in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not found:
        print("No recorded visit matches." if any_filter(args) else "No visit recorded yet.")
        return 0
    for v in found:
        sys.stdout.write(_line(v, lang))
    return 0


def any_filter(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) for k in ("sn", "tid", "mid", "merchant", "work_order", "since", "until"))
