"""Errors in plain words, in Chinese and English: what went wrong and what to do about it.

Drivers raise typed errors that carry a message id, an action id and their
parameters (:class:`drivers.errors.TerminalError`); this module turns them,
and techapp's own errors, into :class:`~techapp.diagnosis.model.Text` a
technician can act on: no errno text, no internal ids, no parameter keys.

Advice names what to do where the person is (``where``): the desktop app's
words ("choose the speed in the Baud rate box", ``"gui"``, the default), the
command line's (``--baud``, ``"cli"``), or neither (``"report"``: a diagnosis
report read in both).
"""

from __future__ import annotations

import sys
from typing import Any

from drivers.errors import TerminalError

from .diagnosis.model import T, Text

#: The Linux command that lets the user open serial ports (shown as it is, in both languages).
DIALOUT_COMMAND = "sudo usermod -aG dialout $USER"

#: Payment parameters by their names on the terminal's menus (the desktop app's labels).
PARAMETER_TEXT: dict[str, Text] = {
    "tid": T("Terminal ID (TID)", "终端号（TID）"),
    "mid": T("Merchant ID (MID)", "商户号（MID）"),
    "merchant_name": T("merchant name", "商户名称"),
    "acquirer_id": T("acquirer ID", "收单机构代码"),
    "primary_host": T("primary host", "主机地址"),
    "primary_port": T("primary host port", "主机端口"),
    "backup_host": T("backup host", "备用主机"),
    "backup_port": T("backup host port", "备用主机端口"),
    "tls": T("TLS", "TLS"),
    "tpdu": T("TPDU", "TPDU"),
    "header_status": T("header status", "报文头处理要求"),
    "comm_mode": T("comm mode", "通讯方式"),
    "apn": T("APN", "APN"),
    "wifi_ssid": T("Wi-Fi network (SSID)", "Wi-Fi 网络（SSID）"),
    "dns_primary": T("primary DNS", "首选 DNS"),
    "dns_secondary": T("secondary DNS", "备用 DNS"),
    "connect_timeout_s": T("connect timeout", "连接超时"),
    "response_timeout_s": T("response timeout", "应答超时"),
    "stan": T("STAN (trace number)", "流水号（STAN）"),
    "batch": T("batch number", "批次号"),
    "clock": T("clock", "时钟"),
}

#: What the laptop was doing (``TerminalError.action_id``), said as the start of a sentence.
_ACTIONS: dict[str, Text] = {
    "open-port": T("Opening the port", "打开端口时"),
    "greet": T("Greeting the terminal", "与终端握手时"),
    "login": T("Logging in to maintenance mode", "登录维护模式时"),
    "logout": T("Logging out of maintenance mode", "退出维护模式时"),
    "read-identity": T("Reading the terminal's identity", "读取终端信息时"),
    "read-parameters": T("Reading the payment parameters", "读取终端参数时"),
    "read-keys": T("Reading the key status", "读取密钥状态时"),
    "read-hardware": T("Reading the hardware status", "读取硬件状态时"),
    "read-counters": T("Reading the counters", "读取交易计数时"),
    "write-parameters": T("Writing the payment parameters", "写入终端参数时"),
    "set-clock": T("Setting the terminal's clock", "设置终端时钟时"),
    "print": T("Printing on the terminal", "在终端上打印时"),
    "reboot": T("Restarting the terminal", "重启终端时"),
    "comm-test": T("Running the terminal's communication test", "运行终端通讯测试时"),
    "sign-on": T("Signing on to the host", "向主机签到时"),
    "settle": T("Settling the batch", "结算时"),
}
_LOGS = {"response-codes": T("response code log", "应答码记录"), "errors": T("error log", "错误日志")}
_TESTS = {
    "printer": T("printer", "打印机"),
    "card-reader": T("card reader", "读卡器"),
    "keypad": T("keypad", "键盘"),
}


def plural(n: int, one: str, many: str) -> str:
    """English count with its noun: "1 try", "3 tries"."""
    return f"{n} {one if n == 1 else many}"


def duration(seconds: int | float | None) -> Text:
    """A wait in minutes and seconds: "2 minutes 5 seconds" / "2 分 5 秒"."""
    s = max(0, int(seconds or 0))
    m, s = divmod(s, 60)
    if m and s:
        return T(f"{plural(m, 'minute', 'minutes')} {plural(s, 'second', 'seconds')}", f"{m} 分 {s} 秒")
    if m:
        return T(plural(m, "minute", "minutes"), f"{m} 分钟")
    return T(plural(s, "second", "seconds"), f"{s} 秒")


def parameter_text(name: str | None) -> Text:
    """A parameter key (``tid``) by the name a person knows; an unknown key as "a parameter"."""
    if name and name in PARAMETER_TEXT:
        return PARAMETER_TEXT[name]
    return T("a parameter", "某个参数")


def _action(action_id: str | None, params: dict[str, Any]) -> Text | None:
    if action_id == "read-log":
        log = _LOGS.get(str(params.get("log")), T("log", "日志"))
        return T(f"Reading the {log.en}", f"读取{log.zh}时")
    if action_id == "self-test":
        test = _TESTS.get(str(params.get("test")), T("self", "自检"))
        return T(f"Running the {test.en} test", f"进行{test.zh}测试时")
    return _ACTIONS.get(action_id or "")


def _port(params: dict[str, Any]) -> str:
    return str(params.get("port") or "")


def _message(msg_id: str, params: dict[str, Any], where: str) -> Text | None:  # noqa: C901 - one table
    """The plain text of one message id, or None for an id this table does not know."""
    port = _port(params)
    cli = where == "cli"
    report = where == "report"
    if msg_id == "port-none":
        return (
            T(
                "No port given: name the terminal's port (techapp ports lists them).",
                "未指定端口：请给出终端所在的端口（techapp ports 可列出端口）。",
            )
            if cli
            else T(
                "No port chosen: choose the terminal's port in the Port list.",
                "未选择端口：请在“端口”列表中选择终端所在的端口。",
            )
        )
    if msg_id == "port-not-found":
        pick = (
            T("Then run techapp ports to see the ports.", "然后运行 techapp ports 查看端口。")
            if cli
            else T("Then choose the port again.", "然后重新选择端口。")
            if report
            else T("Then choose the port again in the Port list.", "然后在“端口”列表中重新选择端口。")
        )
        driver = (  # Windows lists a USB terminal as a COM port only once its USB driver is installed
            T(
                " If it is not listed, install the terminal's USB driver (Device Manager shows the terminal "
                "under Ports (COM & LPT) once it is installed).",
                "如果列表中没有它，请安装终端的 USB 驱动程序（安装后设备管理器的“端口 (COM 和 LPT)”下会显示该终端）。",
            )
            if sys.platform == "win32"
            else T("", "")
        )
        return (
            T(
                f"The port {port} is not there. Is the terminal's data cable plugged in, "
                "the terminal switched on and in maintenance mode? ",
                f"找不到端口 {port}。请确认终端的数据线已插好、终端已开机并进入维护模式，",
            )
            + pick
            + driver
        )
    if msg_id == "port-permission":
        if sys.platform.startswith("linux"):
            return T(
                f"This user may not open {port}. On Linux, serial ports belong to the dialout group: "
                f"run {DIALOUT_COMMAND} in a terminal window, then log out and log in again.",
                f"当前用户无权打开 {port}。在 Linux 上串口属于 dialout 组：请在终端窗口中运行 "
                f"{DIALOUT_COMMAND}，然后注销并重新登录。",
            )
        if sys.platform == "win32":  # "Access is denied" on a COM port: another program holds it
            return T(
                f"Windows refuses to open {port}: another program has it open (a serial terminal program, the "
                "terminal vendor's tool or another techapp window). Close that program, then connect again.",
                f"Windows 拒绝打开 {port}：另一个程序正在使用它"
                "（例如串口调试程序、终端厂商的工具或另一个 techapp 窗口）。请关闭该程序，然后重新连接。",
            )
        return T(
            f"This user may not open {port}: ask the laptop's administrator for access to serial ports.",
            f"当前用户无权打开 {port}：请联系笔记本电脑的管理员开放串口权限。",
        )
    if msg_id == "port-busy":
        return T(
            f"Another program is using {port} (for example ModemManager, a serial terminal program or another "
            "techapp window). Close that program, then connect again.",
            f"另一个程序正在使用 {port}（例如 ModemManager、串口调试程序或另一个 techapp 窗口）。"
            "请关闭该程序，然后重新连接。",
        )
    if msg_id == "port-bad-url":
        return T(
            f"{port} is not a port or address techapp can open: choose the port from the list.",
            f"{port} 不是 techapp 能打开的端口或地址：请从列表中选择端口。",
        )
    if msg_id == "sim-failed":
        return T(
            "The simulated terminal could not start: choose one of the listed scenarios.",
            "模拟终端无法启动：请选择列表中的场景。",
        )
    if msg_id in ("port-not-available", "port-url-failed"):
        return T(
            f"The port {port} could not be opened. Unplug the cable, plug it in again, then connect again.",
            f"无法打开端口 {port}。请拔下数据线再重新插上，然后重新连接。",
        )
    if msg_id == "not-supported":
        return T(
            "The terminal's protocol cannot do this; it was not asked.",
            "终端的协议无法执行此操作；未向终端发出请求。",
        )
    if msg_id == "driver-unavailable":
        return T(
            "The terminal driver could not be loaded: install techapp again.",
            "无法加载终端驱动：请重新安装 techapp。",
        )
    if msg_id == "link-lost":
        again = (
            T("run the command again", "重新运行命令")
            if cli
            else T("connect again", "重新连接")
            if report
            else T("click Reconnect", "点击“重新连接”")
        )
        return T(
            "The link to the terminal was lost: the cable was pulled or the adapter went away. "
            f"Plug it in again and {again.en}.",
            f"与终端的连接已断开：数据线被拔出或转接器已断开。请重新插好，然后{again.zh}。",
        )
    if msg_id == "link-closed":
        return T("The link to the terminal is closed: connect again.", "与终端的连接已关闭：请重新连接。")
    if msg_id == "no-answer":
        return T(
            "The terminal did not answer. Is it switched on and in maintenance mode? Is the cable a data cable "
            "made for this terminal (not a charging-only cable)?",
            "终端没有应答。请确认终端已开机并进入维护模式，且数据线是该型号终端专用的数据线（不是仅能充电的线）。",
        )
    if msg_id == "no-answer-noise":
        baud = params.get("baud")
        speed = T(f" (now {baud} baud)", f"（当前为 {baud}）") if baud else T("", "")
        where_ = (
            T("give the terminal's speed with --baud", "用 --baud 指定终端的波特率")
            if cli
            else T("set the laptop to the terminal's speed", "将笔记本的波特率设为终端的波特率")
            if report
            else T("choose the terminal's speed in the Baud rate box", "在“波特率”框中选择终端的波特率")
        )
        return T(
            f"The terminal did not answer in its protocol: only noise arrived. The speed{speed.en} or the cable is "
            f"wrong: {where_.en}, or try another cable.",
            f"终端没有按协议应答，只收到乱码。波特率{speed.zh}或数据线不对：请{where_.zh}，或换一根数据线。",
        )
    if msg_id == "frame-rejected":
        return T(
            "The terminal kept rejecting the laptop's messages: the line is noisy (loose cable or wrong speed).",
            "终端多次拒收笔记本发出的报文：线路有干扰（数据线松动或波特率不对）。",
        )
    if msg_id == "bad-message":
        return T(
            "The terminal's answer could not be understood (damaged on the line, or terminal software techapp "
            "does not know).",
            "无法识别终端的应答（线路上受损，或终端软件不受 techapp 支持）。",
        )
    if msg_id == "protocol-version":
        return T(
            f"The terminal speaks maintenance protocol version {params.get('version')}, which this techapp does "
            "not know: update techapp.",
            f"终端使用的维护协议版本为 {params.get('version')}，本版 techapp 不支持：请升级 techapp。",
        )
    if msg_id == "kdf-too-weak":  # issue 14: a challenge below the KDF floor gets no proof
        n, floor = params.get("iterations"), params.get("floor")
        return T(
            f"The device on this port asked for a password check of only {n} rounds (at least {floor} are "
            "required), so techapp did not answer: a genuine terminal never asks for so few. It may not be the "
            "terminal it claims to be. Do not go on; call support.",
            f"此端口上的设备要求的密码校验仅 {n} 轮（至少需要 {floor} 轮），techapp 未作应答：正规终端不会如此要求。"
            "它可能不是其声称的终端。请勿继续操作，并联系技术支持。",
        )
    if msg_id == "login-proof-bad":
        return T(
            "The terminal's login answer could not be verified: it may not be the terminal it claims to be. "
            "Do not go on; call support.",
            "无法验证终端的登录应答：它可能不是其声称的终端。请勿继续操作，并联系技术支持。",
        )
    if msg_id == "log-truncated":
        return T(
            f"The log ended early ({params.get('read')} of {params.get('total')} entries read).",
            f"日志提前结束（共 {params.get('total')} 条，只读到 {params.get('read')} 条）。",
        )
    if msg_id == "no-password":
        return (
            T("No maintenance password given (use --password-file).", "未提供维护密码（请使用 --password-file）。")
            if cli
            else T("No maintenance password was given.", "未提供维护密码。")
            if report
            else T(
                "No maintenance password: type it in the Password box, then connect again.",
                "未输入维护密码：请在“密码”框中输入，然后重新连接。",
            )
        )
    if msg_id == "wrong-password":
        left = params.get("attempts_left")
        if left is None:
            return T("Wrong maintenance password.", "维护密码错误。")
        if left == 0:
            return T(
                "Wrong maintenance password; no tries left: the terminal now locks maintenance mode.",
                "维护密码错误，已无剩余次数：终端将锁定维护模式。",
            )
        return T(
            f"Wrong maintenance password; {plural(int(left), 'try', 'tries')} left before the terminal locks "
            "maintenance mode.",
            f"维护密码错误，还可尝试 {left} 次，之后终端将锁定维护模式。",
        )
    if msg_id == "locked-out":
        wait = duration(params.get("seconds_left"))
        if params.get("seconds_left"):
            return T(
                f"Maintenance mode is locked after too many wrong passwords: try again in {wait.en}.",
                f"密码错误次数过多，维护模式已锁定：请在 {wait.zh}后重试。",
            )
        return T(
            "Maintenance mode is locked after too many wrong passwords: try again later.",
            "密码错误次数过多，维护模式已锁定：请稍后重试。",
        )
    if msg_id == "login-failed":
        return T("The maintenance login did not succeed.", "维护登录未成功。")
    if msg_id == "cancelled" or msg_id == "refused-cancelled":
        return T("Cancelled.", "已取消。")
    if msg_id.startswith("refused-"):
        return _refusal(msg_id.removeprefix("refused-"), params)
    if msg_id == "refused":
        return T("The terminal refused the request.", "终端拒绝了该请求。")
    if msg_id == "link-error":
        return T("The link to the terminal failed.", "与终端的连接出错。")
    if msg_id == "terminal-error":
        return T("The terminal reported a problem.", "终端报告了一个问题。")
    return None


def _refusal(code: str, params: dict[str, Any]) -> Text:
    field = parameter_text(params.get("field"))
    table = {
        "unknown-command": T(
            "The terminal does not know this command (its software may be older).",
            "终端不支持该命令（终端软件版本可能较旧）。",
        ),
        "malformed": T("The terminal found the laptop's request damaged.", "终端认为笔记本发出的请求已损坏。"),
        "missing-field": T("The terminal found the laptop's request incomplete.", "终端认为笔记本发出的请求不完整。"),
        "invalid-value": T(f"The terminal refused the value of the {field.en}.", f"终端拒绝了{field.zh}的取值。")
        if params.get("field")
        else T("The terminal refused a value.", "终端拒绝了一个取值。"),
        "unsupported-version": T(
            "The terminal does not support this techapp's protocol version: update techapp.",
            "终端不支持本版 techapp 的协议版本：请升级 techapp。",
        ),
        "login-required": T(
            "The terminal asks for the maintenance login first: connect again with the password.",
            "终端要求先登录维护模式：请输入密码后重新连接。",
        ),
        "no-challenge": T(
            "The terminal lost the login in progress: connect again.", "终端丢失了进行中的登录：请重新连接。"
        ),
        "unsettled-transactions": T(
            "The terminal holds unsettled transactions and refuses changes: settle the batch first, then try again.",
            "终端有未结算交易，拒绝修改：请先结算，然后重试。",
        ),
        "no-transaction": T(
            "The terminal had no change open to apply (it may have restarted): try again.",
            "终端没有待提交的修改（可能已重启）：请重试。",
        ),
        "busy": T(
            "The terminal is busy with another task: wait a moment and try again.",
            "终端正忙于其他任务：请稍候再试。",
        ),
        "device-fault": T("The terminal reports a device fault.", "终端报告设备故障。"),
        "internal-error": T(
            "The terminal reported an internal error: restart it and try again.",
            "终端报告内部错误：请重启终端后重试。",
        ),
    }
    return table.get(code, T("The terminal refused the request.", "终端拒绝了该请求。"))


_UNCONFIRMED = T(
    " The change was sent but its confirmation was lost: the terminal holds either all the new values or all the "
    "old ones. Read the terminal again to see which.",
    "修改已发出但未收到确认：终端上要么全部是新值，要么全部是旧值。请重新读取终端以确认。",
)


def explain_id(
    msg_id: str, params: dict[str, Any] | None = None, action_id: str | None = None, *, where: str = "gui"
) -> Text | None:
    """The plain text for a message id (and what was being done), or None for an unknown id."""
    params = params or {}
    message = _message(msg_id, params, where)
    if message is None:
        return None
    if params.get("commit_unconfirmed"):
        message = message + _UNCONFIRMED
    action = _action(action_id, params) if action_id != "open-port" and not msg_id.startswith("port-") else None
    if action is None:
        return message
    return T(f"{action.en}: ", f"{action.zh}：") + _lower_first(message)


def _lower_first(text: Text) -> Text:
    en = text.en
    if en[:1].isupper() and not en[:2].isupper() and not en.startswith(("TID", "MID", "TLS", "APN")):
        en = en[0].lower() + en[1:]
    return Text(en, text.zh)


_UNEXPECTED = T(
    "Something unexpected went wrong. Try again; if it happens again, call support.",
    "发生意外错误。请重试；如果再次出现，请联系技术支持。",
)


def explain(exc: BaseException, *, where: str = "gui") -> Text:
    """``exc`` in plain words, in both languages; never the raw errno text in the Chinese part.

    Knows the drivers' :class:`~drivers.errors.TerminalError` (by message id),
    techapp's backup, work-order, profile and password errors, a step's time-out
    and the OS errors a laptop meets (disk full, no permission).
    """
    if isinstance(exc, TerminalError):
        text = explain_id(exc.msg_id, exc.params, exc.action_id, where=where)
        if text is None:
            text = explain_id(type(exc).MSG_ID, exc.params, exc.action_id, where=where)
        if text is not None:
            return text
        return T(exc.message, _UNEXPECTED.zh)
    own = getattr(exc, "explained", None)
    if isinstance(own, Text):
        return own
    name = type(exc).__name__
    if name == "StepTimeout":
        seconds = exc.args[0] if exc.args else None
        wait = duration(seconds)
        return T(
            f"No result within {wait.en}; the link was closed to stop waiting.",
            f"{wait.zh}内没有结果；已关闭连接以停止等待。",
        )
    if name == "PasswordUnavailable":
        return explain_id("no-password", {}, where=where) or _UNEXPECTED
    if name == "WorkOrderError":
        return T(f"The work order is not valid: {exc}", "工单无效：请检查工单内容。")
    if name == "ProfileError":
        return T(f"The acquirer profile is not valid: {exc}", "收单行配置无效：请检查配置文件。")
    if isinstance(exc, OSError):
        return _os_error(exc)
    if isinstance(exc, KeyboardInterrupt):
        return explain_id("cancelled") or _UNEXPECTED
    return T(f"{_UNEXPECTED.en} ({name}: {exc})", _UNEXPECTED.zh)


def _os_error(exc: OSError) -> Text:
    import errno

    where = exc.filename or ""
    if exc.errno == errno.ENOSPC:
        return T("The laptop's disk is full: free some space and try again.", "笔记本电脑磁盘已满：请清理空间后重试。")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return T(
            f"This user may not write or read {where}: choose another folder.".replace("  ", " "),
            f"当前用户无权读写 {where}：请选择其他文件夹。",
        )
    if exc.errno == errno.ENOENT:
        return T(f"{where} does not exist.", f"{where} 不存在。")
    return T(f"The laptop could not do it: {exc.strerror or exc}", "笔记本电脑无法完成该操作。")


__all__ = ["DIALOUT_COMMAND", "PARAMETER_TEXT", "duration", "explain", "explain_id", "parameter_text", "plural"]
