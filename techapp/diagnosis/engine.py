"""One diagnosis end to end: gather, judge, find, and (when confirmed) repair and prove the repair.

:class:`Diagnoser` is what the CLI and the GUI call. It owns no thread: the
caller runs it where blocking is fine (the CLI's main thread, the GUI's
worker) and passes ``cancel`` to stop it between steps.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.addr import hostport
from drivers.base import TerminalDriver
from drivers.errors import TerminalError
from drivers.models import Parameters

from ..backups import BackupError, save_backup
from ..workorder import WorkOrder
from . import actions as act
from .checks import Context, judge
from .model import Action, ActionOutcome, Diagnosis, Finding, T
from .outcome import untested
from .plan import declare, needs_of, order, restores_of
from .runner import PERSON_TIMEOUT_S, AskPerson, Gatherer, Readings, StepProgress, explain, is_link_failure

if TYPE_CHECKING:  # the validated profile model (pydantic) is not needed to import the diagnosis
    from ..profiles import AcquirerProfile

#: Confirm an automatic action before it runs: True to go ahead.
Confirm = Callable[[Action, Finding], bool]

#: Steps re-run after a repair to show the result (the sign-on is the repair's own, or runs once more).
RERUN = {
    "connect",
    "identity",
    "login",
    "device-status",
    "hardware",
    "parameters",
    "keys",
    "counters",
    "logs",
    "comm-test",
    "laptop-network",
}


class Diagnoser:
    def __init__(
        self,
        driver: TerminalDriver,
        password: str | None,
        *,
        port: str = "",
        work_order: WorkOrder | None = None,
        profile: AcquirerProfile | Callable[[], AcquirerProfile] | None = None,
        dialer: Any = None,
        cafile: str | None = None,
        sign_on: bool = True,
        ask_person: AskPerson | None = None,
        on_progress: Callable[[StepProgress], None] | None = None,
        cancel: threading.Event | None = None,
        backup_dir: Path | None = None,
        clock: Callable[[], datetime] = datetime.now,
        person_timeout_s: int = PERSON_TIMEOUT_S,
    ) -> None:
        self.driver = driver
        driver.capture_host_traffic = True  # the sign-on's 0800/0810 for the evidence (techapp.evidence)
        self.settlement = None  # the last SETTLE's result (its 0500/0510 for techapp.evidence)
        self.password = password
        self.port = port
        # a callable profile is still being validated (techapp diagnose does it in parallel with the first
        # reads): it is waited for before the first test or judgement, and its ProfileError ends the run there
        self._pending_profile = profile if callable(profile) else None
        self.ctx = Context(work_order, None if callable(profile) else profile)
        self.dialer = dialer
        self.cafile = cafile
        self.sign_on = sign_on
        self.ask_person = ask_person
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.backup_dir = backup_dir
        self.clock = clock
        self.person_timeout_s = person_timeout_s
        self.readings: Readings | None = None
        self.baud_mismatch: tuple[int, int] | None = None  # set by run_with_baud_probe
        self._last_backup = ""
        self._withheld: set[str] = set()  # actions whose proving sign-on --no-sign-on withheld
        # done in an earlier repair() (the window runs one action at a time) but their proving sign-on failed:
        # re-proven when a later repair restores what they need (issue 17)
        self._failed_proofs: list[tuple[ActionOutcome, Action, Finding]] = []
        #: opens a new link to the terminal when a write's read-back was lost (default: the same port again)
        self.reopen: Callable[[], TerminalDriver] | None = None

    def _gatherer(self, *, ask_person: AskPerson | None, sign_on: bool) -> Gatherer:
        return Gatherer(
            self.driver,
            self.password,
            dialer=self.dialer,
            cafile=self.cafile,
            sign_on=sign_on,
            ask_person=ask_person,
            on_progress=self.on_progress,
            cancel=self.cancel,
            clock=self.clock,
            person_timeout_s=self.person_timeout_s,
            before_tests=self._resolve_profile,
        )

    def _resolve_profile(self) -> None:
        """Wait for a profile given as a callable; its error (``ProfileError``) propagates out of ``run()``."""
        pending, self._pending_profile = self._pending_profile, None
        if pending is not None:
            self.ctx = dataclasses.replace(self.ctx, profile=pending())

    def _result(self, r: Readings, started: datetime) -> Diagnosis:
        self._resolve_profile()  # a run that ended before its tests (no login) is still judged with it
        # the rules (and through them the host checks) load when first judged, not before the link starts
        from .rules import findings as find

        checks = judge(r, self.ctx)
        result = Diagnosis(
            port=self.port,
            started_at=started,
            finished_at=self.clock(),
            terminal=_terminal_summary(r),
            work_order=self.ctx.work_order.to_dict() if self.ctx.work_order else None,
            profile=self.ctx.profile.id if self.ctx.profile else None,
            checks=checks,
            findings=find(r, checks, self.ctx),
            cancelled=r.cancelled,
            untested=untested(r, checks, self.ctx),
        )
        prof = self.ctx.profile
        if prof is not None and prof.automatic_settlement:  # the acquirer lets techapp settle: not a manual step
            for f in result.findings:
                f.actions = [
                    act.settle_batch() if a.id == "settle-batch" and a.kind == "manual" else a for a in f.actions
                ]
        if not self.sign_on:  # --no-sign-on: no action signs on, and none promises to
            for f in result.findings:
                for a in f.actions:
                    if a.then_sign_on:
                        self._withheld.add(a.id)
                        a.then_sign_on = False
                        if a.operation == "write-parameters":
                            a.verify = T("The values read back equal the new ones.", "回读的参数与新值一致。")
                    if a.operation == "sign-on":
                        a.blocked = T(
                            "sign-on not allowed in this run (--no-sign-on)", "本次运行不允许签到（--no-sign-on）"
                        )
        offer_only_what_the_driver_can(result.findings, self.driver)
        declare(result.findings)  # each automatic action's needs/restores: the repair's order (plan.py)
        if r.cancelled:
            pass  # a cancel explains every step that did not run; "cancelled" says so
        elif r.hello is None or r.identity is None:
            err = r.errors.get("connect") or r.errors.get("identity")
            why = err.said() if err else T("no answer", "没有应答")
            result.could_not_run = T(
                f"the terminal on {self.port or 'the port'} could not be read: {why.en}",
                f"无法读取 {self.port or '端口'} 上的终端：{why.zh}",
            )
        elif (lost := next((e for e in r.errors.values() if is_link_failure(e)), None)) is not None:
            result.could_not_run = T(
                f"the link failed half-way ({lost.said().en}); the result is partial",
                f"连接中途失败（{lost.said().zh}）；结果不完整",
            )
        elif not r.logged_in and r.skip_causes.get("login") != "not-available":
            err = r.errors.get("login")
            why = err.said() if err else T("not logged in", "未登录")
            result.could_not_run = T(f"maintenance login failed: {why.en}", f"维护登录失败：{why.zh}")
        return result

    def run(self) -> Diagnosis:
        started = self.clock()
        self.readings = self._gatherer(ask_person=self.ask_person, sign_on=self.sign_on).run()
        self.readings.baud_mismatch = self.baud_mismatch
        return self._result(self.readings, started)

    # -- repairs -------------------------------------------------------------------------
    def repair(self, diagnosis: Diagnosis, confirm: Confirm, *, only: set[str] | None = None) -> Diagnosis:
        """Offer every automatic action (in finding order) to ``confirm``, run the confirmed ones, re-check.

        ``only`` limits it to the actions with these ids (a GUI's "Apply fix" button); the
        others are neither offered nor recorded.

        Returns the diagnosis after the repair: its checks and findings are the
        re-run's, ``actions_taken`` records each action with backup, write,
        read-back and the affected checks before and after.
        """
        if self.readings is None:
            raise RuntimeError("run() the diagnosis before repairing")
        before = {c.id: c.status for c in diagnosis.checks}
        outcomes: list[ActionOutcome] = []
        log_mark = self._log_mark()
        done: set[str] = set()
        last_sign_on = None
        settled = False  # a settlement in this repair closed the batch: the writes it blocked may run
        # dependency order (plan.py): what restores a condition runs before what needs it (the clock that
        # breaks TLS before the TID whose proof is a sign-on, a settlement before the writes it unblocks)
        ordered = order([(f, a) for f in diagnosis.findings for a in f.actions])
        unproven: list[ActionOutcome] = []  # done; one sign-on after the last repair proves them together
        ran: list[tuple[ActionOutcome, Action, Finding]] = []  # done in this repair, with what they were
        try:
            for finding, action in ordered:
                skip = action.kind != "automatic" or action.id in done
                if skip or (only is not None and action.id not in only):
                    continue
                done.add(action.id)
                if self.cancel.is_set():
                    break
                unblocked = settled and action.operation == "write-parameters"
                if action.blocked is not None and not unblocked:
                    outcomes.append(ActionOutcome(action.id, finding.id, "blocked", action.blocked))
                    continue
                if not confirm(action, finding):
                    why = (
                        T("do the manual steps first, then run it", "请先完成手动步骤，再执行")
                        if action.after_manual
                        else T("not confirmed", "未确认，未执行")
                    )
                    outcomes.append(ActionOutcome(action.id, finding.id, "declined", why))
                    continue
                try:
                    outcome = self._apply(action, finding, prove=False)
                except KeyboardInterrupt:
                    outcomes.append(self._interrupted(action, finding))
                    raise
                if outcome.sign_on_result is not None:
                    last_sign_on = outcome.sign_on_result
                settled = settled or (action.operation == "settle" and outcome.result == "done")
                if outcome.result == "done" and action.then_sign_on and action.operation != "sign-on":
                    unproven.append(outcome)
                    ran.append((outcome, action, finding))
                elif outcome.result == "done":
                    ran.append((outcome, action, finding))
                outcomes.append(outcome)
        except KeyboardInterrupt:  # Ctrl-C at a confirmation: keep what was done, re-check nothing more
            self.cancel.set()
        if unproven and not self.cancel.is_set():
            last_sign_on = self._prove_together(unproven) or last_sign_on
        if not self.cancel.is_set():
            last_sign_on = self._reprove_earlier(ran, last_sign_on) or last_sign_on
        _name_outcomes(outcomes, diagnosis.findings)
        if self.cancel.is_set() or not any(o.result in ("done", "failed", "restored") for o in outcomes):
            # nothing changed on the terminal (or a cancel): the same checklist, with what was tried
            return dataclasses.replace(
                diagnosis,
                actions_taken=outcomes,
                cancelled=diagnosis.cancelled or self.cancel.is_set(),
            )
        # re-run: everything that reads, and the sign-on unless an action just proved it
        started = self.clock()
        again = self.sign_on and last_sign_on is None
        g = self._gatherer(ask_person=None, sign_on=again)
        phases = set(RERUN) | ({"sign-on", "keys-after"} if again else set())
        r = g.run(phases)
        r.baud_mismatch = self.baud_mismatch
        if any(o.result == "done" for o in outcomes):
            r.log_mark = log_mark
        if last_sign_on is not None:
            r.sign_on = last_sign_on
            r.keys_after_sign_on = r.keys
            from ..hostcheck import compare

            if r.laptop_hosts is not None:
                r.verdict = compare(r.comm_test, r.sign_on, r.laptop_hosts)
        if not again and last_sign_on is None:  # the sign-on stays skipped, for the reason it was
            for step in ("sign-on", "keys-after"):
                if step in self.readings.skipped:
                    r.skipped[step] = self.readings.skipped[step]
                    r.skip_causes[step] = self.readings.skip_causes.get(step, "other")
        # interactive self-tests are not repeated: keep their first results
        for test, res in self.readings.self_tests.items():
            r.self_tests.setdefault(test, res)
        for step in ("card-reader", "keypad"):
            if step in self.readings.skipped and step not in r.self_tests:
                r.skipped[step] = self.readings.skipped[step]
                r.skip_causes[step] = self.readings.skip_causes.get(step, "other")
        after = self._result(r, started)
        after_status = {c.id: c.status for c in after.checks}
        for o in outcomes:
            finding = next((f for f in diagnosis.findings if f.id == o.finding), None)
            ids = list(finding.checks if finding else [])
            if "signon" not in ids:
                ids.append("signon")
            o.before = {i: before.get(i, "skipped") for i in ids}
            o.after = {i: after_status.get(i, "skipped") for i in ids}
        after.actions_taken = outcomes
        after.findings_before = [f.id for f in diagnosis.findings]
        after.started_at = diagnosis.started_at
        self.readings = r
        return after

    def _interrupted(self, action: Action, finding: Finding) -> ActionOutcome:
        """Ctrl-C in the middle of an action: what is known, and where the backup is."""
        where = f"; the parameters before it are in {self._last_backup}" if self._last_backup else ""
        where_zh = f"；修改前的参数保存在 {self._last_backup}" if self._last_backup else ""
        return ActionOutcome(
            action.id,
            finding.id,
            "failed",
            T(
                "interrupted: the terminal may hold the old or the new values, read them back" + where,
                "已中断：终端可能是旧值也可能是新值，请回读确认" + where_zh,
            ),
            backup_path=self._last_backup,
        )

    def _log_mark(self) -> tuple | None:
        """The newest response-code log entry before a repair: entries after it answer the new values."""
        try:
            entries = self.driver.read_log("response-codes")
        except TerminalError:
            return None
        return (entries[-1].time, entries[-1].code, entries[-1].text) if entries else ("", "", "")

    def _apply(self, action: Action, finding: Finding, *, prove: bool = True) -> ActionOutcome:
        """Run one action; ``prove=False`` leaves a write's proving sign-on to :meth:`_prove_together`."""
        self._last_backup = ""
        try:
            if action.operation == "write-parameters":
                outcome = self._write(action, finding)
            elif action.operation == "sync-clock":
                now = self.clock().replace(microsecond=0)
                self.driver.set_clock(now)
                outcome = ActionOutcome(
                    action.id,
                    finding.id,
                    "done",
                    T(f"clock set to {now:%Y-%m-%d %H:%M:%S}", f"时钟已设为 {now:%Y-%m-%d %H:%M:%S}"),
                    written={"clock": now},
                    read_back={"clock": self.driver.hardware().clock} if self.driver.can("hardware") else {},
                )
            elif action.operation == "print-test-page":
                self.driver.print_text(
                    ["*** techapp test page ***", f"{self.clock():%Y-%m-%d %H:%M:%S}", "0123456789 ABCDEF 测试页"]
                )
                outcome = ActionOutcome(
                    action.id, finding.id, "done", T("test page sent to the printer", "测试页已打印")
                )
            elif action.operation == "sign-on":
                outcome = ActionOutcome(action.id, finding.id, "done", T("sign-on run", "已签到"))
            elif action.operation == "initialise":
                self.driver.initialise()
                outcome = ActionOutcome(
                    action.id,
                    finding.id,
                    "done",
                    T("the terminal fetched its configuration from its host", "终端已从主机下载配置"),
                )
            elif action.operation == "register":
                self.driver.register()
                outcome = ActionOutcome(
                    action.id, finding.id, "done", T("registered with the terminal", "已在终端登记")
                )
            elif action.operation == "settle":
                outcome = self._settle(action, finding)
                outcome.settlement_result = self.settlement  # its 0500/0510 on the wire (techapp.evidence)
            else:
                raise ValueError(f"unknown operation {action.operation!r}")
            wants_sign_on = action.operation == "sign-on" or (action.then_sign_on and prove)
            if outcome.result == "done" and wants_sign_on:
                self._sign_on_into(outcome)
            elif outcome.result == "done" and action.id in self._withheld:
                outcome.message = outcome.message + T(
                    "; not proven by a sign-on (--no-sign-on)", "；未签到验证（--no-sign-on）"
                )
            return outcome
        except (TerminalError, BackupError, ValueError) as err:
            # English: the error as the driver or backup said it; Chinese: the same error explained
            failed = ActionOutcome(action.id, finding.id, "failed", T(str(err), explain(err).zh))
            failed.backup_path = self._last_backup
            if failed.backup_path:
                failed.message = failed.message + T(
                    f"; the parameters before it are in {failed.backup_path} (techapp restore)",
                    f"；修改前的参数保存在 {failed.backup_path}（可用 techapp restore 恢复）",
                )
            return failed

    def _sign_on_into(self, outcome: ActionOutcome) -> None:
        try:
            s = self.driver.sign_on()
        except TerminalError as err:  # the write stands; only its proof is missing
            outcome.message = outcome.message + T(
                f"; the sign-on afterwards could not run ({err})", f"；之后签到未能进行（{explain(err).zh}）"
            )
            return
        outcome.sign_on_result = s
        outcome.sign_on = {
            "outcome": s.outcome,
            "response_code": s.response_code,
            "host": f"{hostport(s.host_address, s.host_port)}",
            "stan": s.stan,
            "sent_at": s.sent_at,
        }
        if s.outcome != "ok":
            code = s.response_code or s.outcome
            outcome.message = outcome.message + T(
                f"; the sign-on afterwards still fails ({code})", f"；之后签到仍失败（{code}）"
            )

    def _reprove_earlier(self, ran: list[tuple[ActionOutcome, Action, Finding]], sign_on: Any) -> Any:
        """Re-prove earlier repairs whose sign-on failed only because of what this repair restored.

        The window applies one fix at a time: a TID written first has its proof
        fail on TLS; once the clock is set (it restores ``host-link``) the TID is
        proven again. The earlier outcome (the same object the window shows)
        gets the new sign-on and says so. Returns the sign-on that proved them.
        """
        failed = [(o, a, f) for o, a, f in ran if o.sign_on_result is not None and o.sign_on_result.outcome != "ok"]
        restored = {c for o, a, f in ran for c in restores_of(a, f)}
        waiting = [(o, a, f) for o, a, f in self._failed_proofs if set(needs_of(a, f)) & restored]
        self._failed_proofs = [x for x in self._failed_proofs if x not in waiting] + failed
        if not waiting or not self.sign_on:
            return None
        if sign_on is None:
            try:
                sign_on = self.driver.sign_on()
            except TerminalError:
                return None
        wanted = {c for _o, a, f in waiting for c in needs_of(a, f)}
        after = ", ".join(a.id for _o, a, f in ran if set(restores_of(a, f)) & wanted)
        code = sign_on.response_code or sign_on.outcome
        for o, _a, _f in waiting:
            o.sign_on_result = sign_on
            o.sign_on = {
                "outcome": sign_on.outcome,
                "response_code": sign_on.response_code,
                "host": hostport(sign_on.host_address, sign_on.host_port),
                "stan": sign_on.stan,
                "sent_at": sign_on.sent_at,
            }
            o.message = o.message + T(
                f"; re-proven after {after}: the sign-on is answered {code}",
                f"；在 {after} 之后重新验证：签到返回 {code}",
            )
        return sign_on

    def _prove_together(self, unproven: list[ActionOutcome]) -> Any:
        """One sign-on after the last repair proves every write that waits for one (issue 17).

        The writes ran in dependency order, so the sign-on meets the terminal
        with all of them done: a TID written while the clock still broke TLS is
        proven here, after the clock was set. Returns the sign-on's result (None
        when it could not run).
        """
        first = unproven[0]
        before = first.message
        self._sign_on_into(first)
        said = T(first.message.en[len(before.en) :], first.message.zh[len(before.zh) :])
        if len(unproven) > 1:
            ids = ", ".join(o.action for o in unproven)
            said = said + T(
                f"; one sign-on after the last repair proves {ids}", f"；最后一次修复后的签到一并验证 {ids}"
            )
            first.message = before + said
        for o in unproven[1:]:
            o.sign_on_result = first.sign_on_result
            o.sign_on = dict(first.sign_on) if first.sign_on else o.sign_on
            o.message = o.message + said
        return first.sign_on_result

    def _settle(self, action: Action, finding: Finding) -> ActionOutcome:
        """SETTLE, then read the batch counter back: the settlement counts only when it reads 0."""
        s = self.settlement = self.driver.settle()
        if not (self.driver.can("counters") and self.driver.can("parameters")):
            # nothing to read back: the terminal's own answer is the result; the re-run reads its status again
            if s.outcome == "ok":
                return ActionOutcome(action.id, finding.id, "done", T("the terminal closed the day", "终端已完成日结"))
            return ActionOutcome(
                action.id,
                finding.id,
                "failed",
                T(f"the terminal could not close the day: {s.detail}", f"终端未能完成日结：{s.detail}"),
            )
        unsettled = self.driver.counters().unsettled_transactions
        batch = self.driver.parameters().batch
        # what the terminal says the settlement left, and the same read back on their own
        written = {"unsettled_transactions": s.unsettled_after, "batch": s.batch_after}
        read_back = {"unsettled_transactions": unsettled, "batch": batch}
        yuan = f"{s.amount / 100:.2f}"
        if s.outcome == "ok" and unsettled == 0:
            if s.count == 0:
                message = T("the batch was already empty: nothing to settle", "批次已为空，无需结算")
            else:
                message = T(
                    f"batch {s.batch:06d} settled and balanced: {s.count} transactions, {yuan} yuan; "
                    f"now batch {batch:06d} with 0 unsettled",
                    f"批次 {s.batch:06d} 结算成功，对账平：{s.count} 笔，{yuan} 元；当前批次 {batch:06d}，未结算 0 笔",
                )
            return ActionOutcome(action.id, finding.id, "done", message, written=written, read_back=read_back)
        code = s.response_code or s.outcome
        if s.outcome == "unbalanced":
            why = T(
                f"the host's totals differ from the terminal's ({s.count} transactions, {yuan} yuan): the batch "
                f"stays open; do not clear it, call the acquirer with RRN {s.rrn}",
                f"主机总额与终端（{s.count} 笔，{yuan} 元）不一致，对账不平：批次仍未结算；不要清除流水，"
                f"带参考号 {s.rrn} 联系收单行",
            )
        elif s.response_code in ("A0", "99"):
            why = T(
                f"the host refused the settlement with {code}: the terminal's working keys are older than the "
                "host's; sign on, then settle again",
                f"主机以 {code} 拒绝结算：终端工作密钥与主机不同步；请先签到，再结算",
            )
        else:
            detail = f" ({s.detail})" if s.detail else ""
            why = T(
                f"the settlement did not go through: {code}{detail}; the batch stays open",
                f"结算未成功：{code}；批次仍未结算",
            )
        return ActionOutcome(action.id, finding.id, "failed", why, written=written, read_back=read_back)

    def _write(self, action: Action, finding: Finding) -> ActionOutcome:
        """Backup, write all-or-nothing, read back; restore the backup when the read-back disagrees."""
        current = self.driver.parameters()
        identity = self.readings.identity if self.readings else None
        path = save_backup(current, identity, reason=f"before {action.id} ({finding.id})", directory=self.backup_dir)
        self._last_backup = str(path)
        wanted = {k: after for k, (_, after) in action.changes.items()}
        stale = {k for k, (before, _) in action.changes.items() if getattr(current, k) != before}
        if stale:
            return ActionOutcome(
                action.id,
                finding.id,
                "failed",
                T(
                    f"not written: {', '.join(sorted(stale))} changed "
                    "on the terminal since the diagnosis; run it again",
                    f"未写入：诊断后终端上的 {', '.join(sorted(stale))} 已变化，请重新诊断",
                ),
                backup_path=str(path),
            )
        try:
            read = self.driver.set_parameters(wanted)
        except TerminalError as err:
            if not (err.params.get("commit_confirmed") or err.params.get("commit_unconfirmed")):
                raise  # failed before the commit: nothing was written (the caller says so, with the backup)
            return self._after_lost_read_back(action, finding, wanted, current, str(path), err)
        read_back = {k: getattr(read, k) for k in wanted}
        wrong = {k: v for k, v in read_back.items() if v != wanted[k]}
        if wrong:
            undo = {f.name: getattr(current, f.name) for f in fields(Parameters) if f.name in wanted}
            undone = self.driver.set_parameters(undo)
            still = sorted(k for k, v in undo.items() if getattr(undone, k) != v)
            if still:
                raise BackupError(
                    f"read-back differs ({', '.join(sorted(wrong))}) and writing the old values back did not "
                    f"hold either ({', '.join(still)})"
                )
            return ActionOutcome(
                action.id,
                finding.id,
                "restored",
                T(
                    f"read-back differs ({', '.join(sorted(wrong))}); the old values were written back and read back",
                    f"回读不一致（{', '.join(sorted(wrong))}）；已写回原值并回读确认",
                ),
                backup_path=str(path),
                written=wanted,
                read_back=read_back,
            )
        return ActionOutcome(
            action.id,
            finding.id,
            "done",
            T("written and read back", "已写入并回读一致"),
            backup_path=str(path),
            written=wanted,
            read_back=read_back,
        )

    def _open_again(self) -> TerminalDriver:
        if self.reopen is not None:
            return self.reopen()
        from drivers.registry import DEFAULT_DRIVER, open_terminal

        old = self.driver
        baud = self.baud_mismatch[1] if self.baud_mismatch else getattr(old, "baudrate", None)
        options = {"baudrate": baud} if baud else {}
        name = getattr(old, "name", "") or DEFAULT_DRIVER
        return open_terminal(getattr(old, "port_name", self.port), name, **options)

    def _reopen(self) -> TerminalDriver:
        """A new link to the same terminal, logged in (after the old one was lost).

        A USB adapter whose cable was pulled comes back under its name within seconds: the port is
        tried again for up to REOPEN_WAIT_S before giving up.
        """
        old = self.driver
        old.close()
        deadline = time.monotonic() + REOPEN_WAIT_S
        while True:
            driver = None
            try:
                driver = self._open_again()
                driver.login(self.password or "")
                break
            except TerminalError:
                if driver is not None:
                    driver.close()
                if time.monotonic() >= deadline or self.cancel.is_set():
                    raise
                time.sleep(0.5)
            except BaseException:
                if driver is not None:
                    driver.close()
                raise
        self.driver = driver
        return driver

    def _after_lost_read_back(
        self, action: Action, finding: Finding, wanted: dict[str, Any], current: Parameters, backup: str, err
    ) -> ActionOutcome:
        """The commit was sent (and maybe confirmed) but its read-back was lost: read back on a new link.

        Three honest answers: the new values are there ("done", read back after reconnecting); the old
        values are there (the commit did not happen: "failed", nothing written); or nothing could be read
        ("unverified": the commit was confirmed or may have happened, the values are not known, restore
        from the backup if in doubt). Never "failed, nothing written" for a confirmed commit.
        """
        confirmed = bool(err.params.get("commit_confirmed"))
        try:
            driver = self.driver if self.driver.is_open else self._reopen()
            try:
                read = driver.parameters()
            except TerminalError:
                read = self._reopen().parameters()
        except TerminalError as again:
            said = "the commit was confirmed" if confirmed else "the commit was sent but its answer was lost"
            said_zh = "终端已确认提交" if confirmed else "提交已发出但未收到确认"
            return ActionOutcome(
                action.id,
                finding.id,
                "unverified",
                T(
                    f"written, not verified: {said}, then the link failed and reading the values back failed "
                    f"after reconnecting too ({again.message}); the terminal probably holds the new values; "
                    f"check them, or restore the ones before it from {backup} (techapp restore)",
                    f"已写入，未验证：{said_zh}，随后连接中断，重新连接后回读也失败（{again.message}）；"
                    f"终端很可能已是新值；请核对，或从 {backup} 恢复原值（techapp restore）",
                ),
                backup_path=backup,
                written=wanted,
            )
        read_back = {k: getattr(read, k) for k in wanted}
        if read_back == wanted:
            return ActionOutcome(
                action.id,
                finding.id,
                "done",
                T(
                    "written and read back (the link failed after the commit; read back after reconnecting)",
                    "已写入并回读一致（提交后连接中断，重新连接后回读）",
                ),
                backup_path=backup,
                written=wanted,
                read_back=read_back,
            )
        old = {k: getattr(current, k) for k in wanted}
        if read_back == old and not confirmed:
            return ActionOutcome(
                action.id,
                finding.id,
                "failed",
                T(
                    "not written: the commit's answer was lost and the terminal still holds the old values "
                    "(read back after reconnecting)",
                    "未写入：提交的应答丢失，重新连接后回读，终端仍是原值",
                ),
                backup_path=backup,
                written=wanted,
                read_back=read_back,
            )
        return ActionOutcome(
            action.id,
            finding.id,
            "unverified",
            T(
                f"written, not verified: after the lost read-back the terminal reads {read_back}, neither the new "
                f"values nor all the old ones; restore the ones before it from {backup} (techapp restore)",
                f"已写入，未验证：回读丢失后重新读取为 {read_back}，既非新值也非原值；"
                f"请从 {backup} 恢复（techapp restore）",
            ),
            backup_path=backup,
            written=wanted,
            read_back=read_back,
        )


#: Seconds a lost link is tried again (a USB adapter re-enumerates) to read back a write whose read-back was lost.
REOPEN_WAIT_S = 5.0


#: The driver capability (drivers.base.CAPABILITIES) each automatic operation needs.
OPERATION_NEEDS = {
    "write-parameters": "set-parameters",
    "sync-clock": "set-clock",
    "print-test-page": "print",
    "sign-on": "sign-on",
    "settle": "settle",
    "initialise": "initialise",
    "register": "register",
}


def offer_only_what_the_driver_can(findings: list, driver: TerminalDriver) -> None:
    """Drop the automatic actions ``driver`` cannot carry out; a write it cannot prove by a sign-on is not
    promised one. Manual steps and escalations stay (a person does them)."""
    for f in findings:
        kept = []
        for a in f.actions:
            need = OPERATION_NEEDS.get(a.operation) if a.kind == "automatic" else None
            if need is not None and not driver.can(need):
                continue
            if a.then_sign_on and not driver.can("sign-on"):
                a.then_sign_on = False
            kept.append(a)
        f.actions = kept


def _terminal_summary(r: Readings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r.identity is not None:
        i = r.identity
        out.update(
            vendor=i.vendor,
            model=i.model,
            serial_number=i.serial_number,
            firmware_version=i.firmware_version,
            app=f"{i.app_name} {i.app_version}",
        )
    if r.parameters is not None:
        out.update(tid=r.parameters.tid, mid=r.parameters.mid, merchant_name=r.parameters.merchant_name)
    return out


#: Line speeds tried, in order, when a terminal does not answer at the one given.
COMMON_BAUDS = (115200, 9600, 57600, 38400, 19200)


def probe_baud(open_driver: Callable[[int], TerminalDriver], skip: int) -> int | None:
    """The first common baud rate (other than ``skip``) at which the terminal answers HELLO, or None."""
    for baud in COMMON_BAUDS:
        if baud == skip:
            continue
        try:
            with open_driver(baud) as driver:
                driver.hello()
                return baud
        except TerminalError:
            continue
    return None


def run_with_baud_probe(
    open_driver: Callable[[int], TerminalDriver],
    baud: int,
    make: Callable[[TerminalDriver], Diagnoser],
    *,
    probe: bool = True,
) -> tuple[Diagnoser, Diagnosis]:
    """Diagnose at ``baud``; when nothing answers there, find the terminal's rate and diagnose at that.

    The returned diagnoser's driver is open (for repairs); the caller closes it.
    A rate found this way is recorded as evidence (finding ``baud-mismatch``).
    """
    diagnoser = make(open_driver(baud))
    result = diagnoser.run()
    r = diagnoser.readings
    silent = r is not None and r.hello is None and getattr(r.errors.get("connect"), "error_type", "") == "LinkTimeout"
    if not (probe and silent):
        return diagnoser, result
    diagnoser.driver.close()
    found = probe_baud(open_driver, baud)
    if found is None:
        diagnoser.driver = open_driver(baud)  # closed again by the caller; the result stays the first one
        return diagnoser, result
    diagnoser = make(open_driver(found))
    diagnoser.baud_mismatch = (baud, found)
    return diagnoser, diagnoser.run()


def _name_outcomes(outcomes: list[ActionOutcome], findings: list) -> None:
    """Give each outcome the titles of its action and finding, so a report never shows their ids."""
    for o in outcomes:
        for f in findings:
            if f.id != o.finding:
                continue
            o.finding_title = o.finding_title or f.title
            action = next((a for a in f.actions if a.id == o.action), None)
            if action is not None:
                o.title = o.title or action.title
