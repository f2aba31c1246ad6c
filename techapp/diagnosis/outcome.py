"""What did not run, and whether that matters: the untested list behind the outcome.

"Untested is not healthy" (``docs/diagnosis.md``, "Outcomes"): a run with no finding is
``healthy`` only when every test that bears on the terminal's health or on the merchant's
complaint ran. :func:`untested` lists the runner steps that did not run (skipped, ended in an
error, cancelled), leaving out those that are merely not applicable, each with why and how to
test it. :func:`complaint_steps` reads the work order's complaint (bilingual keyword table
:data:`COMPLAINT_KEYWORDS`) so that the matching untested test comes first and is marked.

Not applicable, never untested:

* a step that did not run because another step that *is* listed did not (the keys after a
  sign-on that did not run; the two ends compared when one end is missing);
* the laptop's check of the terminal's hosts when the terminal's own comm test reached every one
  of them (the laptop's view only helps to place a fault the terminal shows);
* checks inside a step that do not apply to this terminal or have nothing to compare with:
  ``keys.dukpt`` on a master/session terminal, ``keys.tmk_kcv`` under DUKPT or without a key
  sheet, comparisons without a work order or profile. They are not steps, so never listed;
* a step whose evidence the driver's protocol cannot give (cause ``not-available``, e.g. the
  payment parameters over ZVT): its checks show "skipped: not available over ZVT" in the
  checklist, never passed, but no run over that driver could ever test it, so listing it would
  make every such run "incomplete" with advice that cannot help. "Healthy" over such a driver
  means healthy as far as its protocol can tell; the checklist says what it could not see.
"""

from __future__ import annotations

import re

from .checks import STEP_OF_CHECK, STEP_OF_GROUP, Context
from .model import CheckResult, T, Text, Untested
from .runner import Readings, is_link_failure

#: The runner's steps in plan order, with the words a technician uses for them.
STEP_TITLES: dict[str, Text] = {
    "connect": T("Connection to the terminal", "与终端的连接"),
    "identity": T("Terminal identity", "终端信息"),
    "login": T("Maintenance login", "维护登录"),
    "device-status": T("Terminal's own status", "终端自身状态"),
    "hardware": T("Hardware state (printer, readers, keypad, battery)", "硬件状态（打印机、读卡器、键盘、电池）"),
    "parameters": T("Payment parameters", "终端参数"),
    "keys": T("Key status", "密钥状态"),
    "counters": T("Counters", "交易计数"),
    "logs": T("Response-code and error logs", "应答码和错误日志"),
    "card-reader": T("Card reader test", "读卡器测试"),
    "keypad": T("Keypad test", "键盘测试"),
    "comm-test": T("Terminal's comm test", "终端通讯测试"),
    "laptop-network": T("Laptop's check of the same hosts", "笔记本对同一主机的检查"),
    "sign-on": T("Sign-on (is the terminal registered with its host?)", "签到（终端是否已在主机登记）"),
    "keys-after": T("Keys after the sign-on", "签到后的密钥"),
}

#: The check that shows a step in the checklist (else the step's first check).
MAIN_CHECK = {
    "comm-test": "network.terminal",
    "laptop-network": "network.laptop",
    "sign-on": "signon",
    "keys-after": "keys.working",
    "connect": "link.connect",
}

#: The complaint's words (lower case; a regular expression each) and the steps they point at.
#: English and Chinese as merchants and dispatchers write them. Documented in docs/diagnosis.md.
COMPLAINT_KEYWORDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("card-reader",),
        (
            r"cards? (is |are )?not read",
            r"(cannot|can'?t|won'?t|doesn'?t|does not) read",
            r"swipe (does not|doesn'?t|fails|not)",
            r"card reader",
            r"magstripe",
            r"magnetic",
            r"chip card",
            r"contactless",
            r"\btap\b",
            r"读卡",
            r"读不",
            r"不读",
            r"刷不",
            r"刷卡(没|无)反应",
            r"磁条",
            r"挥卡",
            r"闪付",
        ),
    ),
    (
        ("keypad",),
        (
            r"keypad",
            r"keyboard",
            r"pin ?pad",
            r"button",
            r"\bkeys? (is |are )?(stuck|not working|don'?t work|do not work|dead)",
            r"stuck keys?",
            r"按键",
            r"键盘",
            r"按不",
            r"密码键盘",
        ),
    ),
    (
        ("hardware",),
        (
            r"print",
            r"receipt",
            r"paper",
            r"screen",
            r"display",
            r"battery",
            r"打印",
            r"小票",
            r"纸",
            r"屏",
            r"电池",
            r"充电",
        ),
    ),
    (
        ("sign-on", "keys-after"),
        (
            r"(?<!\d)97(?!\d)",
            r"(?<!\d)03(?!\d)",
            r"(?<![0-9a-z])a0(?![0-9a-z])",
            r"invalid terminal",
            r"invalid merchant",
            r"not registered",
            r"sign[- ]?on",
            r"log ?on",
            r"(?<![a-z])mac(?![a-z])",
            r"无效终端",
            r"无效商户",
            r"签到",
            r"未登记",
            r"密钥",
        ),
    ),
    (
        ("comm-test", "laptop-network", "sign-on"),
        (
            r"no connection",
            r"cannot connect",
            r"can'?t connect",
            r"connection failed",
            r"offline",
            r"time[- ]?out",
            r"timed out",
            r"network",
            r"no answer from",
            r"通讯",
            r"通信",
            r"网络",
            r"连接失败",
            r"联网",
            r"超时",
            r"断网",
            r"连不上",
        ),
    ),
)


def complaint_text(ctx: Context) -> str:
    """The work order's complaint; its ``notes`` when it has no ``complaint`` (older orders put it there)."""
    wo = ctx.work_order
    if wo is None:
        return ""
    return getattr(wo, "complaint", "") or wo.notes


#: Words that only say how the sale started ("刷卡显示无效终端 97": the card was read, the host refused):
#: they point at the card reader only when nothing else in the complaint is pointed at.
WEAK_CARD_WORDS = (r"swip", r"刷卡", r"插卡", r"\bcards?\b")


def complaint_steps(text: str) -> set[str]:
    """The runner steps a complaint points at, from :data:`COMPLAINT_KEYWORDS` (and :data:`WEAK_CARD_WORDS`)."""
    low = text.lower()
    steps: set[str] = set()
    for targets, patterns in COMPLAINT_KEYWORDS:
        if any(re.search(p, low) for p in patterns):
            steps.update(targets)
    if not steps and any(re.search(p, low) for p in WEAK_CARD_WORDS):
        steps.add("card-reader")
    return steps


def _step_of(check: CheckResult) -> str:
    return STEP_OF_CHECK.get(check.id, STEP_OF_GROUP.get(check.group, ""))


def _terminal_reached_every_host(r: Readings) -> bool:
    ct = r.comm_test
    return ct is not None and ct.link_up and bool(ct.hosts) and all(h.outcome == "ok" for h in ct.hosts)


def _laptop_checked_nothing(r: Readings) -> bool:
    """The laptop step ran but compared nothing: no addresses, or every check kept on loopback."""
    hosts = r.laptop_hosts
    return hosts is not None and (not hosts or all(getattr(c, "outcome", "") == "not-allowed" for c in hosts))


RUN_AGAIN = T("run the diagnosis again and let it finish", "重新诊断，并等待诊断完成")
RECONNECT = T(
    "check the cable and that the terminal shows its maintenance screen, then run the diagnosis again",
    "检查连接线，确认终端处于维护界面，然后重新诊断",
)


def CLI(en: str, zh: str) -> Text:  # noqa: N802 - reads like T()
    """A text only the command line shows (its options and commands): never in the window or a report."""
    return Text(en, zh)


def _person_how(step: str, cause: str) -> tuple[Text, Text | None]:
    act = (
        T("swipe a card through the reader", "在读卡器上刷一张卡")
        if step == "card-reader"
        else T("press every key once", "把每个键各按一次")
    )
    if cause == "not-interactive":
        return (
            T(
                "run the diagnosis again with the tests with a person on; when someone is at the terminal, "
                "answer the prompt, then ",
                "打开人工测试重新诊断；有人在终端前时回应提示，然后",
            )
            + act,
            CLI(
                "`techapp diagnose` in a terminal window, without --no-prompts",
                "在终端窗口中运行 techapp diagnose，不加 --no-prompts",
            ),
        )
    if cause == "no-answer":
        return (
            T(
                "run it again with someone at the terminal and answer the prompt in time, then ",
                "有人在终端前时重新诊断，并及时回应提示，然后",
            )
            + act,
            CLI("answer with Enter; --person-timeout gives more time", "按回车回应；可用 --person-timeout 延长时间"),
        )
    return (
        T("run it again and answer the prompt, then ", "重新诊断并回应提示，然后") + act,
        CLI("answer with Enter", "按回车回应"),
    )


def _how(step: str, cause: str, r: Readings) -> tuple[Text, Text | None]:
    """How to test it, in words for any tool (report, window, command line), and the command line's
    own way of doing it (options, commands) when there is one."""
    if cause == "cancelled":
        return RUN_AGAIN, None
    if cause in ("link-closed", "no-greeting"):
        return RECONNECT, None
    if cause == "no-login":
        return (
            T(
                "log in with the right maintenance password (ask the acquirer or vendor), then run it again",
                "用正确的维护密码登录（向收单机构或厂商索取），然后重新诊断",
            ),
            None,
        )
    if cause == "tampered":
        return (
            T(
                "nothing can be tested on a tamper-locked terminal: it goes back to the vendor",
                "防拆锁定的终端无法现场测试：需返厂",
            ),
            None,
        )
    if step in ("card-reader", "keypad"):
        return _person_how(step, cause)
    if step == "sign-on":
        if cause == "no-sign-on":
            return (
                T(
                    "run it again with the terminal's sign-on on (the terminal then takes new working keys)",
                    "打开终端签到后重新诊断（终端会下载新的工作密钥）",
                ),
                CLI(
                    "run it again without --no-sign-on, or run `techapp network --sign-on`",
                    "去掉 --no-sign-on 重新诊断，或运行 techapp network --sign-on",
                ),
            )
        if cause == "no-host-reached":
            return (
                T(
                    "fix the terminal's network first (see the network checks), then run it again",
                    "先修复终端网络（见网络检查），再重新诊断",
                ),
                None,
            )
        return RUN_AGAIN, None
    if step == "laptop-network" and (cause == "no-addresses" or r.laptop_hosts == []):
        return (
            T(
                "the terminal's host addresses are needed first: read or enter them (see the findings), "
                "then run it again",
                "需要先有终端的主机地址：读取或输入主机地址（见发现的问题），然后重新诊断",
            ),
            None,
        )
    if step == "laptop-network":
        return (
            T(
                "run it again on site with the laptop on the shop's network and its checks on the real network",
                "在现场把笔记本接入商户网络，让笔记本检查使用真实网络后重新诊断",
            ),
            CLI("add --real-network", "加 --real-network"),
        )
    return (
        T(
            "run the diagnosis again; if it fails again, power-cycle the terminal and run it once more",
            "重新诊断；如再次失败，重启终端后再诊断一次",
        ),
        None,
    )


def _cause(step: str, r: Readings) -> str:
    err = r.errors.get(step)
    if err is not None:
        if err.error_type == "Cancelled":
            return "cancelled"
        return "link-closed" if is_link_failure(err) else "error"
    return r.skip_causes.get(step, "other")


def _reason(step: str, r: Readings) -> Text:
    err = r.errors.get(step)
    if err is not None:
        if err.error_type == "Cancelled":
            return T("cancelled by the user", "已被用户取消")
        return T(f"could not run: {err.said().en}", f"未能运行：{err.said().zh}")
    return r.skipped.get(step) or T("did not run", "未运行")


def _applies(step: str, r: Readings, cause: str) -> bool:
    """False for a step that did not run but is not applicable (module docstring)."""
    if cause == "not-available":
        return False  # the driver's protocol cannot give it: running again cannot test it either
    if step == "keys-after":
        return r.sign_on is not None  # no sign-on: the sign-on's own entry says it
    if step == "laptop-network":
        return not _terminal_reached_every_host(r)
    return True


def untested(r: Readings, checks: list[CheckResult], ctx: Context) -> list[Untested]:
    """The tests that did not run and bear on the terminal's health or the complaint, the complaint's first."""
    wanted = complaint_steps(complaint_text(ctx))
    by_step: dict[str, list[str]] = {}
    for c in checks:
        by_step.setdefault(_step_of(c), []).append(c.id)
    out: list[Untested] = []
    for step, title in STEP_TITLES.items():
        did_not_run = step in r.errors or step in r.skipped
        if step == "laptop-network" and not did_not_run and _laptop_checked_nothing(r):
            did_not_run = True
        if step in ("card-reader", "keypad") and step in r.self_tests:
            did_not_run = False  # it ran; a "skipped" recorded for it is from before a re-run
        if not did_not_run:
            continue
        cause = _cause(step, r)
        if not _applies(step, r, cause):
            continue
        ids = tuple(by_step.get(step, ()))
        check = MAIN_CHECK.get(step) or (ids[0] if ids else step)
        reason = _reason(step, r)
        if step == "laptop-network" and step not in r.skipped and step not in r.errors:
            reason = (
                T(
                    "the laptop's checks stayed on loopback (no --real-network)",
                    "笔记本检查仅限本机回环（未加 --real-network）",
                )
                if r.laptop_hosts
                else T("no host addresses to check", "没有可检查的主机地址")
            )
        how, command_line = _how(step, cause, r)
        out.append(Untested(step, check, title, reason, how, step in wanted, ids, command_line))
    out.sort(key=lambda u: not u.complaint)  # stable: the complaint's first, then plan order
    return out
