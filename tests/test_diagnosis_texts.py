"""What the technician reads, over every scenario: each cause has an action, and both languages are clean.

Every shipped scenario (and the unseen ones of ``tests/data/unseen-scenarios``)
is diagnosed once, in process (``sim://FILE``, as ``techapp diagnose`` does),
with the demo work order and profile (and a person who does the tests where the
scenario is about the card reader or the keypad). The
terminal's connect and response timeouts are cut to a few seconds so the
network faults do not wait a minute; nothing else of the scenario changes.

Then:

* **every finding offers at least one action** (issue 9 §1: a cause without
  something to do is a dead end);
* **every text a person reads** (finding titles, causes, evidence, decision
  steps, every action's title, steps, blocked reason, escalation text and what
  to check afterwards, and the checklist's titles and summaries) is rendered
  in both languages and checked against :func:`problems`.

The rules, precisely (:func:`problems`):

English and Chinese:
  * no internal ids: verdict codes (``host-answered-refusal``), finding and
    action ids with a hyphen (``tid-mismatch``), hyphenated outcome ids
    (``dns-failure``), check ids (``params.tid``), snake_case names
    (``primary_host``) and field keys (``tid:``). A command-line option
    (``--no-sign-on``) is user text, not an id. ``sign-on`` is an English word.
  * English: no ``(s)`` plurals.

Chinese only:
  * the trade's words: 终端号, 商户号, 流水号, never ``TID``, ``MID``, ``STAN``;
  * ASCII letters only in values: a run of two or more ASCII words (letters,
    separated by spaces) is a mixed-language sentence unless every word is a
    value or a term the Chinese trade writes in Latin letters
    (:data:`ZH_LATIN`: TPDU, APN, SIM, DNS, TLS, ...), or it is a value the
    scenario itself holds (the model, firmware and application names, the
    merchant's name: :func:`world_values`);
  * full-width punctuation: no ASCII ``, ; : ( ) ? !`` next to a Chinese character;
  * no stray spaces: none between two Chinese characters, nor between a
    Chinese character and full-width punctuation.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from drivers import timescale
from drivers.registry import open_terminal
from drivers.sim.scenario import load_scenario
from drivers.sim.server import forget_terminals
from techapp.diagnosis.engine import Diagnoser, run_with_baud_probe
from techapp.diagnosis.model import Diagnosis, Text
from techapp.diagnosis.rules import PRIORITY
from techapp.hostcheck import VERDICTS
from techapp.laptopnet import laptop_dialer, trusted_ca
from techapp.profiles import load_profile
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "resources" / "scenarios").glob("*.toml"))
UNSEEN = sorted((Path(__file__).parent / "data" / "unseen-scenarios").glob("*.toml"))
WORK_ORDER = load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml")
PROFILE = load_profile("demo")
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(900)

#: Terms the Chinese POS trade writes in Latin letters (with values, the only ASCII allowed in Chinese text).
ZH_LATIN = {
    "TPDU", "TMK", "PIK", "MAK", "TDK", "IPEK", "KSN", "DUKPT", "SIM", "APN", "DNS", "DHCP", "TLS", "CA",
    "IP", "USB", "POS", "TMS", "Wi-Fi", "SSID", "PIN", "MAC", "IC", "ISO", "VPN", "ECR", "NAK", "ACK",
    "ID", "4G", "TCP", "LED", "OK", "RMA", "UTC", "NTP", "CUP", "PAX", "MHz", "dBm", "KB", "MB", "ms", "s",
}  # fmt: skip
#: English words with a hyphen that are not ids even when an id is spelled the same.
ENGLISH = {"sign-on"}


def internal_ids(result: Diagnosis) -> set[str]:
    """The ids a person must never read: verdicts, findings, actions, outcomes, checks."""
    ids = set(VERDICTS) | set(PRIORITY)
    ids |= {a.id for f in result.findings for a in f.actions}
    ids |= {"dns-failure", "tls-failure", "no-link", "not-configured", "key-verify-failed", "closed-mid-message"}
    ids |= {"no-answer", "not-allowed", "bad-parameters", "dns-unavailable", "fixed-during-diagnosis"}
    return {i for i in ids if "-" in i and i not in ENGLISH}


def world_values(result: Diagnosis) -> list[str]:
    """Values of the terminal's world, which may be in any language and are quoted as they are.

    The model, firmware and application names the terminal reports, the network it is
    registered with, the merchant's name, and the acquirer profile's names, approved
    versions and response-code texts (the terminal's display texts, as the profile has them).
    """
    values = [str(v) for v in result.terminal.values() if isinstance(v, str)]
    values += [str(c.observed.get("network_name") or "") for c in result.checks]
    if result.work_order:
        values += [str(result.work_order.get("merchant_name") or "")]
    values += [PROFILE.name.en, PROFILE.helpdesk.name.en]
    for versions in PROFILE.approved_firmware.values():
        values += [str(v) for v in (*versions.firmware, *versions.apps)]
    codes = {c.observed.get("last") for c in result.checks} | {c.observed.get("response_code") for c in result.checks}
    for code in codes - {None, ""}:
        values += [PROFILE.explain(str(code)).zh, PROFILE.explain(str(code)).en]
    return sorted({v for v in values if v}, key=len, reverse=True)


CJK = "\u4e00-\u9fff"
FULLWIDTH = "，。；：（）？！、“”"


def problems(text: str, lang: str, ids: set[str], values: list[str], check_ids: set[str]) -> list[str]:
    """What is wrong with one text a person reads (empty when nothing is)."""
    found = []
    for value in values:
        text = text.replace(value, "0")  # a value stands where it is, as a value would
    for i in ids:
        if re.search(rf"(?<![-\w.]){re.escape(i)}(?![-\w])", text):
            found.append(f"internal id {i!r}")
    for c in check_ids:
        if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w])", text):
            found.append(f"check id {c!r}")
    if m := re.search(r"(?<![-\w])[a-z]+_[a-z_]+\b", text):
        found.append(f"snake_case name {m.group()!r}")
    if m := re.search(r"(?<![-\w])(tid|mid|stan|tpdu|apn)\s*:", text):
        found.append(f"field key {m.group()!r}")
    if lang == "en":
        if m := re.search(r"\w\(s\)", text):
            found.append(f"'(s)' plural in {m.group()!r}")
        return found
    if m := re.search(r"\b(TID|MID|STAN|SN)\b", text):
        found.append(f"{m.group()!r} instead of the trade's Chinese word")
    for run in re.finditer(r"[A-Za-z][A-Za-z'-]*(?:\s+[A-Za-z][A-Za-z'-]*)+", text):
        words = [w for w in run.group().split() if w not in ZH_LATIN]
        if len(words) >= 2:
            found.append(f"English words in Chinese: {run.group()!r}")
    if m := re.search(rf"[{CJK}][,;:()?!]|[,;:()?!][{CJK}]", text):
        found.append(f"half-width punctuation {m.group()!r}")
    if m := re.search(rf"[{CJK}] +[{CJK}]|[{CJK}{FULLWIDTH}] +[{FULLWIDTH}]|[{FULLWIDTH}] +[{CJK}]", text):
        found.append(f"stray space {m.group()!r}")
    return found


def _fast(scenario: Path, folder: Path) -> Path:
    """The scenario with the terminal's connect and response timeouts cut to a few seconds."""
    target = folder / scenario.name
    target.write_text(
        f'extends = "{scenario}"\n[parameters]\nconnect_timeout_s = 2\nresponse_timeout_s = 3\n', encoding="utf-8"
    )
    return target


def _needs_person(scenario: Path) -> bool:
    """Scenarios about the card reader or keypad get a person at the terminal; the rest run without (faster)."""
    return "[self_tests." in scenario.read_text(encoding="utf-8") or scenario.stem == "magstripe-faulty"


def _diagnose(path: Path, person: bool) -> Diagnosis:
    port = f"sim://{path}"
    dialer = laptop_dialer(port)
    with trusted_ca(getattr(dialer, "ca_pem", None)) as cafile:

        def make(driver) -> Diagnoser:
            return Diagnoser(
                driver,
                PASSWORD,
                port=port,
                work_order=WORK_ORDER,
                profile=PROFILE,
                dialer=dialer,
                cafile=cafile,
                ask_person=(lambda prompt: True) if person else None,
                person_timeout_s=6,
            )

        diagnoser, result = run_with_baud_probe(lambda rate: open_terminal(port, baudrate=rate), 115200, make)
        diagnoser.driver.close()
    return result


#: The sweep in parts, so that xdist runs them on different workers: each part diagnoses its
#: scenarios 8 at a time in threads. The slowest scenarios (wrong-tpdu ~11 s, slow-terminal ~9 s,
#: hung-terminal ~8 s, the person tests ~5 s) fall in different parts.
PARTS = 4
SCENARIOS = SHIPPED + UNSEEN


@pytest.fixture(params=range(PARTS), ids=lambda n: f"part{n + 1}of{PARTS}")
def results(request, tmp_path) -> dict[str, Diagnosis]:
    """Every PARTS-th scenario diagnosed, 8 at a time: each has its own in-process terminal and mostly
    waits on it.

    Waits that nothing can end (a host that never answers) are scaled down (drivers/timescale.py).
    """
    scenarios = SCENARIOS[request.param :: PARTS]
    for scenario in scenarios:
        load_scenario(scenario)  # a broken file fails here, with its own message
    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor(8, thread_name_prefix="texts-sweep") as pool:
        mp.setenv(timescale.ENV, "0.05")
        runs = pool.map(lambda s: _diagnose(_fast(s, tmp_path), _needs_person(s)), scenarios)
        out = {scenario.stem: result for scenario, result in zip(scenarios, runs, strict=True)}
    forget_terminals()
    return out


def test_the_parts_cover_every_scenario_once():
    parts = [SCENARIOS[n::PARTS] for n in range(PARTS)]
    assert sorted(p for part in parts for p in part) == sorted(SCENARIOS) and len(set(SCENARIOS)) == len(SCENARIOS)
    assert all(len(part) >= 8 for part in parts)  # each part still has work for its 8 threads


def _texts(result: Diagnosis) -> list[tuple[str, Text]]:
    out: list[tuple[str, Text]] = []
    for c in result.checks:
        out += [(f"check {c.id} title", c.title), (f"check {c.id} summary", c.summary)]
    for f in result.findings:
        where = f"finding {f.id}"
        out += [(f"{where} title", f.title), (f"{where} cause", f.cause)]
        out += [(f"{where} evidence", e) for e in f.evidence]
        out += [(f"{where} procedure", p) for p in f.procedure]
        for a in f.actions:
            at = f"{where} action {a.id}"
            out.append((f"{at} title", a.title))
            out += [(f"{at} step", s) for s in a.steps]
            out += [(f"{at} {k}", t) for k, t in (("verify", a.verify), ("blocked", a.blocked), ("text", a.text)) if t]
    return out


def _text_problems(results: dict[str, Diagnosis]) -> list[str]:
    from techapp.diagnosis.render import render_finding, render_text

    bad = []
    for name, result in results.items():
        ids = internal_ids(result)
        check_ids = {c.id for c in result.checks}
        values = world_values(result)
        for where, text in _texts(result):
            for lang in ("en", "zh"):
                for problem in problems(text(lang), lang, ids, values, check_ids):
                    bad.append(f"{name}: {where} [{lang}]: {problem}: {text(lang)!r}")
        for lang in ("en", "zh"):  # the checklist as the report prints it, with what each check compared with
            lines = render_text(result, lang).splitlines()
            for line in (x for x in lines if x.startswith("    [")):
                for problem in problems(line, lang, ids, values, check_ids):
                    bad.append(f"{name}: checklist line [{lang}]: {problem}: {line!r}")
        for n, f in enumerate(result.findings, start=1):  # the report's lines, with their labels
            for lang in ("en", "zh"):
                for line in render_finding(f, lang, n):
                    for problem in problems(line, lang, ids, values, check_ids):
                        bad.append(f"{name}: report line [{lang}]: {problem}: {line!r}")
    return bad


@pytest.mark.slow
def test_every_finding_offers_an_action_and_every_text_is_clean_in_both_languages(results):
    """One test per part, both checks on the same diagnoses (a part is diagnosed once)."""
    bare = {name: [f.id for f in result.findings if not f.actions] for name, result in results.items()}
    assert {name: ids for name, ids in bare.items() if ids} == {}
    # the sweep did find things: every scenario but the two without a fault has a finding
    empty = sorted(name for name, result in results.items() if not result.findings)
    assert set(empty) <= {"healthy", "nobody-at-the-terminal"}, empty
    assert _text_problems(results) == []


@pytest.mark.parametrize(
    ("text", "lang", "complaint"),
    [
        ("主机已应答但拒绝签到（host-answered-refusal）", "zh", "internal id"),
        ("tid: 12345687 -> 12345678", "en", "field key"),
        ("4 attempt(s) left", "en", "plural"),
        ("终端 TID 12345678 未登记", "zh", "instead of the trade's"),
        ("维护登录：maintenance locked after too many wrong passwords", "zh", "English words"),
        ("终端号为空,请输入", "zh", "half-width"),
        ("终端号 为空", "zh", "stray space"),
        ("检查 params.tid 的结果", "zh", "check id"),
    ],
)
def test_the_rules_catch_what_they_name(text, lang, complaint):
    found = problems(text, lang, {"host-answered-refusal", "tid-mismatch"}, [], {"params.tid"})
    assert any(complaint in p for p in found), found


@pytest.mark.parametrize(
    "text",
    [
        "终端号 12345678，主机 10.20.30.40:5000 拒绝连接；TPDU 6000030000，APN 为“cmnet”",
        "在“通讯参数设置”中输入（未设置 SSID 前终端拒绝其他修改）",
        "签到成功（00），10.20.30.40:5000；新工作密钥已下载",
    ],
)
def test_values_and_trade_terms_are_allowed_in_chinese(text):
    assert problems(text, "zh", {"host-answered-refusal"}, [], {"params.tid"}) == []
