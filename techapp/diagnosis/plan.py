"""Repairs in dependency order (issue 17): what each action needs, what it restores, and the order they run in.

Every automatic action *needs* some conditions to do its work or to be proven,
and *restores* the conditions its finding had broken:

``host-link``
    a connection to the acquirer's host that gets through (TCP, TLS). A
    sign-on, a settlement and every write whose proof is a sign-on need it.
``clock``
    a right clock. TLS certificates and the host's time checks need it; a
    clock so far off that TLS fails breaks ``host-link`` too.
``settled-batch``
    no open batch: the terminal refuses parameter edits until it is settled.
``unlocked``
    a terminal that is not tamper-locked: every write needs it.
``keys``
    working keys the host also holds: a settlement's MAC needs them; a
    sign-on (the action) restores them.

An action restores what its finding broke: setting the clock restores
``clock`` (and ``host-link`` when the finding saw TLS fail on it); a settlement
restores ``settled-batch``; a write that fixes the terminal's network settings
(APN, Wi-Fi, host address, TPDU) restores ``host-link``.

:func:`order` puts every action that restores a condition before the actions
that need it (a topological order; otherwise the findings' own order, by rank),
so a clock that breaks TLS is set before the TID whose proof is a sign-on.
Actions may declare ``needs`` / ``restores`` themselves; :func:`declare` fills
in the defaults above for those that do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import Action, Finding, T

HOST_LINK = "host-link"
CLOCK = "clock"
SETTLED = "settled-batch"
UNLOCKED = "unlocked"
KEYS = "keys"
CONDITIONS = (HOST_LINK, CLOCK, SETTLED, UNLOCKED, KEYS)

#: Findings whose parameter fixes restore the way to the host (their proof is the host answering).
LINK_FINDINGS = frozenset(
    {"test-host", "foreign-host", "host-missing", "tpdu-differs", "wrong-tpdu", "no-apn", "wrong-apn", "wifi-auth"}
    | {"no-wifi", "dns", "tls", "host-unreachable"}
)
#: Checks that, failing beside a clock finding, say the clock broke the host link (TLS "not yet valid").
LINK_CHECKS = frozenset({"network.terminal", "network.compare", "signon"})

WRITES = frozenset({"write-parameters", "sync-clock", "settle"})


def needs_of(action: Action, finding: Finding | None = None) -> tuple[str, ...]:
    """What ``action`` needs to run and be proven (declared, or the defaults in the module docstring)."""
    if action.needs:
        return tuple(action.needs)
    out: list[str] = []
    if action.operation in ("sign-on", "settle") or action.then_sign_on:
        out.append(HOST_LINK)
    if action.operation == "write-parameters" and action.blocked is not None:
        out.append(SETTLED)  # an open batch refuses edits (the only reason a write is blocked today)
    if action.operation in WRITES:
        out.append(UNLOCKED)
    if action.operation == "settle":
        out.append(KEYS)
    return tuple(out)


def restores_of(action: Action, finding: Finding | None = None) -> tuple[str, ...]:
    """What ``action`` puts right (declared, or the defaults in the module docstring)."""
    if action.restores:
        return tuple(action.restores)
    out: list[str] = []
    if action.operation == "sync-clock":
        out.append(CLOCK)
        if finding is not None and LINK_CHECKS & set(finding.checks):
            out.append(HOST_LINK)
    elif action.operation == "settle":
        out.append(SETTLED)
    elif action.operation == "sign-on":
        out.append(KEYS)
    elif action.operation == "write-parameters" and finding is not None and finding.id in LINK_FINDINGS:
        out.append(HOST_LINK)
    return tuple(out)


def declare(findings: Iterable[Finding]) -> None:
    """Write the defaults into every automatic action that declares nothing (they show in the JSON)."""
    for f in findings:
        for a in f.actions:
            if a.kind != "automatic":
                continue
            if not a.needs:
                a.needs = needs_of(a, f)
            if not a.restores:
                a.restores = restores_of(a, f)


def order(pairs: Sequence[tuple[Finding, Action]]) -> list[tuple[Finding, Action]]:
    """``pairs`` (finding order) so that whatever restores a condition runs before what needs it.

    Stable: among actions with no dependency between them the findings' order
    holds. A cycle (two actions each restoring what the other needs) keeps the
    findings' order for the actions in it.
    """
    n = len(pairs)
    needs = [set(needs_of(a, f)) for f, a in pairs]
    restores = [set(restores_of(a, f)) for f, a in pairs]
    before: list[set[int]] = [set() for _ in range(n)]  # before[j]: indices that must run before j
    for i in range(n):
        for j in range(n):
            if i != j and restores[i] & needs[j] and not restores[j] >= (restores[i] & needs[j]):
                before[j].add(i)
    out: list[int] = []
    placed: set[int] = set()
    while len(out) < n:
        ready = [j for j in range(n) if j not in placed and before[j] <= placed]
        if not ready:  # a cycle: take the first left in findings' order
            ready = [min(j for j in range(n) if j not in placed)]
        nxt = ready[0]
        out.append(nxt)
        placed.add(nxt)
    return [pairs[k] for k in out]


def why_first(first: tuple[Finding, Action], later: tuple[Finding, Action]) -> set[str]:
    """The conditions ``first`` restores that ``later`` needs (empty: no dependency)."""
    return set(restores_of(first[1], first[0])) & set(needs_of(later[1], later[0]))


def plan_ids(findings: Sequence[Finding]) -> list[str]:
    """The automatic actions' ids in the order a repair runs them (each once)."""
    pairs = [(f, a) for f in findings for a in f.actions if a.kind == "automatic"]
    seen: set[str] = set()
    out = []
    for _, a in order(pairs):
        if a.id not in seen:
            seen.add(a.id)
            out.append(a.id)
    return out


WORDS = {
    HOST_LINK: T("the host link", "与主机的连接"),
    CLOCK: T("the clock", "时钟"),
    SETTLED: T("a settled batch", "已结算的批次"),
    UNLOCKED: T("an unlocked terminal", "未锁定的终端"),
    KEYS: T("working keys the host holds", "与主机一致的工作密钥"),
}


def plan_lines(findings: Sequence[Finding], lang: str) -> list[str]:
    """The repair order, for the report and the window: empty unless two or more automatic repairs are offered."""
    pairs = [(f, a) for f in findings for a in f.actions if a.kind == "automatic"]
    seen: set[str] = set()
    unique = []
    for f, a in pairs:
        if a.id not in seen:
            seen.add(a.id)
            unique.append((f, a))
    if len(unique) < 2:
        return []
    planned = order(unique)
    out = [T("Repair order (what the others need goes first):", "修复顺序（其他修复所依赖的先做）：")(lang)]
    for n, (f, a) in enumerate(planned, start=1):
        line = f"  {n}. {a.title(lang)}"
        later = [k for k in range(n, len(planned)) if why_first((f, a), planned[k])]
        if later:
            what = sorted({c for k in later for c in why_first((f, a), planned[k])})
            words = T(", ".join(WORDS[c].en for c in what), "、".join(WORDS[c].zh for c in what))
            steps = ", ".join(str(k + 1) for k in later)
            line += T(f" (restores {words.en}, which step {steps} needs)", f"（恢复{words.zh}，第 {steps} 步需要）")(
                lang
            )
        out.append(line)
    if any(a.then_sign_on for _, a in planned):
        out.append(
            T(
                "  One sign-on after the last repair proves them together.",
                "  最后一次修复后签到一次，一并验证。",
            )(lang)
        )
    return out
