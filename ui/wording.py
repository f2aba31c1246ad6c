"""The diagnosis's words as the window says them: what to click, not which command-line option to give.

The diagnosis (techapp) writes for both the command line and the window; where
its advice names a command-line option (``--real-network``, ``--baud 9600``,
``techapp ports``, ``--no-sign-on``, ``--password-file``), the window names
the control that does the same. :func:`gui_text` is applied to every
diagnosis text the window shows.
"""

from __future__ import annotations

import re

from techapp.diagnosis.model import Text

from .i18n import lang

#: (pattern, replacement) in the order tried; the more specific first.
_EN: list[tuple[str, str]] = [
    (
        r"run `techapp diagnose` in a terminal window without --no-prompts \(or the desktop app with the person "
        r"tests on\)",
        "tick “Tests with a person (card swipe, keypad)” and click Diagnose again",
    ),
    (r"\(Enter, or Ready in the desktop app; --person-timeout gives more time\)", "(click “Ready, start test”)"),
    (r"\(Enter, or Ready in the desktop app\)", "(click “Ready, start test”)"),
    (r",? or run `techapp network --sign-on`", ""),
    (r"Use --baud (\d+) \(or choose \d+ in the app\)", r"Choose \1 in the Baud rate box"),
    (r"\(no --real-network\)", "(“Laptop checks use the real network” was off)"),
    (r"without --real-network", "without “Laptop checks use the real network”"),
    (r"(?:on site )?use --real-network", "on site tick “Laptop checks use the real network”"),
    (r"run with --real-network on site", "tick “Laptop checks use the real network” on site"),
    (r"and --real-network", "and “Laptop checks use the real network” ticked"),
    (r"--real-network", "“Laptop checks use the real network”"),
    (r"run it again without --no-sign-on", "run it again with “Sign-on (签到) by the terminal” ticked"),
    (r"\(--no-sign-on\)", "(“Sign-on (签到) by the terminal” was off)"),
    (r"--no-sign-on", "“Sign-on (签到) by the terminal” off"),
    (r",? or run the network check command with --sign-on", ""),
    (r"--sign-on", "“Sign-on (签到) by the terminal”"),
    (r"\(--baud (\d+)\)", r"(Baud rate \1)"),
    (r"--baud (\d+)", r"Baud rate \1"),
    (r"--baud", "the Baud rate box"),
    (r"\(techapp restore\)", "(Terminal > Restore a backup)"),
    (r"techapp restore", "Terminal > Restore a backup"),
    (r"\(techapp ports\)", "(the Port list)"),
    (r"techapp ports", "the Port list"),
    (
        r"typed at the prompt, in --password-file or in TECHAPP_PASSWORD",
        "typed in the Password box",
    ),
    (r"--password-file(?: or (?:in )?TECHAPP_PASSWORD)?", "the Password box"),
]
_ZH: list[tuple[str, str]] = [
    (
        r"在终端窗口中运行诊断命令（不加 --no-prompts），或在桌面程序中打开人工测试",
        "勾选“人工测试（刷卡、按键）”后再次点击“诊断”",
    ),
    (r"（按回车，或在桌面程序中点“开始”；可用 --person-timeout 延长时间）", "（点击“准备好了，开始测试”）"),
    (r"（按回车，或在桌面程序中点“开始”）", "（点击“准备好了，开始测试”）"),
    (r"使用 --baud (\d+)（或在程序中选择 \d+）", r"在“波特率”框中选择 \1"),
    (r"（未加 --real-network）", "（未勾选“笔记本检查使用真实网络”）"),
    (r"未指定 --real-network 时", "未勾选“笔记本检查使用真实网络”时"),
    (r"现场请(?:使用|加) --real-network ?", "现场请勾选“笔记本检查使用真实网络”"),
    (r"加 --real-network ?", "勾选“笔记本检查使用真实网络”后"),
    (r"--real-network", "“笔记本检查使用真实网络”"),
    (r"去掉 --no-sign-on ?", "勾选“终端签到”后"),
    (r"（--no-sign-on）", "（未勾选“终端签到”）"),
    (r"--no-sign-on", "未勾选“终端签到”"),
    (r"，?或运行网络检查命令并加 --sign-on", ""),
    (r"--sign-on", "“终端签到”"),
    (r"（--baud (\d+)）", r"（波特率 \1）"),
    (r"--baud (\d+)", r"波特率 \1"),
    (r"--baud", "“波特率”框"),
    (r"（可用 techapp restore 恢复）", "（可在“终端 → 恢复备份”中恢复）"),
    (r"（techapp restore）", "（“终端 → 恢复备份”）"),
    (r"techapp restore", "“终端 → 恢复备份”"),
    (r"（techapp ports）", "（“端口”列表）"),
    (r"techapp ports", "“端口”列表"),
    (r"在提示时输入，或用 --password-file 或 TECHAPP_PASSWORD", "在“密码”框中输入"),
    (r"--password-file(?: 或 TECHAPP_PASSWORD)?", "“密码”框"),
]
_COMPILED = {
    "en": [(re.compile(p), r) for p, r in _EN],
    "zh": [(re.compile(p), r) for p, r in _ZH],
}


def gui_words(text: str, language: str | None = None) -> str:
    """``text`` with its command-line advice put as what to click in the window."""
    if "--" not in text and "techapp " not in text and "desktop app" not in text and "桌面程序" not in text:
        return text
    for pattern, replacement in _COMPILED["zh" if (language or lang()) == "zh" else "en"]:
        text = pattern.sub(replacement, text)
    return text


def gui_text(text: Text | str | None, language: str | None = None) -> str:
    """A diagnosis text in the window's language, as the window says it."""
    if text is None:
        return ""
    language = language or lang()
    return gui_words(text(language) if isinstance(text, Text) else text, language)


__all__ = ["gui_text", "gui_words"]
