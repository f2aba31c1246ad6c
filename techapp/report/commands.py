"""``techapp report``, ``techapp verify`` and ``techapp settings`` (hooked into techapp/cli.py).

Exit codes: 0 done (verify: valid or unsigned, and the PDF matches when given); 1 verify: modified,
bad signature or the PDF does not match; 2 could not run (bad input, no renderer, cannot write).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BAD, EXIT_CANNOT_RUN = 0, 1, 2


def _err(message: str) -> None:
    print(f"techapp: {message}", file=sys.stderr)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser(
        "report",
        allow_abbrev=False,
        help="the service report of a diagnosis as PDF (and its canonical JSON), or on a printer",
    )
    rep.add_argument(
        "--from-json",
        metavar="FILE",
        help="a diagnosis (techapp diagnose --json) to report, or a saved report (techapp.report/1) to render again",
    )
    from ..history_cli import add_report_source_args

    add_report_source_args(rep)  # VISIT | --last [--sn SN]: a visit from the history (techapp/history_cli.py)
    add_output_args(rep)

    ver = sub.add_parser(
        "verify",
        allow_abbrev=False,
        help="check a report's fingerprint and signature: valid, modified or unsigned; and that its PDF matches",
    )
    ver.add_argument("report", metavar="REPORT.json", help="the report's canonical JSON")
    ver.add_argument("--pdf", metavar="FILE", help="the PDF printed from it: does it carry the same fingerprint?")

    st = sub.add_parser("settings", allow_abbrev=False, help="show or set the technician's name and id for reports")
    st.add_argument("--technician-name", metavar="NAME")
    st.add_argument("--technician-id", metavar="ID")
    st.add_argument("--company", metavar="NAME", help="the service company printed in the report's header")
    st.add_argument("--report-lang", choices=("zh", "en", ""), help="default language of reports ('' = the locale)")
    sign = st.add_mutually_exclusive_group()
    sign.add_argument("--sign", dest="sign", action="store_true", default=None, help="sign reports (the default)")
    sign.add_argument("--no-sign", dest="sign", action="store_false", help="do not sign reports")
    st.add_argument(
        "--public-key", action="store_true", help="print the technician's public signing key (made on first use)"
    )


def add_output_args(p: argparse.ArgumentParser) -> None:
    """The output options of ``techapp report`` (the visit history adds its own source options)."""
    p.add_argument("--pdf", metavar="FILE", help="write the PDF here (the JSON goes beside it unless --json)")
    p.add_argument("--json", metavar="FILE", help="write the report's canonical JSON here")
    p.add_argument("--lang", choices=("zh", "en"), help="language of the report (default: settings, else the locale)")
    p.add_argument("--paper", choices=("A4", "Letter"), default="A4", help="paper size (default A4)")
    p.add_argument("--print", action="store_true", help="print on the default printer (or --printer NAME)")
    p.add_argument("--printer", metavar="NAME", default="", help="with --print: the printer to use")
    p.add_argument("--no-sign", action="store_true", help="do not sign the report with the technician's key")
    p.add_argument(
        "--bundle",
        metavar="FILE.zip",
        help="also write the evidence bundle for escalation (a folder: SN_YYYYMMDD-HHMM.zip in it; docs/evidence.md)",
    )


def report_lang(explicit: str | None, settings=None) -> str:
    if explicit:
        return explicit
    if settings is not None and settings.report_lang:
        return settings.report_lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def make_report(diagnosis: Any, *, settings=None, sign: bool | None = None, report_no: str | None = None) -> dict:
    """Build and seal the report of ``diagnosis`` with the technician from the settings."""
    from ..settings import load_settings
    from . import build_report, seal

    settings = settings or load_settings()
    report = build_report(diagnosis, technician=settings.technician(), company=settings.company, report_no=report_no)
    return seal(report, sign=settings.sign_reports if sign is None else sign)


def write_outputs(
    report: dict,
    *,
    pdf: str | None,
    json_path: str | None,
    lang: str,
    paper: str = "A4",
    print_it: bool = False,
    printer: str = "",
) -> list[str]:
    """Write the JSON (whole or not at all), render the PDF, print; returns what was done, one line each.

    Raises ``OSError`` (cannot write), :class:`techapp.report.RenderError` / ``RenderUnavailable``.
    """
    from ..backups import write_json_whole
    from . import print_report, render_pdf, renderer

    done: list[str] = []
    if pdf or print_it or not json_path:
        renderer()  # no renderer: say so before writing anything
    if not (pdf or json_path or print_it):
        pdf = f"{report['report_no']}.pdf"
    if pdf and not json_path:
        json_path = str(Path(pdf).with_suffix(".json"))
    from drivers.safeio import check_output_path

    for target in (pdf, json_path):
        if target:  # never onto a link, a device, a FIFO or a folder; the folder must exist (an OSError)
            check_output_path(target)
    if json_path:
        write_json_whole(Path(json_path).absolute(), report)
        done.append(f"report JSON: {json_path}")
    if pdf:
        render_pdf(report, pdf, lang=lang, paper=paper)
        done.append(f"report PDF: {pdf}")
    if print_it:
        name = print_report(report, lang=lang, paper=paper, printer_name=printer)
        done.append(f"printed on: {name}")
    return done


def cmd_report(args: argparse.Namespace) -> int:

    from ..settings import SettingsError, load_settings
    from . import SCHEMA, verify_report

    try:
        settings = load_settings()
    except SettingsError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    visit_id = None
    if args.from_json and (getattr(args, "visit", None) is not None or getattr(args, "last", False)):
        _err("report: give either --from-json FILE or a visit (VISIT or --last), not both")
        return EXIT_CANNOT_RUN
    if args.from_json:
        from drivers.safeio import InputFileError, loads_json, read_text

        try:  # a regular file of bounded size; repeated keys, deep nesting and huge numbers are refused
            doc = loads_json(read_text(args.from_json, what="diagnosis JSON"), what=args.from_json)
        except InputFileError as err:
            _err(str(err))
            return EXIT_CANNOT_RUN
        where = args.from_json
    else:
        from ..history import History, HistoryError
        from ..history_cli import report_source

        try:
            source = report_source(args)
            if source is None:
                _err("report: give --from-json FILE, a visit number (see `techapp history`) or --last")
                return EXIT_CANNOT_RUN
            doc, visit_id = source
            with History.open() as h:
                stored = h.visit(visit_id).report
        except HistoryError as err:
            _err(str(err))
            return EXIT_CANNOT_RUN
        where = f"visit {visit_id}"
        if stored and verify_report(stored).verdict in ("valid", "unsigned"):
            doc = stored  # the report already made for this visit: the same number and fingerprint again
    diagnosis_doc = doc if isinstance(doc, dict) and doc.get("schema") == "techapp.diagnosis/1" else None
    if not args.from_json and diagnosis_doc is None:
        diagnosis_doc = source[0] if isinstance(source[0], dict) else None  # the visit's diagnosis
    if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
        check = verify_report(doc)
        if check.verdict in ("modified", "bad-signature"):
            _err(f"{where}: the report was modified after it was sealed; not rendered (techapp verify)")
            return EXIT_BAD
        report = doc
    elif isinstance(doc, dict) and doc.get("schema") == "techapp.diagnosis/1":
        try:
            report = make_report(doc, settings=settings, sign=False if args.no_sign else None)
        except (ValueError, KeyError) as err:
            _err(f"{where}: cannot make a report of it: {err}")
            return EXIT_CANNOT_RUN
    else:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        _err(f"{where}: neither a diagnosis nor a report (schema {got!r})")
        return EXIT_CANNOT_RUN
    code = emit(report, args, settings)
    if code == EXIT_OK and visit_id is not None:
        attach(visit_id, report)
    if code == EXIT_OK and getattr(args, "bundle", None):  # techapp/evidence.py
        from ..evidence import cli_bundle

        if diagnosis_doc is None:
            _err("--bundle needs a diagnosis: a visit, or --from-json with a diagnosis (techapp diagnose --json)")
            return EXIT_CANNOT_RUN
        code = cli_bundle(diagnosis_doc, args.bundle, lang=report_lang(args.lang, settings), report=report)
    return code


def attach(visit_id: int | None, report: dict) -> None:
    """Keep the report with its visit in the history; a warning when that fails (the report is written)."""
    if visit_id is None:
        return
    from ..history import History, HistoryError

    try:
        with History.open() as h:
            h.attach_report(visit_id, report)
    except (HistoryError, OSError) as err:
        print(f"techapp: warning: the report is not kept in the visit history: {err}", file=sys.stderr)


def diagnose_report(result: Any, pdf: str, lang: str, visit_id: int | None = None) -> int:
    """``techapp diagnose ... --report FILE.pdf``: the report of the run just done, its JSON beside the PDF."""
    from ..settings import SettingsError
    from . import RenderError, RenderUnavailable

    try:
        report = make_report(result)
        done = write_outputs(report, pdf=pdf, json_path=None, lang=lang)
    except (SettingsError, ValueError) as err:
        _err(f"no report: {err}")
        return EXIT_CANNOT_RUN
    except OSError as err:
        _err(f"no report: {err}" if not err.strerror else f"no report: cannot write: {err.strerror} ({err.filename})")
        return EXIT_CANNOT_RUN
    except (RenderError, RenderUnavailable) as err:
        _err(f"no report: {err}")
        return EXIT_CANNOT_RUN
    attach(visit_id, report)
    for line in done:
        print(line, file=sys.stderr)
    return EXIT_OK


def emit(report: dict, args: argparse.Namespace, settings=None) -> int:
    """Write what ``args`` asks for (``--pdf``/``--json``/``--print``...) and say so on stdout."""
    from . import RenderError, RenderUnavailable

    lang = report_lang(args.lang, settings)
    try:
        done = write_outputs(
            report,
            pdf=args.pdf,
            json_path=args.json,
            lang=lang,
            paper=args.paper,
            print_it=args.print,
            printer=args.printer,
        )
    except OSError as err:
        _err(str(err) if not err.strerror else f"cannot write: {err.strerror} ({err.filename})")
        return EXIT_CANNOT_RUN
    except (RenderError, RenderUnavailable) as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    print(f"Report {report['report_no']}: {report['outcome']}; fingerprint {report['fingerprint']}")
    if report.get("training"):
        print("TRAINING: simulated terminal; the report is marked so on every page")
    for line in done:
        print(line)
    return EXIT_OK


VERDICT_TEXT = {
    "valid": "VALID: the content matches its fingerprint and the signature",
    "unsigned": "UNSIGNED: the content matches its fingerprint, but nobody signed it",
    "modified": "MODIFIED: the content does not match the fingerprint it was sealed with",
    "bad-signature": "MODIFIED: the signature does not match the content (re-sealed by someone else?)",
}
PDF_TEXT = {
    "matches": "PDF matches: it carries the same fingerprint",
    "differs": "PDF DOES NOT MATCH: it carries another fingerprint",
    "no-fingerprint": "PDF DOES NOT MATCH: no techapp fingerprint found in it",
    "unreadable": "PDF cannot be read",
}


def cmd_verify(args: argparse.Namespace) -> int:
    from . import verify

    try:
        result = verify(args.report, args.pdf)
    except OSError as err:
        _err(f"cannot read {args.report}: {err.strerror or err}")
        return EXIT_CANNOT_RUN
    except ValueError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    print(f"{args.report}: {VERDICT_TEXT[result.verdict]}")
    print(f"  fingerprint (computed): {result.fingerprint}")
    if result.stated != result.fingerprint:
        print(f"  fingerprint (stated):   {result.stated or '(none)'}")
    if result.key_id:
        whose = " (this computer's technician key)" if result.own_key else ""
        print(f"  Ed25519 key {result.key_id}{whose}")
    if result.pdf is not None:
        print(f"{args.pdf}: {PDF_TEXT[result.pdf]}")
        if result.pdf == "differs":
            print(f"  fingerprint in the PDF: {result.pdf_fingerprint}")
    return EXIT_OK if result.ok else EXIT_BAD


def cmd_settings(args: argparse.Namespace) -> int:
    from ..settings import SettingsError, load_settings, save_settings, settings_path
    from .seal import key_path, public_key_b64

    try:
        settings = load_settings()
        changes = {
            k: v
            for k, v in (
                ("technician_name", args.technician_name),
                ("technician_id", args.technician_id),
                ("company", args.company),
                ("report_lang", args.report_lang),
                ("sign_reports", args.sign),
            )
            if v is not None
        }
        if changes:
            settings = settings.with_changes(**changes)
            save_settings(settings)
    except SettingsError as err:
        _err(str(err))
        return EXIT_CANNOT_RUN
    except OSError as err:
        _err(f"cannot write {settings_path()}: {err.strerror or err}")
        return EXIT_CANNOT_RUN
    print(f"settings: {settings_path()}{' (saved)' if changes else ''}")
    print(f"  technician_name = {settings.technician_name or '(not set)'}")
    print(f"  technician_id   = {settings.technician_id or '(not set)'}")
    print(f"  company         = {settings.company or '(not set)'}")
    print(f"  report_lang     = {settings.report_lang or '(the locale)'}")
    print(f"  sign_reports    = {'yes' if settings.sign_reports else 'no'}")
    if args.public_key:
        try:
            print(f"public key (Ed25519, base64): {public_key_b64()}")
        except (OSError, ValueError) as err:
            _err(f"cannot read or make the signing key {key_path()}: {err}")
            return EXIT_CANNOT_RUN
    return EXIT_OK
