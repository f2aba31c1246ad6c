"""From evidence to findings: the root causes, ranked, each with its evidence and repair actions.

The rules read only the readings (what the terminal and the laptop showed)
and the check results judged from them, plus the work order and the acquirer
profile. They never see a scenario or the simulator. ``docs/diagnosis.md``
documents every rule; the 97 decision procedure is :func:`procedure_97`.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers.addr import hostport

from ..hostcheck import dead_hosts
from . import actions as act
from .checks import CLOCK_WARN_S, Context, current_log, drift_text, expected_apn, recent_codes
from .model import Action, CheckResult, Finding, Severity, T, Text
from .runner import Readings, is_link_failure, is_login_failure

#: Ranking within a severity: lower first. The order of the families in docs/diagnosis.md.
PRIORITY = {
    "tamper": 0,
    "link-garbled": 1,
    "terminal-hung": 2,
    "link-noisy": 2,
    "link-lost": 3,
    "link-silent": 4,
    "login-failed": 5,
    "params-lost": 6,
    "test-host": 7,
    "foreign-host": 8,
    "host-missing": 9,
    "test-header": 10,
    "tpdu-differs": 11,
    "wrong-tpdu": 12,
    "tid-mismatch": 13,
    "mid-mismatch": 14,
    "serial-not-bound": 15,
    "not-registered": 16,
    "merchant-closed": 17,
    "host-refusal": 18,
    "no-tmk": 19,
    "tmk-mismatch": 20,
    "dukpt-key-set": 20,  # issue 17: a DUKPT terminal injected from another acquirer's base key
    "keys-out-of-sync": 21,
    "not-signed-on": 22,
    "host-key-mismatch": 23,
    "no-apn": 24,
    "wrong-apn": 24,
    "wifi-auth": 25,
    "no-wifi": 25,
    "no-link": 26,
    "weak-signal": 26,  # issue 17: before the host families it would otherwise be mistaken for
    "dns": 27,
    "clock-drift": 28,
    "tls": 29,
    "terminal-comms": 30,
    "host-unreachable": 31,
    "host-misbehaves": 32,
    "wrong-host-answer": 33,
    "primary-host-down": 34,
    "backup-host-down": 35,
    "dukpt-exhausted": 36,
    "printer-fault": 37,
    "printer-paper": 38,
    "printer-cover": 39,
    "printer-overheat": 40,
    "printer-paper-low": 41,
    "magstripe-fault": 42,
    "track2-unreadable": 43,
    "ic-fault": 44,
    "contactless-fault": 45,
    "keypad-fault": 46,
    "display-fault": 47,
    "log-full": 48,
    "storage-full": 49,
    "pending-reversal": 50,
    "battery-worn": 51,
    "battery-low": 52,
    "key-scheme": 53,
    "firmware-not-approved": 54,
    "open-batch": 55,
    "cable": 56,
    "baud-mismatch": 57,
    # the terminal's own status (DeviceStatus, e.g. over ZVT): docs/diagnosis.md "The terminal's own status"
    "register-with-terminal": 5,
    "initialisation-required": 16,
    "terminal-out-of-order": 36,
    "journal-full": 48,
}


def _said(err) -> Text:
    """A step's error as evidence: the terminal's (driver's) words in English, explained in Chinese."""
    text = getattr(err, "text", None)
    return T(err.message, text.zh if text is not None else err.message)


def _unique(evidence: list[Text], extra: list[Text]) -> list[Text]:
    """The checks' evidence, then the extra lines that do not repeat one already there."""
    out = list(evidence)
    for line in extra:
        if not any(line.en == e.en or e.en.endswith(line.en) for e in out):
            out.append(line)
    return out


def _in_order(actions: list[Action]) -> list[Action]:
    """Actions in the order they must be done: a write blocked by the open batch after the settlement it waits for."""
    blocked = [a for a in actions if a.blocked is not None and a.operation == "write-parameters"]
    if not blocked:
        return actions
    settles = [a for a in actions if a.id.startswith("settle")] or [_m_settle()]
    return settles + [a for a in actions if a not in settles]


class _Builder:
    """Collects findings; one per id, the first added wins."""

    def __init__(self, r: Readings, checks: list[CheckResult], ctx: Context) -> None:
        self.r, self.ctx = r, ctx
        self.by_id = {c.id: c for c in checks}
        self.findings: dict[str, Finding] = {}

    def status(self, check_id: str) -> str:
        c = self.by_id.get(check_id)
        return c.status if c else "skipped"

    def failed(self, *check_ids: str) -> bool:
        return any(self.status(c) == "fail" for c in check_ids)

    def evidence(self, *check_ids: str, passing: bool = False) -> list[Text]:
        """The checks' observations; passing checks only when they are evidence too (``passing``)."""
        wanted = ("fail", "warn", "error", "pass") if passing else ("fail", "warn", "error")
        out = []
        for cid in check_ids:
            c = self.by_id.get(cid)
            if c is not None and c.status in wanted:
                out.append(c.title + T(": ", "：") + c.summary)
        return out

    def add(
        self,
        finding_id: str,
        severity: Severity,
        confidence: str,
        title: Text,
        cause: Text,
        checks: list[str],
        actions: list[Action | None],
        *,
        extra_evidence: list[Text] | None = None,
        procedure: list[Text] | None = None,
        passing_evidence: bool = False,
        state: str = "open",
    ) -> None:
        if finding_id in self.findings:
            return
        self.findings[finding_id] = Finding(
            id=finding_id,
            severity=severity,
            confidence=confidence,  # type: ignore[arg-type]
            title=title,
            cause=cause,
            evidence=_unique(self.evidence(*checks, passing=passing_evidence), extra_evidence or []),
            checks=[c for c in checks if c in self.by_id],
            actions=_in_order([a for a in actions if a is not None]),
            procedure=procedure or [],
            priority=PRIORITY[finding_id],
            state=state,  # type: ignore[arg-type]
        )


# -- manual steps used by several rules ------------------------------------------------------
def _m_settle() -> Action:
    return act.manual(
        "settle-batch",
        T("Settle the batch", "结算"),
        [
            T(
                "On the terminal choose 结算 (settlement) and let it reach the host.",
                "在终端上选择“结算”，等待上送主机完成。",
            ),
            T(
                "If settlement fails, fix the host link first (see the network findings).",
                "若结算失败，先处理网络问题。",
            ),
        ],
        T("The unsettled count reads 0.", "未结算笔数为 0。"),
    )


def _m_inject_tmk(wo_kcv: str) -> Action:
    sheet = f" (key sheet check value {wo_kcv})" if wo_kcv else ""
    sheet_zh = f"（密钥单校验值 {wo_kcv}）" if wo_kcv else ""
    return act.manual(
        "inject-tmk",
        T("Re-inject the master key (TMK) from the key sheet", "按密钥单重新灌装主密钥"),
        [
            T(
                "Load the TMK with the acquirer's key loader or mother "
                "POS (母POS) under the index the work order names.",
                "用收单行的密钥灌装设备或母POS，在工单指定的索引下灌装主密钥。",
            ),
            T(f"Compare the TMK check value with the key sheet{sheet}.", f"核对主密钥校验值与密钥单{sheet_zh}。"),
            T("Then sign on (签到) to load the working keys.", "然后签到下载工作密钥。"),
        ],
        T(
            "The TMK check value matches the key sheet and the sign-on is answered 00.",
            "主密钥校验值与密钥单一致，签到返回 00。",
        ),
    )


# -- the families -------------------------------------------------------------------------------
def _link(b: _Builder) -> bool:
    """Link and login failures. Returns True when the terminal could not be read at all."""
    r = b.r
    connect = r.errors.get("connect")
    first_link_error = next((e for e in r.errors.values() if is_link_failure(e)), None)
    stats = r.link_stats or {}
    # the greeting failed, but what came back was damaged (frames the laptop had to reject, bytes that make no
    # frame, the terminal refusing the laptop's frames): something answered, over a line that garbles
    refused = connect is not None and connect.error_type == "ProtocolError" and "NAK" in connect.message
    damaged = bool(stats.get("naks_sent") or stats.get("garbage_bytes") or refused)
    if connect is not None and (connect.noise or damaged):
        b.add(
            "link-garbled",
            "critical",
            "high",
            T("Garbled link: wrong baud rate or a damaged cable", "连接乱码：波特率错误或线缆损坏"),
            T(
                "Bytes arrive but never make a valid frame. The terminal's maintenance port runs at another line "
                "speed than the laptop, or the cable is damaged.",
                "收到数据但无法组成有效帧：终端维护口与笔记本波特率不同，或线缆损坏。",
            ),
            ["link.connect"],
            [
                act.manual(
                    "reconnect-baud",
                    T("Reconnect at the terminal's baud rate", "按终端的波特率重新连接"),
                    [
                        T("Try 9600 baud (--baud 9600), then 115200.", "先试 9600（--baud 9600），再试 115200。"),
                        T("If neither works, swap the cable.", "都不行则更换线缆。"),
                    ],
                    T("The terminal answers the greeting.", "终端应答连接请求。"),
                )
            ],
            extra_evidence=[_said(connect)],
        )
        return True
    if first_link_error is not None and first_link_error.error_type == "Disconnected":
        b.add(
            "link-lost",
            "critical",
            "high",
            T("The link dropped while reading", "读取过程中连接中断"),
            T(
                "The connection ended in the middle of the session: the plug, the USB adapter or its power.",
                "会话中途连接断开：插头、USB 转接器或其供电问题。",
            ),
            ["link.connect"],
            [
                act.manual(
                    "secure-cable",
                    T("Secure the cable and read again", "固定线缆后重新读取"),
                    [
                        T("Reseat both ends of the cable; avoid hubs.", "重新插好线缆两端，不要使用集线器。"),
                        T("Run the diagnosis again.", "重新运行诊断。"),
                    ],
                    T("The diagnosis completes without a disconnect.", "诊断完成且未断开。"),
                )
            ],
            extra_evidence=[_said(first_link_error)],
        )
        return True
    if _link_noisy(b):  # before "stopped answering": a noisy cable is not a hung terminal
        return True
    if first_link_error is not None:
        worked = first_link_error.after_frames > 0
        fid = "terminal-hung" if worked else "link-silent"
        b.add(
            fid,
            "critical",
            "high" if worked else "medium",
            T("The terminal stopped answering", "终端停止应答")
            if worked
            else T("The terminal does not answer", "终端无应答"),
            T(
                f"It answered {first_link_error.after_frames} requests, then fell silent: the terminal's maintenance "
                "task hangs (a cable fault would garble, not mute).",
                f"终端应答了 {first_link_error.after_frames} "
                "个请求后无响应：终端维护程序挂起（线缆故障会乱码，而非静默）。",
            )
            if worked
            else T(
                "Nothing answered: the terminal is not in maintenance/ECR mode, the cable is not connected, or the "
                "port is wrong.",
                "没有任何应答：终端未进入维护/ECR 模式、线缆未连接或端口错误。",
            ),
            ["link.connect", "link.login"],
            [
                act.manual(
                    "power-cycle",
                    T("Restart the terminal", "重启终端"),
                    [
                        T("Power the terminal off and on.", "关闭终端电源后重新开机。"),
                        T("Open its maintenance mode again and rerun the diagnosis.", "重新进入维护模式并再次诊断。"),
                        T(
                            "If it happens again, note the firmware version for the vendor.",
                            "若再次发生，记录固件版本报给厂商。",
                        ),
                    ],
                    T("The diagnosis completes.", "诊断顺利完成。"),
                )
                if worked
                else act.manual(
                    "check-connection",
                    T("Check the connection", "检查连接"),
                    [
                        T("Check the cable and the port (techapp ports).", "检查线缆和端口（techapp ports）。"),
                        T("Put the terminal in its maintenance/ECR mode.", "让终端进入维护/ECR 模式。"),
                        T("Try 9600 baud.", "尝试 9600 波特率。"),
                    ],
                    T("The terminal answers the greeting.", "终端应答连接请求。"),
                )
            ],
            extra_evidence=[_said(first_link_error)],
        )
        return True
    login = r.errors.get("login")
    if is_login_failure(login):
        _login_failed(b, login)
        return True
    return connect is not None


def _login_failed(b: _Builder, login) -> None:
    """The login refused, worded from what the terminal said: tries left, or the lockout and its time."""
    params = login.params or {}
    ask = T(
        "Ask the acquirer or the vendor for this terminal's maintenance password.",
        "向收单行或厂商索取此终端的维护密码。",
    )
    if login.error_type == "LockedOut":
        secs = params.get("seconds_left")
        wait_en = f"wait {secs} s" if secs else "wait until the lockout ends"
        wait_zh = f"等待 {secs} 秒" if secs else "等待锁定解除"
        title = T("Maintenance mode locked after wrong passwords", "密码错误次数过多，维护模式已锁定")
        cause = T(
            f"The terminal says its maintenance mode is locked: {wait_en}, then log in again. During the lockout "
            "it refuses every password, the right one too, so this says nothing about the password tried.",
            f"终端报告维护模式已锁定：{wait_zh}后再登录。锁定期间终端拒绝任何密码（包括正确的密码），"
            "因此本次无法判断所输密码是否正确。",
        )
        action = act.manual(
            "wait-lockout",
            T("Wait for the lockout to end, then log in again", "等待锁定解除后重新登录"),
            [
                T(f"Leave the terminal alone and {wait_en}.", f"不要操作终端，{wait_zh}。"),
                T(
                    "Then log in with the right password once; if you are not sure of it, ask the acquirer or the "
                    "vendor first: more wrong tries lock it again.",
                    "然后用正确的密码登录一次；若不确定密码，先向收单行或厂商确认：再输错会再次锁定。",
                ),
            ],
            T("The login succeeds.", "登录成功。"),
        )
    elif "no maintenance password" in login.message:
        title = T("No maintenance password given", "未提供维护密码")
        cause = T(
            "The diagnosis had no maintenance password to log in with; only the identity could be read.",
            "诊断没有可用的维护密码，无法登录；只能读取终端信息。",
        )
        action = act.manual(
            "password",
            T("Give the maintenance password", "提供维护密码"),
            [
                ask,
                T(
                    "Run again with it: typed at the prompt, in --password-file or in TECHAPP_PASSWORD.",
                    "重新运行并提供密码：在提示时输入，或用 --password-file 或 TECHAPP_PASSWORD。",
                ),
            ],
            T("The login succeeds.", "登录成功。"),
        )
    else:
        left = params.get("attempts_left")
        if left is not None:
            tries_en = "1 try" if left == 1 else f"{left} tries"
            said_en = f"it reports {tries_en} left before it locks maintenance"
            said_zh = f"终端报告还剩 {left} 次机会，之后将锁定维护模式"
        else:
            said_en, said_zh = "it did not say how many tries are left", "终端未报告剩余次数"
        title = T("Maintenance login refused: wrong password", "维护登录被拒绝：密码错误")
        cause = T(
            f"The terminal refused the maintenance password; {said_en}. Only the identity could be read.",
            f"终端拒绝了维护密码；{said_zh}。只能读取终端信息。",
        )
        action = act.manual(
            "password",
            T("Get the right maintenance password", "获取正确的维护密码"),
            [
                ask,
                T(
                    f"Do not guess: {tries_en if left is not None else 'a few tries'} left, then the terminal locks "
                    "maintenance.",
                    f"不要猜测：还剩 {left} 次，之后终端锁定维护模式。"
                    if left is not None
                    else "不要猜测：再错几次终端就会锁定维护模式。",
                ),
            ],
            T("The login succeeds.", "登录成功。"),
        )
    b.add("login-failed", "critical", "high", title, cause, ["link.login"], [action])


def _tamper(b: _Builder) -> bool:
    if not b.failed("hardware.tamper"):
        return False
    b.add(
        "tamper",
        "critical",
        "high",
        T("Tamper lock: keys erased, device locked", "防拆锁定：密钥已清除，设备锁定"),
        T(
            "The tamper switch fired (a fall or an opened case). The terminal erased its keys and refuses tests and "
            "writes. It cannot be repaired on site.",
            "防拆开关被触发（跌落或被拆开），终端已清除密钥并拒绝测试和修改，无法现场修复。",
        ),
        ["hardware.tamper"],
        [
            act.escalation(
                "escalate-tamper",
                T("Terminal tamper-locked", "终端触发防拆锁定"),
                T(
                    "This terminal reports a tamper event and has erased its keys. Please note it for the "
                    "security record; the device goes to the vendor for repair (RMA).",
                    "此终端报告防拆事件并已清除密钥，请登记安全记录；设备将送厂商维修。",
                ),
                b.r,
                b.ctx.work_order,
                b.ctx.profile,
                verify=T(
                    "The acquirer confirms the security record; then send the device to the vendor (next step).",
                    "收单行确认已登记安全记录；然后将设备送厂商维修（下一步）。",
                ),
            ),
            act.manual(
                "rma",
                T("Send the terminal to the vendor for repair (RMA)", "送厂商维修（返修）"),
                [
                    T("Do not open the terminal or try to re-inject keys on site.", "不要拆机，不要现场灌装密钥。"),
                    T("Give the merchant a replacement terminal if one is available.", "如有备机，给商户更换备机。"),
                    T("Send the device to the vendor's repair centre (RMA).", "将设备送厂商维修中心。"),
                ],
                T(
                    "The vendor's repair centre confirms it received the device (its RMA number).",
                    "厂商维修中心确认收到设备（返修单号）。",
                ),
            ),
        ],
    )
    return True


#: What a terminal's reset loads instead of the contracted values: the cause names them.
FACTORY_VALUES = {"tid": "00000000", "mid": "000000000000000"}


def _held(p, name: str) -> Text:
    """A parameter's value as the cause names it: blank, or the factory default a reset loaded."""
    value = getattr(p, name)
    if not value:
        return T("(blank)", "（空）")
    if FACTORY_VALUES.get(name) == value:
        return T(f"{value} (the factory default: a reset)", f"{value}（出厂默认值：终端被复位）")
    return T(value, value)


def _held_zh(p, name: str) -> str:
    """'为空' or '为 12345687' (with the factory-default note): joined to the parameter's name without a space."""
    return "为空" if not getattr(p, name) else f"为 {_held(p, name).zh}"


def _params_lost(b: _Builder) -> bool:
    p = b.r.parameters
    if p is None:
        return False
    factory = {n: getattr(p, n) for n, v in FACTORY_VALUES.items() if getattr(p, n) == v}
    blank = [name for name in ("tid", "mid", "primary_host") if not getattr(p, name) or name in factory]
    if len(blank) < 2 and not (b.failed("params.counters") and blank):
        return False
    wo, prof = b.ctx.work_order, b.ctx.profile
    names = act.PARAMETER_NAMES
    # the decisive values: blank, or the factory default the reset loaded
    shown_en = ", ".join(
        f"{names[n][0]} {factory[n]} (the factory default)" if n in factory else f"{names[n][0]} blank" for n in blank
    )
    shown_zh = "，".join(
        f"{names[n][1]}为出厂默认值 {factory[n]}" if n in factory else f"{names[n][1]}为空" for n in blank
    )
    b.add(
        "params-lost",
        "critical",
        "high",
        T("Parameters lost (blank TID, MID or hosts)", "参数丢失（终端号、商户号或主机为空）")
        if not factory
        else T("Parameters reset to factory values", "参数被恢复为出厂值"),
        T(
            f"The terminal holds factory values: {shown_en}"
            + (", STAN and batch back at 1" if b.failed("params.counters") else "")
            + ". An update or reset wiped its parameter file.",
            f"终端为出厂参数：{shown_zh}"
            + ("，流水号和批次号归 1" if b.failed("params.counters") else "")
            + "。升级或复位清除了参数文件。",
        ),
        ["params.tid", "params.mid", "params.hosts", "params.counters", "keys.tmk", "identity.firmware"],
        [
            act.restore_parameters(b.r, wo, prof),
            act.manual(
                "tms-download",
                T("Run a TMS parameter download", "做 TMS 参数下载"),
                [
                    T(
                        "Run 参数下载 (TMS parameter download) so STAN, batch and the rest come back.",
                        "执行“参数下载”，恢复流水号、批次号等参数。",
                    ),
                    T(
                        "Re-inject the TMK if the key store was wiped too, then sign on.",
                        "若密钥也被清除，重新灌装主密钥后签到。",
                    ),
                ],
                T(
                    "TID, MID and hosts read as the work order says; the sign-on is answered 00.",
                    "终端号、商户号、主机与工单一致，签到返回 00。",
                ),
            ),
        ],
    )
    return True


def _sign_on_code(b: _Builder) -> tuple[str | None, str]:
    """The host's answer to the terminal's sign-on now, else the newest recent code in the terminal's log."""
    s = b.r.sign_on
    if s is not None and s.response_code:
        return s.response_code, "sign-on"
    if s is not None:
        return None, ""  # a sign-on ran now and no host answered it: today's log is history, the network speaks
    ct = b.r.comm_test
    if ct is not None and not any(h.outcome == "ok" for h in ct.hosts):
        return None, ""  # no host is reachable now: the network finding comes first, not an old answer
    codes = recent_codes(b.r)
    if codes and codes[-1] != "00":
        return codes[-1], "log"
    return None, ""


def procedure_97(b: _Builder, code: str, source: str) -> None:
    """The 97 (and 03) decision procedure of docs/diagnosis.md, recording each step's answer."""
    r, wo, prof = b.r, b.ctx.work_order, b.ctx.profile
    steps: list[Text] = []
    p = r.parameters
    s = r.sign_on
    where = (
        T(
            f"the terminal's sign-on now ({hostport(s.host_address, s.host_port)})",
            f"本次终端签到（{hostport(s.host_address, s.host_port)}）",
        )
        if source == "sign-on" and s is not None
        else T("the terminal's response-code log (no sign-on answered now)", "终端应答码日志（本次签到未获应答）")
    )
    steps.append(T(f"1. Did a host answer? Yes: {code} from ", f"1. 主机是否应答？是：{code}，来自") + where)
    # 2. the right host?
    wrong_host = b.failed("params.hosts", "params.header", "params.tpdu")
    answered_other = s is not None and prof is not None and s.acquirer_id and s.acquirer_id != prof.institution_id
    if prof is None:
        steps.append(T("2. Right host? Unknown: no acquirer profile.", "2. 主机是否正确？未知：无收单行配置。"))
    elif wrong_host or answered_other:
        steps.append(T("2. Right host? No.", "2. 主机是否正确？否。"))
        test = (
            b.status("params.hosts") == "fail"
            and "test" in (b.by_id["params.hosts"].observed.get("roles") or {}).values()
        )
        if test or b.failed("params.header"):
            b.add(
                "test-host",
                "critical",
                "high",
                T("Pointed at the acquirer's test system", "终端指向收单行测试环境"),
                T(
                    f"The terminal talks to {prof.name.en}'s test hosts (or says 'test' in its header). The test "
                    "system does not know this production TID, so it answers 97.",
                    f"终端连接的是{prof.name.zh}的测试主机（或报文头状态为测试），"
                    "测试系统没有此生产终端号，所以返回 97。",
                ),
                ["params.hosts", "params.header", "signon"],
                [act.point_at_production(r, prof)],
                procedure=steps,
            )
            return
        if b.failed("params.tpdu"):
            b.add(
                "wrong-tpdu",
                "critical",
                "high",
                T("Wrong TPDU: messages routed to the wrong platform", "TPDU 错误：报文路由到错误平台"),
                T(
                    "The TPDU's destination selects the platform behind the acquirer's front end; with the wrong "
                    "one, the sign-on goes where the terminal is unknown (unconfirmed for 97 in the reference).",
                    "TPDU 的目的地址决定收单行前置后面的平台；地址错误时签到被送到不认识此终端的平台。",
                ),
                ["params.tpdu", "signon"],
                [act.fix_tpdu(r, prof)],
                procedure=steps,
            )
            return
        who = _institution_words(s, prof) if answered_other and s else T("", "")
        b.add(
            "foreign-host",
            "critical",
            "high" if answered_other or b.failed("params.hosts") else "medium",
            T("Pointed at another acquirer's host", "终端指向其他收单机构的主机"),
            T(f"The terminal's host is not one of {prof.name.en}'s", f"终端的主机不是{prof.name.zh}的主机")
            + who
            + T(". That host does not know this TID.", "，该主机不认识此终端号。"),
            ["params.hosts", "signon"],
            [act.point_at_production(r, prof)],
            procedure=steps,
        )
        return
    else:
        steps.append(
            T(
                "2. Right host? Yes: the acquirer's production host, TPDU and header as the profile says.",
                "2. 主机是否正确？是：生产主机、TPDU、状态均符合收单行配置。",
            )
        )
    # 3. the right identity?
    if wo is None:
        steps.append(
            T(
                "3. Identity right? Unknown: no work order to compare TID, MID and SN.",
                "3. 终端标识是否正确？未知：没有工单可比对。",
            )
        )
    else:
        wrong = [f for f in ("tid", "mid") if b.failed(f"params.{f}")]
        if wrong:
            steps.append(
                T(
                    f"3. Identity right? No: {' and '.join(f.upper() for f in wrong)} "
                    f"{'differs' if len(wrong) == 1 else 'differ'} from the work order.",
                    f"3. 终端标识是否正确？否：{'、'.join(act.PARAMETER_NAMES[f][1] for f in wrong)}与工单不符。",
                )
            )
            main = "tid-mismatch" if "tid" in wrong else "mid-mismatch"
            names = act.PARAMETER_NAMES
            shown_en = "; ".join(f"{names[f][0]} {_held(p, f).en} instead of {getattr(wo, f)}" for f in wrong)
            shown_zh = "；".join(f"{names[f][1]}{_held_zh(p, f)}，应为 {getattr(wo, f)}" for f in wrong)
            b.add(
                main,
                "critical",
                "high",
                T(
                    f"{' and '.join(names[f][0] for f in wrong)} keyed wrong",
                    f"{'和'.join(names[f][1] for f in wrong)}输入错误",
                ),
                T(
                    f"The terminal sends {shown_en} (work order {wo.id}). The host has no record of that "
                    + ("terminal, so it answers 97." if "tid" in wrong else "merchant, so it answers 03."),
                    f"终端上送{shown_zh}（工单 {wo.id}），主机没有该"
                    + ("终端记录，所以返回 97。" if "tid" in wrong else "商户记录，所以返回 03。"),
                ),
                [f"params.{f}" for f in wrong] + ["signon", "counters.response_codes"],
                [
                    act.fix_identity(r, wo, tuple(wrong)),
                    _m_settle() if r.counters and r.counters.unsettled_transactions else None,
                ],
                procedure=steps,
            )
            return
        if b.failed("identity.serial"):
            steps.append(
                T(
                    "3. Identity right? TID and MID yes, but this device's "
                    "serial number is not the one in the work order.",
                    "3. 终端标识是否正确？终端号、商户号正确，但本机序列号与工单不符。",
                )
            )
            ident = r.identity
            b.add(
                "serial-not-bound",
                "critical",
                "high" if code == "97" else "medium",
                T("Swapped terminal: serial number not bound to this TID", "更换机具后序列号未绑定"),
                T(
                    f"This device (SN {ident.serial_number}) carries the TID of SN {wo.serial_number}. The acquirer "
                    "binds the TID to the old device's serial number and refuses this one. Only the acquirer can "
                    "rebind it.",
                    f"本机（序列号 {ident.serial_number}）使用的是序列号 "
                    f"{wo.serial_number} 的终端号，收单行将终端号绑定在旧机具上，"
                    "拒绝本机。只有收单行能重新绑定。",
                ),
                ["identity.serial", "params.tid", "signon"],
                [
                    act.escalation(
                        "escalate-rebind-serial",
                        T("Please rebind TID to the replacement device", "请将终端号重新绑定到更换后的机具"),
                        T(
                            f"The merchant's terminal was replaced. Please bind TID {p.tid} to the new device's serial "
                            f"number {ident.serial_number} (previously "
                            f"{wo.serial_number}). The sign-on is refused with {code}.",
                            f"商户终端已更换。请将终端号 {p.tid} 绑定到新机具序列号 {ident.serial_number}（原为 "
                            f"{wo.serial_number}）。签到返回 {code}。",
                        ),
                        r,
                        wo,
                        prof,
                        extra=[("Previous serial number", "原序列号", wo.serial_number)],
                    )
                ],
                procedure=steps,
                passing_evidence=True,
            )
            return
        steps.append(
            T(
                "3. Identity right? Yes: TID, MID and serial number match the work order.",
                "3. 终端标识是否正确？是：终端号、商户号、序列号与工单一致。",
            )
        )
    # 4. stale parameters: handled by params-lost before we get here
    steps.append(T("4. Parameters stale? No blank or factory values.", "4. 参数是否过期？没有空值或出厂值。"))
    # 5. the network from the same site
    if r.verdict is not None:
        steps.append(
            T(
                f"5. Network healthy from this site? {r.verdict.summary_en}",
                f"5. 现场网络是否正常？{r.verdict.summary_zh}",
            )
        )
    # 6. keys
    if b.failed("keys.tmk_kcv"):
        steps.append(
            T(
                "6. Keys consistent? No: the TMK differs from the key sheet (a separate finding).",
                "6. 密钥是否一致？否：主密钥与密钥单不符（另见其他发现）。",
            )
        )
    else:
        steps.append(T("6. Keys consistent? Nothing against it.", "6. 密钥是否一致？未发现问题。"))
    confident = "high" if wo is not None and prof is not None else "medium"
    from_log = source != "sign-on"
    if from_log:
        confident = "low"  # an earlier answer: a sign-on now would show whether it still holds
    if code == "03":
        steps.append(
            T(
                "7. Otherwise: the merchant is closed or not set up at the acquirer.",
                "7. 否则：商户在收单行已关闭或未开通。",
            )
        )
        b.add(
            "merchant-closed",
            "critical",
            confident,
            T("Merchant unknown or closed at the acquirer (03)", "商户在收单行未开通或已关闭（03）"),
            T(
                "The MID is the contracted one and the host is right, yet the host refuses the merchant: the "
                "merchant record is closed or missing at the acquirer. Not fixable on site.",
                "商户号与合同一致、主机正确，但主机拒绝该商户：收单行的商户记录已关闭或不存在，无法现场修复。",
            ),
            ["params.mid", "params.hosts", "signon"],
            ([act.sign_on()] if from_log else [])
            + [
                act.escalation(
                    "escalate-merchant",
                    T("Merchant refused with 03 (invalid merchant)", "商户被拒绝（03 无效商户）"),
                    T(
                        "The host answers 03 to this terminal although the MID is the contracted one. Please check the "
                        "merchant record and reopen it.",
                        "商户号与合同一致，但主机返回 03。请核查并恢复商户记录。",
                    ),
                    r,
                    wo,
                    prof,
                )
            ],
            procedure=steps,
            passing_evidence=True,
        )
        return
    steps.append(
        T(
            "7. Otherwise: the terminal is not registered (or not active) at the acquirer.",
            "7. 否则：终端在收单行未登记或未激活。",
        )
    )
    b.add(
        "not-registered",
        "critical",
        confident,
        T("Terminal not registered at the acquirer (97)", "终端未在收单行登记（97）"),
        T(
            "The host answered, the host is right"
            + (", and TID, MID and serial number are the contracted ones" if wo else "")
            + ": the acquirer has no active record for this terminal (never opened, or closed). Not fixable on "
            "site: the acquirer must activate it."
            + ("" if wo else " Without a work order a wrong TID cannot be ruled out: compare it with the contract."),
            "主机已应答且主机正确"
            + ("，终端号、商户号、序列号与合同一致" if wo else "")
            + "：收单行没有此终端的有效记录（未开通或已注销），无法现场修复，需收单行开通。"
            + ("" if wo else "没有工单时无法排除终端号输错：请与合同核对。"),
        ),
        ["params.tid", "params.mid", "params.hosts", "identity.serial", "signon", "counters.response_codes"],
        ([act.sign_on()] if from_log else [])
        + [
            act.escalation(
                "escalate-not-registered",
                T("Terminal not registered: sign-on refused with 97", "终端未登记：签到返回 97")
                if not from_log
                else T("Terminal not registered: 97 in the terminal's log", "终端未登记：终端日志中为 97"),
                T(
                    "The sign-on of this terminal is refused with 97 (terminal not registered). TID, MID and host "
                    "have been checked on site. Please activate the terminal record, or tell us the correct TID.",
                    "此终端签到返回 97（终端未登记）。终端号、"
                    "商户号和主机已现场核对。请开通终端记录，或告知正确的终端号。",
                )
                if not from_log
                else T(
                    "This terminal's transactions were refused with 97 (terminal not registered), as its log shows. "
                    "TID, MID and host have been checked on site. Please activate the terminal record, or tell us "
                    "the correct TID.",
                    "终端日志显示此终端的交易返回 97（终端未登记）。终端号、商户号和主机已现场核对。"
                    "请开通终端记录，或告知正确的终端号。",
                ),
                r,
                wo,
                prof,
            )
        ],
        procedure=steps,
        passing_evidence=True,
    )


def _host_answer(b: _Builder) -> None:
    if "params-lost" in b.findings:
        return  # blank parameters explain any refusal; the 97 procedure would only restate them
    code, source = _sign_on_code(b)
    s = b.r.sign_on
    if code is None or code == "00":
        return  # "00" with keys that fail to verify is the key family's
    if s is not None and s.outcome == "ok":
        return  # approved now: older codes in the log are history
    if source == "sign-on" and _test_status_answered(b, code):
        return
    if code in ("97", "03"):
        procedure_97(b, code, source)
        return
    if code in ("A0", "99"):
        return  # key family
    if source != "sign-on":
        return
    info = b.ctx.profile.explain(code) if b.ctx.profile else None
    b.add(
        "host-refusal",
        "critical",
        "medium",
        T(f"The host refuses the sign-on with {code}", f"主机拒绝签到，应答码 {code}"),
        T(f"{code}: {info.en}. {info.action_en}", f"{code}：{info.zh}。{info.action_zh}")
        if info
        else T(f"Response code {code}; no acquirer profile explains it.", f"应答码 {code}；无收单行配置可解释。"),
        ["signon", "counters.response_codes"],
        [
            act.escalation(
                "escalate-refusal",
                T(f"Sign-on refused with {code}", f"签到被拒绝，应答码 {code}"),
                T(
                    f"The terminal's sign-on is refused with {code}. Please advise.",
                    f"终端签到返回 {code}，请协助处理。",
                ),
                b.r,
                b.ctx.work_order,
                b.ctx.profile,
            )
        ],
    )


def _keys(b: _Builder) -> None:
    r, wo = b.r, b.ctx.work_order
    kcv = wo.tmk_kcv if wo else ""
    if b.failed("keys.tmk") and b.r.parameters is not None:
        b.add(
            "no-tmk",
            "critical",
            "high",
            T("No master key (TMK) loaded", "未装载主密钥"),
            T(
                "The terminal has no TMK, so a sign-on cannot load working keys and it cannot trade "
                "('请确认主密钥下载').",
                "终端没有主密钥，签到无法下载工作密钥，无法交易（“请确认主密钥下载”）。",
            ),
            ["keys.tmk", "keys.working", "signon"],
            [_m_inject_tmk(kcv)],
        )
        return
    s = r.sign_on
    verify_failed = s is not None and s.outcome == "key-verify-failed"
    if b.failed("keys.tmk_kcv"):
        b.add(
            "tmk-mismatch",
            "critical",
            "high",
            T("Wrong master key: TMK differs from the key sheet", "主密钥错误：与密钥单不符"),
            T(
                "The TMK's check value is not the key sheet's. Working keys from the host do not verify under it "
                "('解包密钥验证不符'), so sales get A0/99. Re-inject the TMK; signing on again will not cure it.",
                "主密钥校验值与密钥单不符，主机下发的工作密钥无法校验（“解包密钥验证不符”），交易返回 A0/99。"
                "需重新灌装主密钥，重新签到无效。",
            ),
            ["keys.tmk_kcv", "signon", "counters.response_codes"],
            [_m_inject_tmk(kcv)],
        )
        return
    if verify_failed and b.status("keys.tmk_kcv") == "pass":
        slot = b.by_id["keys.tmk"].observed
        b.add(
            "host-key-mismatch",
            "critical",
            "high",
            T("The host holds another master key for this terminal", "主机上此终端的主密钥与密钥单不同"),
            T(
                "The terminal's TMK matches the key sheet, yet the working keys the host sends do not verify "
                "under it: the acquirer holds a different TMK for this TID (re-keyed on its side). Re-injecting the "
                "same key or signing on again changes nothing: the acquirer must correct its record.",
                "终端主密钥与密钥单一致，但主机下发的工作密钥无法校验：收单行为此终端号保存的主密钥不同（主机端已换密钥）。"
                "重新灌装同一密钥或重新签到都无效，需收单行更正。",
            ),
            ["signon", "keys.tmk", "keys.tmk_kcv"],
            [
                act.escalation(
                    "escalate-host-key",
                    T("Working keys do not verify under the agreed TMK", "工作密钥在约定主密钥下校验失败"),
                    T(
                        "The terminal's master key matches our key sheet (check value "
                        f"{slot.get('check_value', '?')}), but the working keys your host sends at sign-on do not "
                        "verify under it. Please check which TMK your host holds for this TID.",
                        f"终端主密钥与密钥单一致（校验值 {slot.get('check_value', '?')}），"
                        "但签到下发的工作密钥无法校验。"
                        "请核查主机为此终端号保存的主密钥。",
                    ),
                    r,
                    wo,
                    b.ctx.profile,
                    extra=[("TMK check value", "主密钥校验值", str(slot.get("check_value", "?")))],
                )
            ],
            passing_evidence=True,
        )
        return
    if verify_failed:
        b.add(
            "tmk-mismatch",
            "critical",
            "medium" if wo is None or not kcv else "high",
            T("Working keys do not verify under the TMK", "工作密钥在主密钥下校验失败"),
            T(
                "The host approved the sign-on but its new keys fail their check values under this terminal's "
                "TMK: the TMK is not the one the host has.",
                "主机批准签到，但新密钥在本机主密钥下校验失败：主密钥与主机不一致。",
            ),
            ["signon", "keys.tmk", "keys.tmk_kcv"],
            [_m_inject_tmk(kcv)],
        )
        return
    codes = recent_codes(r)
    sync_codes = [c for c in codes if c in ("A0", "99")]
    declined = s is not None and s.outcome == "declined"  # the refusal explains the missing keys
    if b.failed("keys.working") and not declined:
        b.add(
            "not-signed-on",
            "critical",
            "high",
            T("Not signed on: no working keys", "未签到：没有工作密钥"),
            T(
                "The terminal has no working keys; it must sign on before it can trade.",
                "终端没有工作密钥，签到后才能交易。",
            ),
            ["keys.working", "signon"],
            [act.sign_on()],
        )
    elif sync_codes and (s is None or s.outcome != "ok") and codes and codes[-1] in ("A0", "99"):
        b.add(
            "keys-out-of-sync",
            "critical",
            "medium",
            T("Keys out of sync with the host (A0/99)", "密钥与主机不同步（A0/99）"),
            T(
                "Recent transactions were refused with A0 (MAC) or 99 (PIN block): the working keys differ from the "
                "host's. A sign-on loads fresh ones.",
                "近期交易返回 A0（MAC 错）或 99（PIN 格式错）：工作密钥与主机不一致，签到可下载新密钥。",
            ),
            ["counters.response_codes", "keys.working"],
            [act.sign_on()],
        )
    elif codes and codes[-1] in ("A0", "99") and s is not None and s.outcome == "ok" and s.keys_updated:
        _keys_renewed(b)
    if b.failed("keys.dukpt") or b.status("keys.dukpt") == "warn":
        left = b.by_id["keys.dukpt"].observed.get("keys_left")
        b.add(
            "dukpt-exhausted",
            "high" if b.failed("keys.dukpt") else "medium",
            "high",
            T("DUKPT keys nearly used up", "DUKPT 密钥即将用尽"),
            T(
                f"Only {left} future keys remain in the KSN counter; then the terminal refuses PIN entry until a new "
                "initial key (IPEK) is injected.",
                f"KSN 计数器仅剩 {left} 个密钥，用尽后终端将拒绝输入 PIN，需重新灌装初始密钥（IPEK）。",
            ),
            ["keys.dukpt"],
            [
                act.manual(
                    "inject-ipek",
                    T("Inject a new DUKPT initial key", "重新灌装 DUKPT 初始密钥"),
                    [
                        T(
                            "Book a key injection (the acquirer's key loading facility).",
                            "预约密钥灌装（收单行密钥灌装中心）。",
                        ),
                        T("Inject a new IPEK/KSN.", "灌装新的 IPEK/KSN。"),
                    ],
                    T("The KSN counter reads near zero.", "KSN 计数器接近 0。"),
                )
            ],
        )
    if b.status("keys.scheme") == "warn":
        b.add(
            "key-scheme",
            "low",
            "medium",
            T("Key scheme differs from the acquirer's profile", "密钥体系与收单行配置不同"),
            T(
                "The terminal's key scheme is not the one the acquirer's profile names; confirm with the acquirer.",
                "终端的密钥体系与收单行配置不同，请与收单行确认。",
            ),
            ["keys.scheme"],
            [
                act.manual(
                    "confirm-key-scheme",
                    T("Confirm the key scheme with the acquirer", "与收单行确认密钥体系"),
                    [
                        T(
                            "Ask the acquirer which key scheme this TID uses (single or double length master/session "
                            "keys, or DUKPT).",
                            "向收单行确认此终端号使用的密钥体系（单倍长或双倍长主密钥/工作密钥，或 DUKPT）。",
                        ),
                        T(
                            "If the profile is right, book a key injection under that scheme; if the terminal is "
                            "right, have the profile corrected.",
                            "若配置正确，按该体系预约重新灌装密钥；若终端正确，请更正收单行配置。",
                        ),
                    ],
                    T("The key scheme check passes and the sign-on is answered 00.", "密钥体系检查通过，签到返回 00。"),
                )
            ],
        )


def _key_line(keys, lang: str) -> str:
    """'PIK 1A2B3C4D, MAK ... (loaded 2026-11-24 08:01:55)': check values and load times, never keys."""
    if keys is None or not keys.working_keys:
        return "无" if lang == "zh" else "none"
    parts = ", ".join(f"{k.key_type.upper()} {k.check_value}" for k in keys.working_keys)
    times = sorted({k.loaded_at for k in keys.working_keys if k.loaded_at is not None})
    when = (
        "、".join(f"{t:%Y-%m-%d %H:%M:%S}" for t in times)
        if lang == "zh"
        else ", ".join(f"{t:%Y-%m-%d %H:%M:%S}" for t in times)
    )
    if lang == "zh":
        return parts.replace(", ", "，") + (f"（下载于 {when}）" if when else "")
    return parts + (f" (loaded {when})" if when else "")


def _keys_renewed(b: _Builder) -> None:
    """Sales refused for key reasons (A0/99), and this diagnosis's own sign-on loaded keys that verify.

    The terminal had stale working keys; the sign-on just repaired them. Still a
    finding: the merchant's refused sales need telling, and the next sale proves it.
    """
    r, s = b.r, b.r.sign_on
    refused = [e for e in current_log(r) if e.code in ("A0", "99")]
    recent = refused[-3:]
    listed_en = "; ".join(f"{e.code} at {e.time:%Y-%m-%d %H:%M:%S}" for e in recent)
    listed_zh = "；".join(f"{e.time:%Y-%m-%d %H:%M:%S} {e.code}" for e in recent)
    old_en, old_zh = _key_line(r.keys, "en"), _key_line(r.keys, "zh")
    new_en, new_zh = _key_line(r.keys_after_sign_on, "en"), _key_line(r.keys_after_sign_on, "zh")
    host = f"{hostport(s.host_address, s.host_port)}"
    b.add(
        "keys-out-of-sync",
        "medium",
        "high",
        T(
            "Stale working keys (A0/99): renewed by this diagnosis's sign-on",
            "工作密钥过期（A0/99）：本次诊断的签到已更新",
        ),
        T(
            f"{len(refused)} recent transactions were refused for key reasons (last: {listed_en}): the terminal "
            "used working keys the host no longer held. This diagnosis's sign-on was approved (00) by "
            f"{host} and loaded new working keys that verify under the TMK, so the fault is fixed. The refused "
            "sales were not completed: the merchant must run them again.",
            f"近期有 {len(refused)} 笔交易因密钥原因被拒（最近：{listed_zh}）：终端使用的工作密钥主机已不再认可。"
            f"本次诊断的签到获 {host} 批准（00），并下载了在主密钥下校验通过的新工作密钥，故障已排除。"
            "被拒的交易未完成：商户需重新交易。",
        ),
        ["counters.response_codes", "keys.working", "signon"],
        [
            act.manual(
                "test-sale",
                T("Prove it with a sale, and tell the merchant", "用一笔交易验证，并告知商户"),
                [
                    T(
                        "Tell the merchant: the sales refused with A0/99 were not charged; run them again if the "
                        "customers come back.",
                        "告知商户：返回 A0/99 的交易未扣款；顾客回来时需重新交易。",
                    ),
                    T(
                        "Have the merchant run the next sale (or a small test sale): it must be approved (00).",
                        "让商户做下一笔交易（或一笔小额测试交易）：应返回 00。",
                    ),
                    T(
                        "If A0 or 99 come back, the host does not keep the new keys: call the acquirer's helpdesk "
                        "with this report.",
                        "若再次出现 A0 或 99，说明主机未保留新密钥：带上本报告联系收单行技术支持。",
                    ),
                ],
                T("The next sale is approved (00).", "下一笔交易返回 00。"),
            )
        ],
        extra_evidence=[
            T(f"working keys before the sign-on: {old_en}", f"签到前的工作密钥：{old_zh}"),
            T(
                f"working keys after the sign-on ({host}, 00): {new_en}",
                f"签到后的工作密钥（{host}，00）：{new_zh}",
            ),
        ],
        state="fixed-during-diagnosis",
    )


def _network(b: _Builder) -> None:
    r = b.r
    s = r.sign_on
    if s is not None and s.outcome in ("ok", "declined", "key-verify-failed"):
        return  # a host answered: the network works
    v = r.verdict.code if r.verdict is not None else None
    ct = r.comm_test
    p = r.parameters
    if ct is None and v is None:
        return
    outcomes = {h.outcome for h in ct.hosts} if ct else set()
    if ct is not None and not ct.link_up:
        if _link_refused(b):  # the network itself refused the terminal: wrong APN, wrong Wi-Fi password
            return
        if b.failed("params.comms") and p is not None and p.comm_mode == "cellular":
            b.add(
                "no-apn",
                "critical",
                "high",
                T("Cellular without an APN: no data connection", "4G 未设置 APN：无法上网"),
                T(
                    "The comm mode is cellular but the APN is blank; the modem cannot open a data connection.",
                    "通讯方式为无线（4G）但 APN 为空，模块无法建立数据连接。",
                ),
                ["params.comms", "network.terminal"],
                [
                    act.manual(
                        "set-apn",
                        T(
                            "Enter the SIM's APN (or switch back to Ethernet/Wi-Fi)",
                            "设置 SIM 卡的 APN（或改回有线/Wi-Fi）",
                        ),
                        [
                            T(
                                "Ask the carrier for the APN of this SIM (private APNs are common for POS).",
                                "向运营商确认此 SIM 卡的 APN（POS 常用专网 APN）。",
                            ),
                            T(
                                "Enter it in 通讯参数设置, or switch the comm mode back if the shop uses a cable.",
                                "在“通讯参数设置”中输入，或若商户使用有线网络则改回有线。",
                            ),
                        ],
                        T("The comm test shows the link up and the hosts reached.", "通讯测试显示连接正常，主机可达。"),
                    )
                ],
            )
            return
        if b.failed("params.comms") and p is not None and p.comm_mode == "wifi":
            b.add(
                "no-wifi",
                "critical",
                "high",
                T("Wi-Fi without a network name: no link", "Wi-Fi 未设置网络名称：无连接"),
                T(
                    "The comm mode is Wi-Fi but no network name (SSID) is set, so the terminal joins no network.",
                    "通讯方式为 Wi-Fi 但未设置网络名称（SSID），终端无法加入网络。",
                ),
                ["params.comms", "network.terminal"],
                [
                    act.manual(
                        "set-wifi",
                        T("Enter the shop's Wi-Fi name and password", "输入商户 Wi-Fi 名称和密码"),
                        [
                            T(
                                "Ask the merchant for the Wi-Fi network name (SSID) and password.",
                                "向商户索取 Wi-Fi 网络名称（SSID）和密码。",
                            ),
                            T(
                                "Enter them in 通讯参数设置 (the terminal refuses other changes until the SSID "
                                "is set), "
                                "or switch the comm mode to Ethernet if the shop has a cable.",
                                "在“通讯参数设置”中输入（未设置 SSID 前终端拒绝其他修改），或商户有网线时改为以太网。",
                            ),
                        ],
                        T("The comm test shows the link up and the hosts reached.", "通讯测试显示连接正常，主机可达。"),
                    )
                ],
            )
            return
        b.add(
            "no-link",
            "critical",
            "high",
            T("The terminal has no network link", "终端没有网络连接"),
            T(
                "No cable, Wi-Fi or cellular connection: nothing can reach the host.",
                "没有有线、Wi-Fi 或无线连接，无法连接主机。",
            ),
            ["network.terminal", "params.comms"],
            [act.check_terminal_link(p, b.ctx.work_order, b.ctx.profile, action_id="fix-link")],
        )
        return
    if "dns-failure" in outcomes:
        names = ", ".join(h.address for h in ct.hosts if h.outcome == "dns-failure")
        acts: list[Action | None] = [
            act.manual(
                "set-dns",
                T("Set the DNS servers", "设置 DNS 服务器"),
                [
                    T(
                        "Enter the shop network's DNS servers (from the router or DHCP) in 通讯参数设置.",
                        "在“通讯参数设置”中输入商户网络的 DNS 服务器（来自路由器或 DHCP）。",
                    ),
                ],
                T("The comm test resolves the host names and reaches the hosts.", "通讯测试能解析主机域名并连通。"),
            )
        ]
        if b.ctx.profile is not None:
            acts.append(act.point_at_production(r, b.ctx.profile))
        b.add(
            "dns",
            "critical",
            "high",
            T("Host names do not resolve (DNS)", "主机域名无法解析（DNS）"),
            T(
                f"The terminal's hosts are names ({names}) and the terminal cannot look them up"
                + (": no DNS server is set." if b.failed("params.comms") else "."),
                f"终端主机为域名（{names}），终端无法解析"
                + ("：未设置 DNS 服务器。" if b.failed("params.comms") else "。"),
            ),
            ["params.comms", "network.terminal", "network.laptop"],
            acts,
        )
        return
    if v == "tls-clock" or (b.failed("hardware.clock") and "tls-failure" in outcomes):
        b.add(
            "clock-drift",
            "critical",
            "high",
            T("Wrong clock breaks TLS", "时钟错误导致 TLS 失败"),
            T(
                "The terminal's clock is off, so the host's certificate looks not yet valid or expired. The clock is "
                "set from the host's answer, which TLS now prevents: it never corrects itself.",
                "终端时钟错误，主机证书被判为尚未生效或已过期。时钟本由主机应答校准，TLS 失败后无法自行恢复。",
            ),
            ["hardware.clock", "network.terminal", "network.compare"],
            [act.sync_clock()],
        )
        return
    if v == "tls":
        b.add(
            "tls",
            "critical",
            "medium",
            T("TLS fails between terminal and host", "终端与主机 TLS 握手失败"),
            T(
                "The TLS handshake fails for a reason other than the "
                "clock: CA, protocol version, or a host without TLS.",
                "TLS 握手失败且与时钟无关：CA 证书、协议版本或主机未启用 TLS。",
            ),
            ["network.terminal", "network.compare", "params.comms"],
            [
                act.manual(
                    "check-tls",
                    T("Match the terminal's TLS to the host's", "使终端的 TLS 设置与主机一致"),
                    [
                        T(
                            "TLS on or off: compare the terminal's setting with the acquirer's for this host (the "
                            "acquirer profile or the helpdesk); a host without TLS fails every handshake.",
                            "TLS 开关：与收单行对此主机的要求核对（收单行配置或技术支持）；"
                            "主机未启用 TLS 时握手必然失败。",
                        ),
                        T(
                            "The CA certificate: load the acquirer's current CA into the terminal through the "
                            "vendor's TMS.",
                            "CA 证书：通过厂商 TMS 给终端加载收单行当前的 CA 证书。",
                        ),
                        T(
                            "The TLS version: ask the acquirer which it requires; older firmware may not offer it "
                            "(load an approved version).",
                            "TLS 版本：向收单行确认要求的版本；旧固件可能不支持（更新到认证版本）。",
                        ),
                    ],
                    T("The comm test's TLS succeeds to every host.", "通讯测试中所有主机 TLS 握手成功。"),
                )
            ],
        )
        return
    if v == "no-host-configured":
        return  # params-lost covers it
    prof = b.ctx.profile
    if (
        prof is not None
        and b.failed("params.hosts")
        and v in ("site-or-host-down", "terminal-comms", "terminal-cannot-reach")
    ):
        roles = (b.by_id["params.hosts"].observed.get("roles") or {}).values()
        test = "test" in roles
        b.add(
            "test-host" if test else "foreign-host",
            "critical",
            "high",
            T("Pointed at the acquirer's test system", "终端指向收单行测试环境")
            if test
            else T("Pointed at another acquirer's host", "终端指向其他收单机构的主机"),
            T(
                f"The terminal's hosts are not {prof.name.en}'s production hosts, and nothing answers there from "
                "this site. The site's network is not the cause: the terminal's host settings are.",
                f"终端的主机不是{prof.name.zh}的生产主机，从本现场也连不上；原因不在现场网络，而在终端的主机设置。",
            ),
            ["params.hosts", "network.terminal", "network.laptop", "network.compare"],
            [act.point_at_production(r, prof)],
        )
        return
    if v == "terminal-comms":
        b.add(
            "terminal-comms",
            "critical",
            "high",
            T("The site's network works, the terminal's comms do not", "现场网络正常，终端通讯异常"),
            T(
                f"The laptop reaches {_hosts_of(r)} from this site, the terminal does not: its host, port, DNS or "
                "APN settings, or its modem.",
                f"笔记本在同一现场可连通 {_hosts_of(r)}，终端不能：检查终端主机、端口、DNS、APN 设置或通讯模块。",
            ),
            ["network.terminal", "network.laptop", "network.compare", "params.hosts"],
            [
                act.point_at_production(r, b.ctx.profile) if b.ctx.profile else None,
                act.check_terminal_link(p, b.ctx.work_order, b.ctx.profile),
            ],
        )
        return
    if v in ("site-or-host-down", "terminal-cannot-reach"):
        b.add(
            "host-unreachable",
            "critical",
            "high" if v == "site-or-host-down" else "medium",
            T("Host unreachable from this site", "从本现场无法连接主机"),
            T(
                f"Neither the terminal nor the laptop reaches the acquirer's hosts ({_hosts_of(r)}) from this site, "
                "though the terminal's link is up: the shop's router, VPN or firewall, or the acquirer's host is down.",
                f"终端和笔记本都连不上收单行主机（{_hosts_of(r)}），但终端网络连接正常：商户路由器、专线/VPN、防火墙，"
                "或收单行主机故障。",
            )
            if v == "site-or-host-down"
            else T(
                f"The terminal's link is up but it reaches none of its hosts ({_hosts_of(r)}). The laptop did not "
                "check them "
                "(run with --real-network on site to compare): the shop's router, VPN or firewall, the terminal's "
                "host settings, or the acquirer's host.",
                f"终端网络连接正常但连不上任何主机（{_hosts_of(r)}）。"
                "笔记本未检查（现场请加 --real-network 比对）："
                "商户路由器、专线/VPN、防火墙、终端主机设置或收单行主机。",
            ),
            ["network.terminal", "network.laptop", "network.compare"],
            [
                act.manual(
                    "check-route",
                    T("Check the path to the acquirer", "检查到收单行的线路"),
                    [
                        T(
                            "Check the router: was it replaced or reset? Is the VPN/private line to the acquirer up?",
                            "检查路由器：是否更换或复位？到收单行的专线/VPN 是否正常？",
                        ),
                        T("Check the firewall allows the host's port.", "检查防火墙是否放行主机端口。"),
                        T("Call the acquirer to ask whether its host is up.", "致电收单行确认主机是否正常。"),
                    ],
                    T("The comm test reaches a host.", "通讯测试可连通主机。"),
                )
            ],
        )
        return
    if v == "host-misbehaves" or (s is not None and s.outcome in ("no-answer", "closed-mid-message", "garbage")):
        if b.failed("params.tpdu") and b.ctx.profile is not None:
            b.add(
                "wrong-tpdu",
                "critical",
                "high",
                T("Wrong TPDU: the host never answers", "TPDU 错误：主机无应答"),
                T(
                    "The terminal connects, but its TPDU names another destination, so the acquirer's front end "
                    "routes the sign-on nowhere and no answer comes.",
                    "终端可连接，但 TPDU 的目的地址错误，收单行前置无法路由签到报文，因此无应答。",
                ),
                ["params.tpdu", "network.terminal", "signon"],
                [act.fix_tpdu(r, b.ctx.profile)],
            )
            return
        b.add(
            "host-misbehaves",
            "critical",
            "medium",
            T("The host connects but does not answer properly", "主机可连接但应答异常"),
            T(
                "The connection opens, then the answer is missing, cut or unreadable: wrong port, or a host problem.",
                "连接成功，但应答缺失、中断或无法解析：端口错误或主机故障。",
            ),
            ["network.terminal", "signon", "params.hosts"],
            [
                act.escalation(
                    "escalate-host",
                    T("Host does not answer the sign-on", "主机不应答签到"),
                    T(
                        "The terminal connects to the host but its sign-on gets "
                        "no valid answer. Please check the host and routing.",
                        "终端可连接主机但签到无有效应答，请检查主机和路由。",
                    ),
                    r,
                    b.ctx.work_order,
                    b.ctx.profile,
                )
            ],
        )
        return
    if s is not None and s.outcome == "mismatch":
        b.add(
            "wrong-host-answer",
            "critical",
            "medium",
            T("The answer does not match the request", "应答与请求不符"),
            T(
                "The answer's STAN, TID or MID differ: the terminal talks "
                "to the wrong host, or another device shares its TID.",
                "应答的流水号、终端号或商户号不符：终端连到了错误主机，或终端号被其他设备共用。",
            ),
            ["signon", "params.hosts"],
            [
                act.manual(
                    "check-shared-tid",
                    T("Find out who answers, and who else uses this TID", "查明应答方，以及是否有其他设备使用此终端号"),
                    [
                        T(
                            "Compare the terminal's host addresses with the acquirer's (profile or work order).",
                            "将终端主机地址与收单行的地址（配置或工单）核对。",
                        ),
                        T(
                            "Ask the merchant whether another terminal (an old or swapped one) is still switched on "
                            "with the same TID; switch it off.",
                            "询问商户是否还有另一台终端（旧机或换下的机具）使用同一终端号开着；将其关机。",
                        ),
                        T(
                            "If neither explains it, send the escalation below to the acquirer.",
                            "若都不是，把下面的上报内容发给收单行。",
                        ),
                    ],
                    T("The sign-on's answer matches its request.", "签到应答与请求一致。"),
                ),
                act.escalation(
                    "escalate-wrong-answer",
                    T("Sign-on answer does not match the request", "签到应答与请求不符"),
                    T(
                        "The answer to this terminal's sign-on does not match the request (STAN, TID or MID "
                        f"differ: {s.detail or 'see the report'}). Please check whether another device uses this "
                        "TID, or where the terminal's messages are routed.",
                        "此终端签到的应答与请求不符（流水号、终端号或商户号不同）。"
                        "请核查是否有其他设备使用此终端号，或终端报文的路由。",
                    ),
                    r,
                    b.ctx.work_order,
                    b.ctx.profile,
                ),
            ],
        )


def _routing(b: _Builder) -> None:
    """Routing parameters that are wrong even when the host accepted the sign-on."""
    prof, r = b.ctx.profile, b.r
    if r.parameters is None or "params-lost" in b.findings:
        return
    hosts = b.by_id.get("params.hosts")
    approved = r.sign_on is not None and r.sign_on.outcome == "ok"
    already = {"test-host", "foreign-host"} & set(b.findings)
    if hosts is not None and hosts.status == "fail" and not already:
        roles = (hosts.observed.get("roles") or {}).values()
        if hosts.observed.get("primary_missing"):
            fix = (
                act.point_at_production(r, prof)
                if prof is not None
                else act.manual(
                    "enter-hosts",
                    T("Enter the acquirer's host addresses", "输入收单行主机地址"),
                    [
                        T(
                            "Take the production host addresses and ports from the acquirer (or a TMS download) "
                            "and enter them in 通讯参数设置.",
                            "向收单行获取生产主机地址和端口（或做 TMS 参数下载），在“通讯参数设置”中输入。",
                        )
                    ],
                    T("The comm test reaches the primary host.", "通讯测试可连通主机。"),
                )
            )
            b.add(
                "host-missing",
                "high",
                "high",
                T("No primary host set", "未设置主机地址"),
                T(
                    "The terminal has no primary host address or port; it can only use its backup, if it has one. "
                    "Enter the acquirer's production hosts.",
                    "终端未设置主机地址或端口，只能使用备用主机（如有）。请设置收单行生产主机。",
                ),
                ["params.hosts", "network.terminal"],
                [fix],
            )
        elif prof is not None and "test" in roles:
            b.add(
                "test-host",
                "critical",
                "high",
                T("Pointed at the acquirer's test system", "终端指向收单行测试环境"),
                T(
                    f"The terminal talks to {prof.name.en}'s test hosts. Whatever the test system answers, its "
                    "transactions are not settled: the merchant is not paid.",
                    f"终端连接的是{prof.name.zh}的测试主机。无论测试系统如何应答，交易都不会清算，商户收不到钱。",
                ),
                ["params.hosts", "signon"],
                [act.point_at_production(r, prof)],
            )
        elif prof is not None:
            b.add(
                "foreign-host",
                "medium",
                "medium",
                T("Host not in the acquirer's profile", "主机不在收单行配置中"),
                T(
                    f"The terminal's host is not one {prof.name.en}'s profile lists"
                    + (", though it approved the sign-on" if approved else "")
                    + ". Either the terminal uses an old address or the profile is out of date: ask the acquirer.",
                    f"终端主机不在{prof.name.zh}配置中"
                    + ("，但它批准了签到" if approved else "")
                    + "。终端使用了旧地址，或收单行配置已过期：请向收单行确认。",
                ),
                ["params.hosts", "signon"],
                [act.point_at_production(r, prof)],
            )
    if b.failed("params.header") and "test-host" not in b.findings:
        b.add(
            "test-header",
            "high",
            "high",
            T("Header status is 'test'", "状态设置为“测试”"),
            T(
                "The terminal marks its messages as tests (header status). A shop terminal must say 'normal': the "
                "host may treat its transactions as tests and not settle them.",
                "终端在报文头中标记为测试。商户终端必须为“正常”：主机可能按测试交易处理而不清算。",
            ),
            ["params.header"],
            [act.header_normal(r)],
        )
    if prof is not None and b.failed("params.tpdu") and "wrong-tpdu" not in b.findings:
        b.add(
            "tpdu-differs",
            "low" if approved else "medium",
            "medium",
            T("TPDU differs from the acquirer's", "TPDU 与收单行规定不同"),
            T(
                "The host approved the sign-on, so the front end routes this TPDU somewhere that works; still it is "
                "not the one the acquirer's profile gives. Ask the acquirer before changing it.",
                "主机已批准签到，说明前置能路由此 TPDU；但它与收单行配置不同。修改前请向收单行确认。",
            )
            if approved
            else T(
                "The TPDU is not the one the acquirer's profile gives; its destination decides where the acquirer's "
                "front end routes every message. No sign-on proved it works.",
                "TPDU 与收单行配置不同；其目的地址决定收单行前置如何路由报文。本次没有签到证明它可用。",
            ),
            ["params.tpdu", "signon"],
            [act.fix_tpdu(r, prof)],
        )


def _host_words(outcome: str | None) -> Text:
    """How reaching a host ended, in words (not the outcome's id)."""
    en = {
        "refused": "refused the connection",
        "timeout": "did not answer (connect timed out)",
        "dns-failure": "its name did not resolve",
        "reset": "reset the connection",
        "unreachable": "is unreachable",
        "tls-failure": "failed the TLS handshake",
        "no-answer": "connected but did not answer",
    }
    zh = {
        "refused": "拒绝连接",
        "timeout": "无应答（连接超时）",
        "dns-failure": "域名无法解析",
        "reset": "连接被重置",
        "unreachable": "网络不可达",
        "tls-failure": "TLS 握手失败",
        "no-answer": "可连接但无应答",
    }
    if outcome is None or outcome == "not-allowed":
        return T("not checked", "未检查")
    if outcome == "ok":
        return T("reached", "可连通")
    return T(en.get(outcome, outcome), zh.get(outcome, outcome))


def _hosts_of(r: Readings) -> str:
    """The terminal's hosts as its comm test tried them ("10.20.30.40:5000, 10.20.30.41:5000")."""
    hosts = r.comm_test.hosts if r.comm_test is not None else []
    return ", ".join(f"{hostport(h.address, h.port)}" for h in hosts if h.address) or "?"


def _dead_host(b: _Builder) -> None:
    """The terminal works through one of its hosts while the other does not answer.

    Sales then wait for the dead primary to time out before falling back, or
    have no fallback when the backup is the dead one. Named from both ends:
    dead for the laptop too points at the acquirer (escalate); reached by the
    laptop points at the site's path for the terminal (check it on site).
    """
    r, prof, wo = b.r, b.ctx.profile, b.ctx.work_order
    if {"params-lost", "test-host", "foreign-host", "host-missing", "dns"} & set(b.findings):
        return  # the host settings are wrong: that finding's repair comes first
    s = r.sign_on
    if s is not None and s.outcome not in ("ok", "declined", "key-verify-failed"):
        return  # no host answered the sign-on: the network family speaks
    dead = dead_hosts(r.comm_test, r.laptop_hosts or [])
    if not dead:
        return
    primary = next((d for d in dead if d.role == "primary"), None)
    d = primary or dead[0]
    p = r.parameters
    alive = [h for h in r.comm_test.hosts if h.outcome == "ok"]
    other = alive[0] if alive else None
    other_at = f"{hostport(other.address, other.port)}" if other else "?"
    at = f"{hostport(d.address, d.port)}"
    role_en, role_zh = ("primary", "主主机") if d.role == "primary" else ("backup", "备用主机")
    other_en, other_zh = ("backup", "备用主机") if d.role == "primary" else ("primary", "主主机")
    terminal_says, laptop_says = _host_words(d.terminal), _host_words(d.laptop)
    laptop = d.laptop_reaches
    via = ""
    via_zh = ""
    if s is not None and s.outcome in ("ok", "declined", "key-verify-failed"):
        via = f"; this run's sign-on was answered through {hostport(s.host_address, s.host_port)}"
        via_zh = f"；本次签到经 {hostport(s.host_address, s.host_port)} 获得应答"
    wait = p.connect_timeout_s if p is not None and p.connect_timeout_s else 30
    if d.role == "primary":
        effect_en = (
            f" Every transaction first tries {at}"
            + (f" and waits up to {wait} s for it" if d.terminal == "timeout" else "")
            + " before it falls back to the backup: slow sales, and time-outs at the till."
        )
        effect_zh = (
            f"每笔交易都先尝试 {at}"
            + (f"，最多等待 {wait} 秒" if d.terminal == "timeout" else "")
            + "，然后才转到备用主机：交易变慢，收银时可能超时。"
        )
    else:
        effect_en = " The terminal works now, but it has no fallback: when the primary fails, every sale fails."
        effect_zh = "终端目前可用，但没有备用线路：主主机一旦故障，所有交易都将失败。"
    if laptop is False:
        where_en = (
            " Both ends see it dead: the acquirer's host, or the route to it, is down. Report it to the acquirer."
        )
        where_zh = "两端都连不上：收单行主机或到它的线路故障，请报告收单行。"
    elif laptop is True:
        where_en = (
            " The laptop reaches it from this site, only the terminal does not: the fault is on the terminal's "
            "path at the site (its link, the shop's router or firewall for the terminal's address)."
        )
        where_zh = (
            "笔记本在本现场可连通，只有终端连不上：问题在现场终端这一侧"
            "（终端的连接、商户路由器或防火墙对终端地址的限制）。"
        )
    else:
        where_en = (
            " The laptop did not check it (its checks stay on loopback without --real-network), so it is not known "
            "whether the host or the site is at fault."
        )
        where_zh = "笔记本未检查（未指定 --real-network 时只访问本机回环），无法判断是主机还是现场的问题。"
    fid = "primary-host-down" if d.role == "primary" else "backup-host-down"
    evidence = [
        T(
            f"{role_en} host {at}: from the terminal (comm test) it {terminal_says.en}; from the laptop on this "
            f"site: {laptop_says.en}",
            f"{role_zh} {at}：终端通讯测试{terminal_says.zh}；笔记本在本现场{laptop_says.zh}",
        ),
        T(
            f"{other_en} host {other_at}: reached by the terminal{via}",
            f"{other_zh} {other_at}：终端可连通{via_zh}",
        ),
    ]
    request = T(
        f"The {role_en} host {at} does not answer from the merchant's site: in the terminal's comm test it "
        f"{terminal_says.en}"
        + (f"; from a laptop on the same site it {laptop_says.en} too" if laptop is False else "")
        + f". The {other_en} host {other_at} works"
        + (f" and answered the sign-on (response code {s.response_code})" if s is not None and s.response_code else "")
        + f". Please check the {role_en} host and the route to it from this merchant.",
        f"{role_zh} {at} 在商户现场无应答：终端通讯测试{terminal_says.zh}"
        + (f"，同一现场的笔记本也{laptop_says.zh}" if laptop is False else "")
        + f"。{other_zh} {other_at} 正常"
        + (f"，签到应答码 {s.response_code}" if s is not None and s.response_code else "")
        + f"。请检查{role_zh}及商户到它的线路。",
    )
    escalate = act.escalation(
        f"escalate-{fid}",
        T(f"{role_en.capitalize()} host {at} does not answer", f"{role_zh} {at} 无应答"),
        request,
        r,
        wo,
        prof,
        extra=[
            (f"{role_en.capitalize()} host (dead)", f"{role_zh}（无应答）", at),
            (f"{other_en.capitalize()} host (works)", f"{other_zh}（正常）", other_at),
        ],
        verify=T(
            "When the acquirer confirms the fix, run the diagnosis again: the comm test must reach both hosts.",
            "收单行确认修复后重新诊断：通讯测试应能连通两个主机。",
        ),
    )
    site = act.check_terminal_link(
        p,
        wo,
        prof,
        why=T(
            f"The shop's router or firewall: it must let the terminal's address "
            f"({r.comm_test.local_address or '?'}) through to {at} (rules copied by hand to a new router, a VPN "
            f"that carries only {other_at}).",
            f"商户路由器或防火墙：必须放行终端地址（{r.comm_test.local_address or '?'}）到 {at}"
            f"（换路由器后手工抄写的规则、只承载 {other_at} 的专线/VPN）。",
        ),
    )
    if laptop is False:
        acts: list[Action | None] = [escalate]
    elif laptop is True:
        acts = [site]
    else:
        acts = [site, escalate]
    b.add(
        fid,
        "medium" if d.role == "primary" else "low",
        "high" if laptop is not None else "medium",
        T(
            f"{role_en.capitalize()} host {at} does not answer; the terminal works through its {other_en}",
            f"{role_zh} {at} 无应答，终端靠{other_zh}工作",
        ),
        T(
            f"The terminal's {role_en} host {at} {terminal_says.en}; its {other_en} host {other_at} works.",
            f"终端的{role_zh} {at} {terminal_says.zh}；{other_zh} {other_at} 正常。",
        )
        + T(effect_en + where_en, effect_zh + where_zh),
        ["network.terminal", "network.laptop", "signon"],
        acts,
        extra_evidence=evidence,
    )


def _identity_vs_order(b: _Builder) -> None:
    """A TID or MID that differs from the work order is wrong whether or not a host has said so yet."""
    wo, p = b.ctx.work_order, b.r.parameters
    if wo is None or p is None or "params-lost" in b.findings:
        return
    wrong = [f for f in ("tid", "mid") if b.failed(f"params.{f}")]
    if not wrong or {"tid-mismatch", "mid-mismatch"} & set(b.findings):
        return
    names = act.PARAMETER_NAMES
    shown_en = "; ".join(f"{names[f][0]} {_held(p, f).en} instead of {getattr(wo, f)}" for f in wrong)
    shown_zh = "；".join(f"{names[f][1]}{_held_zh(p, f)}，应为 {getattr(wo, f)}" for f in wrong)
    b.add(
        "tid-mismatch" if "tid" in wrong else "mid-mismatch",
        "critical",
        "high",
        T(
            f"{' and '.join(names[f][0] for f in wrong)} not as contracted",
            f"{'和'.join(names[f][1] for f in wrong)}与合同不符",
        ),
        T(
            f"The terminal holds {shown_en} (work order {wo.id}); the host will not recognise it (97 for a TID, 03 "
            "for a MID) once it can be reached.",
            f"终端上的{shown_zh}（工单 {wo.id}）；连上主机后将被拒绝（终端号返回 97，商户号返回 03）。",
        ),
        [f"params.{f}" for f in wrong],
        [act.fix_identity(b.r, wo, tuple(wrong))],
    )


def _clock_set_by_sign_on(b: _Builder) -> bool:
    """The diagnosis's own sign-on set the clock from the host's answer, and it now reads right."""
    r = b.r
    s, after, laptop = r.sign_on, r.hardware_after_sign_on, r.laptop_time_after_sign_on
    if s is None or not s.clock_updated or after is None or after.clock is None or laptop is None:
        return False
    drift_after = (after.clock - laptop).total_seconds()
    if abs(drift_after) > CLOCK_WARN_S:
        return False  # the host's time does not agree with the laptop's: the open finding stands
    drift = b.by_id["hardware.clock"].observed.get("drift_s", 0)
    b.add(
        "clock-drift",
        "low",
        "high",
        T(
            "Terminal clock was wrong: set right by this diagnosis's sign-on",
            "终端时钟曾不准：本次诊断的签到已校准",
        ),
        T(
            f"The terminal's clock was {drift_text(drift, 'en')} the laptop. This diagnosis's sign-on set it from "
            f"the host's answer (fields 12 and 13); it now reads within {abs(round(drift_after))} s of the "
            "laptop. Receipts and logs before now carry the wrong time.",
            f"终端时钟曾{drift_text(drift, 'zh')}。本次诊断的签到已按主机应答（12、13 域）校准，"
            f"现与笔记本相差 {abs(round(drift_after))} 秒以内。此前的小票和日志时间有误。",
        ),
        ["hardware.clock", "signon"],
        [
            act.manual(
                "check-clock-holds",
                T("Check that the clock holds", "检查时钟能否保持"),
                [
                    T(
                        "Power the terminal off for a minute, then on: the clock must still be right.",
                        "关闭终端电源一分钟后开机：时钟应仍然准确。",
                    ),
                    T(
                        "If it is wrong again, the clock's backup battery is flat: send the terminal for service.",
                        "若时钟再次出错，说明时钟后备电池没电：送修。",
                    ),
                ],
                T("The clock is right after a power cycle.", "重启后时钟仍然准确。"),
            )
        ],
        extra_evidence=[
            T(
                f"after the sign-on: {after.clock:%Y-%m-%d %H:%M:%S} (laptop {laptop:%Y-%m-%d %H:%M:%S})",
                f"签到后：{after.clock:%Y-%m-%d %H:%M:%S}（笔记本 {laptop:%Y-%m-%d %H:%M:%S}）",
            )
        ],
        state="fixed-during-diagnosis",
    )
    return True


def _clock(b: _Builder) -> None:
    st = b.status("hardware.clock")
    if st in ("fail", "warn") and "clock-drift" not in b.findings and _clock_set_by_sign_on(b):
        return
    if st in ("fail", "warn") and "clock-drift" not in b.findings:
        b.add(
            "clock-drift",
            "medium" if st == "fail" else "low",
            "high",
            T("Terminal clock is wrong", "终端时钟不准"),
            T(
                "The terminal's clock differs from the laptop's: receipts "
                "and logs carry the wrong time, and TLS may fail.",
                "终端时钟与笔记本不一致：小票和日志时间错误，TLS 可能失败。",
            ),
            ["hardware.clock"],
            [act.sync_clock()],
        )


def _hardware(b: _Builder) -> None:
    r = b.r
    h = r.hardware
    if h is None:
        return
    if b.failed("hardware.printer"):
        after = act.print_test_page()
        if h.printer not in ("ok", "absent"):
            fid, title, cause, steps = (
                "printer-fault",
                T("Printer fault", "打印机故障"),
                T("The printer module reports a fault.", "打印模块报告故障。"),
                [
                    T("Restart the terminal.", "重启终端。"),
                    T("If the fault stays, send the terminal for repair.", "故障仍在则送修。"),
                ],
            )
        elif h.printer_paper == "out":
            fid, title, cause, steps = (
                "printer-paper",
                T("Printer out of paper", "打印机缺纸"),
                T("The paper roll is empty; the printer itself is fine.", "纸卷已用完，打印机本身正常。"),
                [
                    T(
                        "Open the cover, insert a new roll (thermal side towards the head), close the cover.",
                        "打开仓盖，装入新纸卷（热敏面朝打印头），关好仓盖。",
                    )
                ],
            )
        elif h.printer_cover == "open":
            fid, title, cause, steps = (
                "printer-cover",
                T("Printer cover open", "打印机仓盖未关"),
                T(
                    "The cover sensor stops printing; paper and printer are fine.",
                    "仓盖传感器阻止打印，纸张和打印机正常。",
                ),
                [
                    T("Close the cover until it latches.", "关好仓盖直到卡紧。"),
                    T(
                        "If it opens by itself, the latch is worn: replace the cover.",
                        "若自行弹开则卡扣磨损，需更换仓盖。",
                    ),
                ],
            )
        else:
            fid, title, cause, steps = (
                "printer-overheat",
                T("Print head overheated", "打印头过热"),
                T(
                    f"The print head is at {h.printer_head_temp_c} °C and thermal protection stops printing. The "
                    "printer is not broken: do not order a printer module.",
                    f"打印头温度 {h.printer_head_temp_c}°C，过热保护停止打印。打印机并未损坏，不要更换打印模块。",
                ),
                [
                    T(
                        "Let the terminal cool down; move it out of the sun or away from heat.",
                        "让终端冷却；避开阳光直射和热源。",
                    ),
                    T("If it overheats again at room temperature, send it for repair.", "若常温下再次过热则送修。"),
                ],
            )
        b.add(
            fid,
            "high",
            "high",
            title,
            cause,
            ["hardware.printer"],
            [
                act.manual(
                    fid.replace("printer-", "fix-printer-"), title, steps, T("A test page prints.", "测试页可以打印。")
                ),
                after,
            ],
        )
    if b.status("hardware.printer") == "warn" and h.printer_paper == "low":
        b.add(
            "printer-paper-low",
            "low",
            "high",
            T("Printer paper running low", "打印纸将尽"),
            T("The paper roll is nearly empty; receipts stop when it runs out.", "纸卷即将用完，用完后无法打印小票。"),
            ["hardware.printer"],
            [
                act.manual(
                    "replace-roll",
                    T("Replace the paper roll", "更换纸卷"),
                    [T("Put in a new roll and leave a spare with the merchant.", "装入新纸卷，并给商户留一卷备用。")],
                    T("The paper state reads ok.", "纸张状态正常。"),
                )
            ],
        )
    for check_id, fid, title, cause in (
        (
            "hardware.magstripe",
            "magstripe-fault",
            T("Magstripe reader faulty", "磁条卡阅读器故障"),
            T(
                "The magstripe reader does not respond; chip and contactless still work.",
                "磁条卡阅读器无响应；IC 卡和非接仍可用。",
            ),
        ),
        (
            "hardware.ic_reader",
            "ic-fault",
            T("Chip (IC) reader faulty", "IC 卡阅读器故障"),
            T("The chip reader reports a fault.", "IC 卡阅读器报告故障。"),
        ),
        (
            "hardware.contactless",
            "contactless-fault",
            T("Contactless reader faulty", "非接阅读器故障"),
            T("The contactless reader reports a fault.", "非接阅读器报告故障。"),
        ),
        (
            "hardware.keypad",
            "keypad-fault",
            T("Keypad faulty", "键盘故障"),
            T("The keypad reports a fault.", "键盘报告故障。"),
        ),
        (
            "hardware.display",
            "display-fault",
            T("Display faulty", "显示屏故障"),
            T("The display reports a fault.", "显示屏报告故障。"),
        ),
    ):
        if b.failed(check_id):
            b.add(
                fid,
                "high",
                "high",
                title,
                cause,
                [check_id],
                [
                    act.manual(
                        "repair-" + fid.removesuffix("-fault"),
                        T("Have the part repaired", "送修该部件"),
                        [
                            T(
                                "Restart the terminal; if the fault stays, order the repair.",
                                "重启终端；故障仍在则安排维修。",
                            ),
                            T(
                                "The merchant can keep trading with the other card readers meanwhile.",
                                "维修期间商户可使用其他读卡方式交易。",
                            ),
                        ],
                        T("The part reads 'ok' and its test passes.", "该部件状态正常，测试通过。"),
                    )
                ],
            )
    card = r.self_tests.get("card-reader")
    if (
        card is not None
        and card.result == "fail"
        and card.card_type == "magstripe"
        and card.tracks_read
        and 2 not in card.tracks_read
    ):
        b.add(
            "track2-unreadable",
            "high",
            "high",
            T("Track 2 unreadable", "读不到二磁道"),
            T(
                f"The swipe read tracks {', '.join(map(str, card.tracks_read))} but not track 2, which carries the "
                "card number and expiry used for payment.",
                f"刷卡读到 {', '.join(map(str, card.tracks_read))} 磁道，但读不到二磁道（含卡号和有效期）。",
            ),
            ["selftest.card_reader"],
            [
                act.manual(
                    "clean-reader",
                    T("Clean the magstripe head, then replace the reader if needed", "清洁磁头，必要时更换读卡器"),
                    [
                        T("Swipe a cleaning card through the slot a few times.", "用清洁卡在刷卡槽中刷几次。"),
                        T("Run the card reader test again.", "再次进行读卡测试。"),
                        T(
                            "If track 2 is still missing, replace the magstripe reader.",
                            "若仍读不到二磁道，更换磁条卡阅读器。",
                        ),
                    ],
                    T("The card reader test reads tracks 1, 2 and 3.", "读卡测试读到 1、2、3 磁道。"),
                )
            ],
        )
    elif card is not None and card.result == "fail" and "magstripe-fault" not in b.findings:
        b.add(
            "magstripe-fault",
            "high",
            "medium",
            T("Card reader test failed", "读卡测试失败"),
            T(f"The card reader test failed: {card.detail}.", "读卡测试失败（终端报告见检查清单）。"),
            ["selftest.card_reader"],
            [
                act.manual(
                    "retest-reader",
                    T("Test the reader again, then have it repaired", "重新测试读卡器，必要时送修"),
                    [
                        T(
                            "Swipe another card you know is good, in one steady movement.",
                            "换一张确认完好的卡，匀速一次刷过。",
                        ),
                        T("Clean the magstripe head with a cleaning card.", "用清洁卡清洁磁头。"),
                        T("If the test still fails, have the reader repaired.", "若仍失败，送修读卡器。"),
                    ],
                    T("The card reader test passes.", "读卡测试通过。"),
                )
            ],
        )
    keypad = r.self_tests.get("keypad")
    if keypad is not None and keypad.result == "fail":
        missing = " ".join(keypad.keys_missing)
        b.add(
            "keypad-fault",
            "high",
            "high",
            T(f"Keys do not register: {missing}", f"按键失灵：{missing}"),
            T(
                f"The keypad test did not see {missing}. The keypad is "
                "part of the secure PIN pad: do not open it on site.",
                f"按键测试未检测到 {missing}。键盘属于安全密码键盘，不要现场拆开。",
            ),
            ["selftest.keypad"],
            [
                act.manual(
                    "repair-keypad",
                    T("Send the terminal for keypad repair", "送修键盘"),
                    [
                        T(
                            "Do not open the terminal: opening it fires the tamper switch.",
                            "不要拆机：拆机会触发防拆。",
                        ),
                        T(
                            "Give the merchant a replacement if available; send the terminal for repair.",
                            "如有备机则更换，原机送修。",
                        ),
                    ],
                    T("The keypad test registers every key.", "按键测试检测到全部按键。"),
                )
            ],
        )
    if b.status("hardware.battery") in ("fail", "warn"):
        worn = b.failed("hardware.battery")
        steps = []
        if worn:
            steps.append(T("Replace the battery (it is worn).", "更换电池（已老化）。"))
        if not h.charging:
            steps.append(
                T(
                    "Check the charger and the base's contacts: the terminal is not charging.",
                    "检查充电器和底座触点：终端未在充电。",
                )
            )
        b.add(
            "battery-worn" if worn else "battery-low",
            "medium",
            "high",
            T(
                "Battery worn" + (" and not charging" if not h.charging else ""),
                "电池老化" + ("且未充电" if not h.charging else ""),
            )
            if worn
            else T("Battery low and not charging", "电量低且未充电"),
            T(
                f"Battery health {h.battery_health_pct} % after {h.battery_cycles} cycles, {h.battery_level_pct} % "
                f"charge, charging: {'yes' if h.charging else 'no'}. The terminal will shut down mid-transaction.",
                f"电池健康度 {h.battery_health_pct}%，循环 {h.battery_cycles} 次，电量 {h.battery_level_pct}%，"
                f"{'正在' if h.charging else '未'}充电。终端可能在交易中关机。",
            ),
            ["hardware.battery"],
            [
                act.manual(
                    "battery",
                    T("Replace the battery / fix charging", "更换电池/修复充电"),
                    steps,
                    T("The terminal charges on its base and holds its charge.", "终端在底座上充电并能保持电量。"),
                )
            ],
        )


def _counters(b: _Builder) -> None:
    r = b.r
    if b.status("counters.log") in ("fail", "warn") or b.status("hardware.storage") in ("fail",):
        c = r.counters
        log_full = b.status("counters.log") in ("fail", "warn")
        b.add(
            "log-full" if log_full else "storage-full",
            "high" if b.failed("counters.log", "hardware.storage") else "medium",
            "high",
            T("Transaction log nearly full", "交易流水存储将满")
            if log_full
            else T("Storage nearly full", "存储空间将满"),
            T(
                f"{c.transaction_log_used if c else '?'} of {c.transaction_log_capacity if c else '?'} log entries are "
                "used; at the limit the terminal stops trading. The log empties at settlement, which has not run.",
                f"交易流水已用 {c.transaction_log_used if c else '?'}/{c.transaction_log_capacity if c else '?'} 笔，"
                "满后终端停止交易。结算后清空，但一直未结算。",
            )
            if log_full
            else T(
                "The terminal's storage is nearly full although the transaction log is not: logs, images or "
                "downloaded files fill it. Updates and downloads will fail.",
                "交易流水未满但终端存储空间将满：日志、图片或下载文件占满空间，升级和下载将失败。",
            ),
            ["counters.log", "hardware.storage", "counters.batch"],
            [
                _m_settle(),
                act.manual(
                    "settle-schedule",
                    T("Fix the automatic settlement time", "调整自动结算时间"),
                    [
                        T(
                            "Set the automatic settlement to a time the shop is open, or settle daily by hand.",
                            "将自动结算时间设在营业时间内，或每天手工结算。",
                        )
                    ],
                    T("The log use drops after settlement.", "结算后流水占用下降。"),
                ),
            ]
            if log_full
            else [
                act.manual(
                    "free-storage",
                    T("Free the terminal's storage", "清理终端存储空间"),
                    [
                        T(
                            "Remove old logs and unused downloads through the vendor's TMS or maintenance menu.",
                            "通过厂商 TMS 或维护菜单删除旧日志和无用的下载文件。",
                        ),
                        T(
                            "If it fills up again within days, send the terminal for service.",
                            "若几天内再次占满，送修。",
                        ),
                    ],
                    T("Free storage is above 15 %.", "剩余空间高于 15%。"),
                )
            ],
        )
    if b.status("counters.reversal") == "warn":
        b.add(
            "pending-reversal",
            "medium",
            "high",
            T("A reversal is pending", "有待发冲正"),
            T(
                "A timed-out sale left a reversal queued; the terminal sends it before its next transaction or "
                "settlement. It "
                "protects the cardholder from a double charge: let it go through, never delete it.",
                "一笔超时交易留下冲正，终端会在下一笔交易前发送。它防止持卡人被重复扣款：应让其成功上送，不要删除。",
            ),
            ["counters.reversal", "network.terminal"],
            [
                act.manual(
                    "send-reversal",
                    T("Let the reversal reach the host", "让冲正成功上送"),
                    [
                        T("Make sure the terminal reaches its host (comm test).", "确认终端可连通主机（通讯测试）。"),
                        T(
                            "Let the merchant run the next transaction or the settlement: the terminal sends the "
                            "reversal before it.",
                            "让商户做下一笔交易或结算：终端会先发送冲正。",
                        ),
                    ],
                    T("The counters show no reversal waiting any more.", "交易计数显示已无待发冲正。"),
                ),
            ],
        )
    if b.status("counters.batch") == "warn" and not b.findings.get("log-full"):
        b.add(
            "open-batch",
            "low",
            "high",
            T("Open batch blocks parameter changes", "未结算，无法修改参数"),
            T(
                f"{r.counters.unsettled_transactions} transactions are unsettled. The terminal refuses TID, MID and "
                "host changes until the batch is settled, so the merchant's money is not orphaned.",
                f"有 {r.counters.unsettled_transactions} "
                "笔交易未结算。结算前终端拒绝修改终端号、商户号和主机，以免商户资金无法清算。",
            ),
            ["counters.batch"],
            [_m_settle()],
        )


def _identity(b: _Builder) -> None:
    if b.status("identity.firmware") == "warn" or b.status("identity.app") == "warn":
        b.add(
            "firmware-not-approved",
            "medium",
            "high",
            T("Software version not approved by the acquirer", "软件版本未经收单行认证"),
            T(
                "The firmware or the payment application is not among the versions the acquirer approved for this "
                "model; it may be refused or misbehave.",
                "固件或支付应用版本不在收单行为该型号认证的版本中，可能被拒绝或工作异常。",
            ),
            ["identity.firmware", "identity.app"],
            [
                act.manual(
                    "update-firmware",
                    T("Load an approved version", "更新到认证版本"),
                    [T("Load an approved version through the vendor's TMS.", "通过厂商 TMS 加载认证版本。")],
                    T("The identity shows an approved version.", "终端信息显示为认证版本。"),
                )
            ],
        )
    if b.failed("identity.serial") and "serial-not-bound" not in b.findings:
        wo, ident = b.ctx.work_order, b.r.identity
        b.add(
            "serial-not-bound",
            "medium",
            "medium",
            T("Not the device in the work order", "不是工单上的机具"),
            T(
                f"This is SN {ident.serial_number}; the work order names SN {wo.serial_number}. Make sure you are "
                "servicing the right terminal; after a swap the acquirer must rebind the TID.",
                f"本机序列号 {ident.serial_number}，工单为 "
                f"{wo.serial_number}。确认是否为要维护的终端；更换机具后需收单行重新绑定终端号。",
            ),
            ["identity.serial"],
            [
                act.manual(
                    "confirm-device",
                    T("Make sure this is the device of the work order", "确认是工单上的机具"),
                    [
                        T(
                            f"Read the serial number on the terminal's label and compare it with the work order "
                            f"(SN {wo.serial_number}).",
                            f"核对终端铭牌上的序列号与工单（序列号 {wo.serial_number}）。",
                        ),
                        T(
                            "If the merchant's terminal was replaced, ask the acquirer to bind the TID to this "
                            f"device (SN {ident.serial_number}) and have the work order corrected.",
                            f"若商户已更换机具，请收单行将终端号绑定到本机（序列号 {ident.serial_number}），"
                            "并更正工单。",
                        ),
                    ],
                    T(
                        "The serial number matches the work order, or the acquirer confirms the new binding.",
                        "序列号与工单一致，或收单行确认已重新绑定。",
                    ),
                )
            ],
        )


def _link_quality(b: _Builder) -> None:
    if b.status("link.quality") == "warn":
        b.add(
            "cable",
            "low",
            "medium",
            T("Maintenance cable damaged", "维护线缆损坏"),
            T(
                "Frames had to be resent or were garbled; the retries still got through. Retries hide a bad cable "
                "until the day they do not.",
                "有帧需要重发或出错，重发后仍能读取。重发会掩盖线缆问题，直到某天彻底失败。",
            ),
            ["link.quality"],
            [
                act.manual(
                    "swap-cable",
                    T("Swap the maintenance cable", "更换维护线缆"),
                    [T("Use another cable and adapter and read again.", "换一根线缆和转接器重新读取。")],
                    T("Link quality shows no resends.", "连接质量显示无重发。"),
                )
            ],
        )


def _link_refused(b: _Builder) -> bool:
    """The terminal's network refused it (COMM_TEST LINK_FAILURE): a wrong APN or a wrong Wi-Fi password.

    Both differ from a missing setting (``no-apn``, ``no-wifi``): the value is set, the network answers,
    and says no. Returns True when it added the finding.
    """
    r, ctx = b.r, b.ctx
    ct, p = r.comm_test, r.parameters
    if ct is None or ct.link_failure not in ("data-rejected", "wifi-auth-failed"):
        return False
    dbm = f"{ct.signal_dbm} dBm" if ct.signal_dbm is not None else "signal not reported"
    dbm_zh = f"{ct.signal_dbm} dBm" if ct.signal_dbm is not None else "信号未报告"
    if ct.link_failure == "data-rejected":
        apn = p.apn if p is not None else ""
        wanted, source = expected_apn(ctx)
        if wanted and wanted.lower() != apn.lower():
            where = T(
                f" {source[:1].upper() + source[1:]} gives the APN '{wanted}'.",
                f"{_source_zh(source)}中的 APN 为“{wanted}”。",
            )
            first = T(
                f"Set the APN to '{wanted}' (from {source}) in 通讯参数设置; the terminal has '{apn}'.",
                f"在“通讯参数设置”中把 APN 改为“{wanted}”（来自{_source_zh(source)}）；终端现为“{apn}”。",
            )
        else:
            where = T(
                " Neither the work order nor the acquirer profile gives the right APN: ask the acquirer or the "
                "SIM's operator.",
                "工单和收单行配置均未给出正确的 APN：请向收单行或 SIM 卡运营商确认。",
            )
            first = T(
                f"Ask the acquirer or the SIM's operator for this SIM's APN (POS SIMs often use a private APN) and "
                f"enter it in 通讯参数设置; the terminal has '{apn}'.",
                f"向收单行或 SIM 卡运营商确认此 SIM 卡的 APN（POS 常用专网 APN），在“通讯参数设置”中输入；"
                f"终端现为“{apn}”。",
            )
        automatic = (
            act.write_parameters("fix-apn", T(f"Set the APN to {wanted}", f"将 APN 改为 {wanted}"), r, {"apn": wanted})
            if wanted and wanted.lower() != apn.lower()
            else None
        )
        b.add(
            "wrong-apn",
            "critical",
            "high",
            T(
                "APN set but the network refuses the data session: the APN is wrong",
                "APN 已设置但网络拒绝数据连接：APN 错误",
            ),
            T(
                f"The terminal is registered with {ct.network_name or 'its operator'} ({dbm}) and asks for a data "
                f"session with the APN '{apn}'; the network refuses it (PDP context rejected: unknown APN), so the "
                "terminal gets no IP address and reaches no host." + where.en,
                f"终端已注册到{ct.network_name or '运营商网络'}（{dbm_zh}），用 APN“{apn}”请求数据连接被网络拒绝"
                "（PDP 上下文被拒：APN 未知），因此没有 IP 地址，无法连接主机。" + where.zh,
            ),
            ["network.link", "params.comms", "network.terminal"],
            [
                automatic,
                act.manual(
                    "check-apn",
                    T("Set the SIM's APN at the terminal", "在终端上设置 SIM 卡的 APN"),
                    [
                        first,
                        T(
                            "Check that the SIM is the acquirer's POS SIM: a private APN works only with its own SIMs.",
                            "确认 SIM 卡是收单行提供的 POS 卡：专网 APN 只对其自己的 SIM 卡有效。",
                        ),
                        T(
                            "If the right APN is still refused, ask the operator whether the SIM's data service is "
                            "active (and its allowance not used up).",
                            "若正确的 APN 仍被拒绝，请向运营商确认 SIM 卡的数据业务已开通、流量未用完。",
                        ),
                    ],
                    T(
                        "The comm test shows the data session up, an address, and the hosts reached.",
                        "通讯测试显示数据连接正常、已获得地址、主机可达。",
                    ),
                ),
            ],
        )
        return True
    ssid = ct.network_name or (p.wifi_ssid if p is not None else "")
    b.add(
        "wifi-auth",
        "critical",
        "high",
        T("Wi-Fi password rejected", "Wi-Fi 密码被拒绝"),
        T(
            f"The terminal finds its Wi-Fi network '{ssid}' ({dbm}), but the network refuses the password stored in "
            "the terminal, so it never joins: no address, no host. Usually the router's password was changed.",
            f"终端能找到 Wi-Fi“{ssid}”（{dbm_zh}），但网络拒绝终端保存的密码，无法加入：没有地址，无法连接主机。"
            "通常是路由器密码被修改过。",
        ),
        ["network.link", "network.terminal"],
        [
            act.manual(
                "wifi-password",
                T("Enter the Wi-Fi password again at the terminal", "在终端上重新输入 Wi-Fi 密码"),
                [
                    T(
                        f"Ask the merchant for the current password of '{ssid}' (the router's label or its settings).",
                        f"向商户索取“{ssid}”的当前密码（路由器标签或设置中）。",
                    ),
                    T(
                        "Enter it in the terminal's 通讯参数设置 (Wi-Fi); the maintenance cable cannot read or write "
                        "Wi-Fi passwords.",
                        "在终端的“通讯参数设置”（Wi-Fi）中输入；维护线无法读取或写入 Wi-Fi 密码。",
                    ),
                    T(
                        "If the right password is still refused: the router's security must be one the terminal "
                        "supports (WPA2-PSK; many terminals cannot join WPA3-only networks), and MAC filtering must "
                        "let the terminal in.",
                        "若正确密码仍被拒绝：路由器加密方式须为终端支持的（WPA2-PSK；许多终端无法加入仅 WPA3 的网络），"
                        "且 MAC 过滤须允许终端接入。",
                    ),
                ],
                T(
                    "The comm test shows the Wi-Fi joined, an address, and the hosts reached.",
                    "通讯测试显示已连接 Wi-Fi、已获得地址、主机可达。",
                ),
            )
        ],
    )
    return True


def _source_zh(source: str) -> str:
    """'work order WO-1' -> '工单 WO-1'; 'acquirer profile demo' -> '收单行配置 demo'."""
    if source.startswith("work order "):
        return "工单 " + source.removeprefix("work order ")
    if source.startswith("acquirer profile "):
        return "收单行配置 " + source.removeprefix("acquirer profile ")
    return source


def _link_noisy(b: _Builder) -> bool:
    """The link failed part-way and the laptop saw damaged frames: the cable, not the terminal.

    A hung terminal goes quiet (the laptop resends into silence); a noisy cable
    delivers frames the laptop must reject (NAK), bytes that make no frame, or
    the terminal's NAKs of the laptop's damaged frames. Returns True when it
    added the finding (the reading stopped there).
    """
    r = b.r
    # what stopped the reading: a link failure, or a frame refused three times where the run cannot go on
    stopped = [e for e in r.errors.values() if is_link_failure(e)]
    stopped += [
        e
        for step, e in r.errors.items()
        if step in ("identity", "login") and e.error_type == "ProtocolError" and "NAK" in e.message
    ]
    failure = stopped[0] if stopped else None
    if failure is None or failure.error_type == "Disconnected" or r.hello is None:
        return False
    stats = r.link_stats
    rejected, noise = stats.get("naks_sent", 0), stats.get("garbage_bytes", 0)
    refused_by_terminal = any(e.error_type == "ProtocolError" and "NAK" in e.message for e in r.errors.values())
    if not (rejected or noise or refused_by_terminal):
        return False
    resent = stats.get("retransmissions", 0)
    b.add(
        "link-noisy",
        "critical",
        "high",
        T("The maintenance cable is too noisy to finish reading", "维护线缆干扰严重，无法完成读取"),
        T(
            f"The terminal answered, but its frames kept arriving damaged ({resent} resent, {rejected} rejected, "
            f"{noise} bytes of noise) until the retries ran out: the cable or its adapter, not the terminal. "
            "What was not read before that is not tested.",
            f"终端有应答，但数据帧反复损坏（重发 {resent} 帧，拒收 {rejected} 帧，噪声 {noise} 字节），"
            "重试用尽：问题在线缆或转接器，不在终端。此前未读取的项目均未检测。",
        ),
        ["link.quality", "link.connect", "link.login"],
        [
            act.manual(
                "swap-cable",
                T("Replace the maintenance cable, then run the diagnosis again", "更换维护线缆后重新诊断"),
                [
                    T(
                        "Use the vendor's cable and adapter: no extension, no unpowered USB hub.",
                        "使用厂商原装线缆和转接器：不要加延长线，不要用无源 USB 集线器。",
                    ),
                    T(
                        "Keep the cable away from motors, compressors and power supplies.",
                        "线缆远离电机、压缩机和电源。",
                    ),
                    T("Run the diagnosis again.", "重新运行诊断。"),
                ],
                T(
                    "The diagnosis completes and link quality shows no resends.",
                    "诊断顺利完成，连接质量显示无重发。",
                ),
            )
        ],
        extra_evidence=[_said(failure)],
    )
    return True


def _baud(b: _Builder) -> None:
    if b.r.baud_mismatch is None:
        return
    tried, found = b.r.baud_mismatch
    b.add(
        "baud-mismatch",
        "low",
        "high",
        T(f"Maintenance port runs at {found} baud, not {tried}", f"维护口波特率为 {found}，不是 {tried}"),
        T(
            f"Nothing answered at {tried} baud; the terminal answered at {found}. This diagnosis ran at {found}.",
            f"{tried} 波特率下无应答；终端在 {found} 波特率下应答，本次诊断使用 {found}。",
        ),
        ["link.connect"],
        [
            act.manual(
                "set-baud",
                T(f"Connect at {found} baud next time", f"下次按 {found} 波特率连接"),
                [
                    T(
                        f"Use --baud {found} (or choose {found} in the app) for this terminal.",
                        f"此终端使用 --baud {found}（或在程序中选择 {found}）。",
                    )
                ],
                T("The terminal answers at once.", "终端立即应答。"),
            )
        ],
        extra_evidence=[T(f"answered at {found} baud after silence at {tried}", f"{tried} 无应答，{found} 有应答")],
    )


def _institution_words(s, prof) -> Text:
    """The words "; the answer came from institution X, not <acquirer>'s Y" (field 32 against the profile)."""
    return T(
        f"; the answer came from institution {s.acquirer_id} (field 32 of the 0810), not {prof.name.en}'s "
        f"{prof.institution_id}",
        f"；应答来自机构 {s.acquirer_id}（0810 的 32 域），不是{prof.name.zh}的 {prof.institution_id}",
    )


def _test_status_answered(b: _Builder, code: str) -> bool:
    """A production host answered a message marked test as the acquirer's profile says it does.

    ``[header] test_status`` of the profile: ``refuse`` with ``test_status_code``, or
    ``route-to-test`` (the test system does not know production TIDs: 97). The hosts
    are the acquirer's production hosts and the answer came from the acquirer itself,
    so the header status, not the registration, explains the code. True when it did.
    """
    prof, s, r = b.ctx.profile, b.r.sign_on, b.r
    if prof is None or s is None or r.parameters is None or not b.failed("params.header"):
        return False
    if prof.host_role(s.host_address, s.host_port) != "production":
        return False
    if s.acquirer_id and s.acquirer_id != prof.institution_id:
        return False
    refused = prof.header.test_status == "refuse" and code == prof.header.test_status_code
    routed = prof.header.test_status == "route-to-test" and code == "97"
    if not (refused or routed):
        return False
    host = f"{hostport(s.host_address, s.host_port)}"
    how = (
        T(
            f"{prof.name.en} refuses messages marked test at its production hosts with {code} (acquirer profile)",
            f"{prof.name.zh}的生产主机以 {code} 拒绝标记为测试的报文（收单行配置）",
        )
        if refused
        else T(
            f"{prof.name.en} hands messages marked test to its test system (acquirer profile), which does not "
            "know this production TID and answers 97",
            f"{prof.name.zh}将标记为测试的报文转给测试系统（收单行配置），测试系统没有此生产终端号，返回 97",
        )
    )
    b.add(
        "test-header",
        "critical",
        "high",
        T(f"Header status 'test': the production host answers {code}", f"状态设置为“测试”：生产主机返回 {code}"),
        T(
            f"The terminal signs on at {prof.name.en}'s production host {host}, but its message header says 'test' "
            "(状态设置: 测试). ",
            f"终端在{prof.name.zh}的生产主机 {host} 签到，但报文头状态为“测试”。",
        )
        + how
        + T(". Set the header status to normal and sign on again.", "。请将状态设置改为“正常”后重新签到。"),
        ["params.header", "signon", "params.hosts"],
        [act.header_normal(r)],
        procedure=[
            T(f"1. Did a host answer? Yes: {code} from {host}.", f"1. 主机是否应答？是：{host} 返回 {code}。"),
            T(
                "2. Right host? The production host, answered by the acquirer itself, but the header says test: "
                "that explains the code.",
                "2. 主机是否正确？是生产主机，且由收单行本身应答，但报文头状态为测试：应答码由此而来。",
            ),
        ],
    )
    return True


def _other_institution(b: _Builder) -> None:
    """The sign-on was answered, but field 32 names an institution other than the profile's acquirer.

    Whatever the host's address looks like, the answer came from another acquirer's
    system: the terminal is pointed at (or routed to) another acquirer. The 97/03
    procedure says so for a refusal; this rule covers any other answer, approvals included.
    """
    prof, s, r = b.ctx.profile, b.r.sign_on, b.r
    if prof is None or s is None or not s.response_code or not s.acquirer_id:
        return
    if s.acquirer_id == prof.institution_id or {"foreign-host", "test-host", "params-lost"} & set(b.findings):
        return
    approved = s.response_code == "00"
    b.add(
        "foreign-host",
        "critical" if not approved else "high",
        "high",
        T("Answered by another acquirer's system", "应答来自其他收单机构"),
        T(
            f"The terminal's sign-on at {hostport(s.host_address, s.host_port)} was answered {s.response_code}",
            f"终端在 {hostport(s.host_address, s.host_port)} 的签到返回 {s.response_code}",
        )
        + _institution_words(s, prof)
        + (
            T(
                ". The terminal trades with another acquirer: the merchant's money does not go through "
                f"{prof.name.en}.",
                f"。终端在与其他收单机构交易：商户资金不经过{prof.name.zh}。",
            )
            if approved
            else T(". That system does not serve this terminal.", "。该系统不为此终端服务。")
        ),
        ["signon", "params.hosts"],
        [act.point_at_production(r, prof)],
        passing_evidence=True,
    )


def _dukpt_key_set(b: _Builder) -> None:
    """A DUKPT terminal whose KSN names a key set the acquirer does not use: injected from another base key.

    Everything else looks right (sign-on, MAC-less messages), but every PIN the
    host decrypts under its own base key comes out wrong: 99 (PIN error) on
    every PIN transaction. Only a key injection facility can fix it: never a
    key typed or sent by techapp.
    """
    c = b.by_id.get("keys.dukpt_key_set")
    if c is None or c.status != "fail" or "key_set_ids" not in c.expected:
        return
    ksi = c.observed.get("key_set_id", "?")
    sets = ", ".join(c.expected["key_set_ids"])
    extra = []
    log = b.r.response_log or []
    nines = [e for e in log if e.code == "99"]
    if nines:
        extra.append(
            T(
                f"The terminal's log has {len(nines)} answers 99 (PIN error), the last at {nines[-1].time}",
                f"终端日志中有 {len(nines)} 次 99（PIN 错误），最近一次在 {nines[-1].time}",
            )
        )
    prof = b.ctx.profile
    name = prof.name if prof is not None else T("the acquirer", "收单行")
    action = act.manual(
        "reinject-dukpt",
        T("Re-inject the DUKPT key from the acquirer's base key", "用收单行的基础密钥重新注入 DUKPT 密钥"),
        [
            T(
                f"Do not use the terminal for PIN transactions: every PIN is answered 99. Its key set is {ksi}; "
                f"{name.en} uses {sets}.",
                f"暂停该终端的输密交易：所有 PIN 都会返回 99。终端密钥集为 {ksi}；{name.zh}使用 {sets}。",
            ),
            T(
                "Book a key injection with the acquirer's key injection facility (or send the terminal there): "
                f"the initial key is derived from {name.en}'s base key of key set {sets.split(', ')[0]}.",
                f"向收单行的密钥注入中心预约注入（或将终端送去）：初始密钥由{name.zh}密钥集 "
                f"{sets.split(', ')[0]} 的基础密钥派生。",
            ),
            T(
                "Keys are never typed in or sent by techapp: the injection is done under dual control at the facility.",
                "密钥绝不手工输入，也不由 techapp 发送：注入在注入中心双人控制下完成。",
            ),
        ],
        T(
            "After the injection the KSN starts with one of the acquirer's key sets and a PIN test transaction "
            "is answered 00.",
            "注入后 KSN 以收单行的密钥集开头，输密测试交易返回 00。",
        ),
    )
    b.add(
        "dukpt-key-set",
        "critical",
        "high",
        T("DUKPT key from another acquirer's base key", "DUKPT 密钥来自其他收单行的基础密钥"),
        T(
            f"The terminal's KSN names key set {ksi}, which {name.en} does not use ({sets}): its DUKPT key was "
            "injected from another base key. The host derives the PIN key from its own base key, so every PIN "
            "transaction is answered 99 (PIN error) while everything else looks right.",
            f"终端 KSN 的密钥集为 {ksi}，{name.zh}不使用该密钥集（{sets}）：DUKPT 密钥由其他基础密钥注入。"
            "主机用自己的基础密钥派生 PIN 密钥，因此所有输密交易都返回 99（PIN 错误），其他一切看似正常。",
        ),
        ["keys.dukpt_key_set"],
        [action],
        extra_evidence=extra,
    )


#: Findings a weak cellular signal explains when the laptop on the same site reaches the same hosts.
SIGNAL_EXPLAINS = ("primary-host-down", "backup-host-down", "host-unreachable", "host-misbehaves", "terminal-comms")


def _weak_signal(b: _Builder) -> None:
    """A weak cellular signal (check ``network.signal`` warn/fail): slow or failing host links, not a host fault.

    When the terminal's host failures are not seen from the laptop on the same
    site, the host is fine: those findings (a dead primary, an unreachable
    host) are folded into this one as evidence, and nothing is escalated to the
    acquirer. A host the laptop cannot reach either stays a host finding.
    """
    c = b.by_id.get("network.signal")
    if c is None or c.status not in ("warn", "fail"):
        return
    laptop = b.r.laptop_hosts or []
    laptop_fails = any(h.outcome != "ok" for h in laptop)
    explained = [] if laptop_fails else [f for f in SIGNAL_EXPLAINS if f in b.findings]
    extra = [
        T("Host failures seen by the terminal only: ", "仅终端侧出现的主机故障：") + b.findings[f].title
        for f in explained
    ]
    for f in explained:
        del b.findings[f]
    laptop_ok = bool(laptop) and not laptop_fails
    host_words = (
        T(
            " The laptop on the same site reaches the acquirer's hosts: the host is fine.",
            "笔记本在同一现场可连通收单行主机：主机正常。",
        )
        if laptop_ok
        else T("", "")
    )
    move = T(
        "Move the terminal (or its base) where the signal is stronger: near a window, away from metal shelves, "
        "fridges and the till's cabling; check the signal again in the terminal's comm status.",
        "把终端（或底座）移到信号更好的位置：靠近窗户，远离金属货架、冰柜和收银线缆；再在终端的通讯状态里查看信号。",
    )
    antenna = T(
        "If the terminal has an antenna socket, fit an external antenna (from the vendor) and place it high and "
        "outside any metal cabinet.",
        "如终端有天线接口，加装厂商提供的外置天线，放在高处并远离金属柜。",
    )
    fallback = T(
        "If the signal stays weak, switch the terminal to the shop's Wi-Fi or Ethernet (comm mode, with the "
        "acquirer's agreement) or ask the operator about coverage; the SIM and the APN are fine.",
        "如信号仍弱，经收单行同意后把终端改用商户的 Wi-Fi 或有线网络（通讯方式），"
        "或向运营商咨询覆盖；SIM 卡和 APN 无问题。",
    )
    action = act.manual(
        "improve-signal",
        T("Get the terminal a stronger signal", "改善终端信号"),
        [move, antenna, fallback],
        T(
            "The signal check passes (thresholds in docs/diagnosis.md) and the comm test reaches the hosts promptly.",
            "信号检查通过（阈值见 docs/diagnosis.md），通讯测试能及时连上主机。",
        ),
    )
    severity = "high" if c.status == "fail" else "medium"
    b.add(
        "weak-signal",
        severity,  # type: ignore[arg-type]
        "high",
        T("Weak cellular signal", "移动网络信号弱"),
        T(
            "The terminal's cellular signal is weak: sales are slow, and connections to the host time out or drop "
            "half-way. It is the radio at this spot, not the host, the SIM or the APN." + host_words.en,
            "终端的移动网络信号弱：交易变慢，连接主机超时或中途断开。原因是此处的无线信号，而不是主机、SIM 卡或 APN。"
            + host_words.zh,
        ),
        ["network.signal", "network.terminal"],
        [action],
        extra_evidence=extra,
    )


def _device_status(b: _Builder) -> None:
    """The terminal's own status (``Readings.device_status``) and a refused registration, as findings."""
    r = b.r
    hosts = r.comm_test.hosts if r.comm_test is not None else []
    if any(h.outcome == "not-registered" for h in hosts):
        b.add(
            "register-with-terminal",
            "high",
            "high",
            T("The terminal has not registered this register", "终端未登记此收银机"),
            T(
                "The terminal refuses its host contact (result 6B) until the cash register registers with it; "
                "after a restart or a new register it must be done again.",
                "终端拒绝联系主机（结果码 6B），直到收银机在终端上登记；终端重启或更换收银机后需重新登记。",
            ),
            ["network.terminal"],
            [act.register()],
        )
    refused = [h for h in hosts if h.outcome in ("refused", "timeout")]
    if refused and r.parameters is None and not b.findings.keys() & {"no-link", "host-unreachable", "dns", "tls"}:
        # a terminal that reports only the result of its host contact (no addresses to test from the laptop)
        said = "; ".join(h.detail for h in refused)
        b.add(
            "host-unreachable",
            "high",
            "medium",
            T("The terminal cannot reach its host", "终端连不上主机"),
            T(
                f"The terminal's host contact failed ({said}): the host is not ready or does not answer, or the "
                "network between them drops the connection.",
                f"终端联系主机失败（{said}）：主机未就绪或无应答，或两者之间的网络断开连接。",
            ),
            ["network.terminal"],
            [
                act.manual(
                    "check-host-path",
                    T("Check the way to the host", "检查到主机的线路"),
                    [
                        T(
                            "Check the terminal's network cable or Wi-Fi/cellular link and the shop router.",
                            "检查终端网线或 Wi-Fi/移动网络连接以及商户路由器。",
                        ),
                        T(
                            "Ask the acquirer or network provider whether their host is up and accepts this terminal.",
                            "询问收单机构或网络服务商其主机是否正常、是否接受此终端。",
                        ),
                    ],
                    T("The terminal's comm test reaches the host.", "终端通讯测试可以连通主机。"),
                )
            ],
        )
    s = r.device_status
    if s is None or s.condition in ("ready", "busy"):
        return
    check = ["terminal.status"]
    if s.condition == "initialisation-required":
        b.add(
            "initialisation-required",
            "high",
            "high",
            T("The terminal needs an initialisation", "终端需要初始化"),
            T(
                f"The terminal reports status {s.code} ({s.text}): it has no valid configuration from its host and "
                "refuses payments until it is initialised.",
                f"终端报告状态 {s.code}：没有来自主机的有效配置，初始化之前拒绝交易。",
            ),
            check,
            [act.initialise()],
        )
    elif s.condition == "clock-wrong":
        sync = act.sync_clock()
        sync.then_sign_on = False
        sync.verify = T("The terminal's own status reads ready afterwards.", "之后终端自身状态显示就绪。")
        b.add(
            "clock-drift",
            "medium",
            "high",
            T("Terminal clock is wrong", "终端时钟不准"),
            T(
                f"The terminal reports status {s.code} (date and time wrong): receipts and the day's closing carry "
                "the wrong date.",
                f"终端报告状态 {s.code}（日期时间错误）：小票和日结日期错误。",
            ),
            check,
            [sync],
        )
    elif s.condition in ("memory-full", "journal-full", "open-batch"):
        settle = act.settle_batch()
        settle.title = T("Close the day (end-of-day): the terminal sends its totals", "日结：终端上送总额")
        settle.verify = T("The terminal's own status reads ready afterwards.", "之后终端自身状态显示就绪。")
        b.add(
            "journal-full",
            "high",
            "high",
            T("The terminal's journal is full: close the day", "终端流水已满：需要日结"),
            T(
                f"The terminal reports status {s.code} ({s.text}): it takes no more payments until the day is closed "
                "and its journal emptied.",
                f"终端报告状态 {s.code}：日结并清空流水之前不再接受交易。",
            ),
            check,
            [settle],
        )
    elif s.condition == "printer-not-ready":
        b.add(
            "printer-fault",
            "medium",
            "high",
            T("The terminal's printer is not ready", "终端打印机未就绪"),
            T(
                f"The terminal reports status {s.code} (printer not ready): paper out, cover open or a jam.",
                f"终端报告状态 {s.code}（打印机未就绪）：缺纸、纸仓盖未关或卡纸。",
            ),
            check,
            [
                act.manual(
                    "fix-printer",
                    T("Make the printer ready", "让打印机就绪"),
                    [
                        T("Open the printer cover and put in a new paper roll.", "打开打印机盖，装入新纸卷。"),
                        T(
                            "Clear any jammed paper and close the cover until it clicks.",
                            "清除卡纸，把盖子压紧到听见咔嗒声。",
                        ),
                    ],
                    T("The terminal's own status reads ready.", "终端自身状态显示就绪。"),
                )
            ],
        )
    else:
        b.add(
            "terminal-out-of-order",
            "high",
            "medium",
            T("The terminal reports a fault", "终端报告故障"),
            T(
                f"The terminal reports status {s.code} ({s.text}).",
                f"终端报告状态 {s.code}（{s.text}）。",
            ),
            check,
            [
                act.manual(
                    "call-vendor",
                    T("Have the terminal repaired", "送修终端"),
                    [T("Call the terminal's vendor with the status code shown.", "带上显示的状态码联系终端厂商。")],
                    T("The terminal's own status reads ready.", "终端自身状态显示就绪。"),
                )
            ],
        )


RULES: list[Callable[[_Builder], object]] = [
    _tamper,
    _params_lost,
    _host_answer,
    _other_institution,
    _keys,
    _network,
    _routing,
    _dead_host,
    _identity_vs_order,
    _clock,
    _hardware,
    _counters,
    _identity,
    _link_quality,
    _baud,
    _dukpt_key_set,
    _device_status,
    _weak_signal,  # last: it reads what the host families concluded (issue 17)
]


def findings(r: Readings, checks: list[CheckResult], ctx: Context) -> list[Finding]:
    """Every finding, ranked: severity, then the family's priority, then confidence."""
    b = _Builder(r, checks, ctx)
    if _link(b):
        return sorted(b.findings.values(), key=Finding.rank_key)
    for rule in RULES:
        if rule is _tamper and _tamper(b):
            break
        if rule is not _tamper:
            rule(b)
    return sorted(b.findings.values(), key=Finding.rank_key)
