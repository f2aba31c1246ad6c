"""Judging the readings: one :class:`CheckResult` per item of the checklist.

Pure functions of the readings, the work order and the acquirer profile.
Every check that compares against the work order or the profile says so
(``compared_with``), and runs without them where it can (format checks,
states the terminal reports). Thresholds are named constants below and
documented in ``docs/diagnosis.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drivers.addr import hostport

from ..workorder import MID_RE, TID_RE, WorkOrder
from .model import CheckResult, Status, T, Text
from .runner import Readings

if TYPE_CHECKING:  # the validated profile model (pydantic) is not needed to import the diagnosis
    from ..profiles import AcquirerProfile

#: Clock drift against the laptop: warn above, fail above (TLS and logs break; threshold unconfirmed).
CLOCK_WARN_S = 60
CLOCK_FAIL_S = 300
#: A print head at or above this temperature stops printing (thermal protection).
PRINT_HEAD_HOT_C = 65
PRINT_HEAD_WARM_C = 55
#: Battery: health below this is worn; charge below this without charging needs the charger.
BATTERY_WORN_PCT = 60
BATTERY_LOW_PCT = 20
#: Storage: free space below these fractions of the total.
STORAGE_FAIL_FRACTION = 0.05
STORAGE_WARN_FRACTION = 0.15
#: Transaction log use: fractions of capacity.
LOG_FAIL_FRACTION = 0.95
LOG_WARN_FRACTION = 0.80
#: TDES DUKPT: the 21-bit counter stops at 0x1FF800 (reference §5); keys left below these numbers.
DUKPT_MAX_COUNTER = 0x1FF800
DUKPT_FAIL_KEYS = 1000
DUKPT_WARN_KEYS = 10000
ROLES_ZH = {"primary": "主", "backup": "备"}
#: How reaching a host ended, in the words of a Chinese terminal menu (hostcheck/netcheck/CommOutcome names).
OUTCOMES_ZH = {
    "ok": "正常",
    "no-link": "无网络连接",
    "dns-failure": "域名解析失败",
    "dns-unavailable": "DNS 无应答",
    "refused": "拒绝连接",
    "timeout": "连接超时",
    "reset": "连接被重置",
    "unreachable": "网络不可达",
    "tls-failure": "TLS 握手失败",
    "not-configured": "未设置",
    "not-allowed": "未允许（仅限本机回环）",
    "declined": "拒绝",
    "no-answer": "无应答",
    "closed-mid-message": "应答中断",
    "garbage": "应答无法解析",
    "mismatch": "应答不符",
    "bad-parameters": "参数无法组包",
    "closed": "连接被关闭",
    "cert-expired": "证书已过期",
    "cert-not-yet-valid": "证书尚未生效",
    "cert-unknown-ca": "证书颁发机构不受信任",
    "cert-name-mismatch": "证书名称不符",
    "cert-invalid": "证书无效",
    "not-registered": "终端未登记此收银机",
    "error": "错误",
}
#: The same outcomes in English words, for people (the ids stay in ``observed``).
OUTCOMES_EN = {
    "ok": "ok",
    "no-link": "no network link",
    "dns-failure": "name does not resolve (DNS)",
    "dns-unavailable": "DNS server does not answer",
    "refused": "refused",
    "timeout": "timed out",
    "reset": "connection reset",
    "unreachable": "unreachable",
    "tls-failure": "TLS handshake failed",
    "not-configured": "not set",
    "not-allowed": "not allowed (loopback only)",
    "declined": "declined",
    "no-answer": "no answer",
    "closed-mid-message": "answer cut off",
    "garbage": "unreadable answer",
    "mismatch": "answer does not match",
    "bad-parameters": "parameters cannot make a message",
    "closed": "connection closed",
    "cert-expired": "certificate expired",
    "cert-not-yet-valid": "certificate not yet valid",
    "cert-unknown-ca": "certificate from an unknown CA",
    "cert-name-mismatch": "certificate name does not match",
    "cert-invalid": "certificate invalid",
    "not-registered": "the terminal has not registered this register",
    "error": "error",
}
COMM_MODES_ZH = {"ethernet": "以太网", "wifi": "Wi-Fi", "cellular": "无线（4G）", "dialup": "拨号"}
#: Response codes in the terminal's log younger than this (hours) count as "recent".
RECENT_HOURS = 24


@dataclass(frozen=True)
class Context:
    work_order: WorkOrder | None
    profile: AcquirerProfile | None

    @property
    def wo_source(self) -> str:
        return f"work order {self.work_order.id}" if self.work_order else ""

    @property
    def profile_source(self) -> str:
        return f"acquirer profile {self.profile.id}" if self.profile else ""


def _c(
    check_id: str,
    group: str,
    title: Text,
    status: Status,
    summary: Text,
    observed: dict | None = None,
    expected: dict | None = None,
    compared_with: str = "",
) -> CheckResult:
    return CheckResult(check_id, group, title, status, summary, observed or {}, expected or {}, compared_with)


def _not_read(r: Readings, step: str, check_id: str, group: str, title: Text) -> CheckResult:
    """The result of a check whose reading is missing: error (typed) or skipped (with why)."""
    err = r.errors.get(step)
    if err is not None:
        # English: the terminal's (driver's) own words; Chinese: the same error explained
        text = getattr(err, "text", None)
        res = _c(check_id, group, title, "error", T(err.message, text.zh if text is not None else err.message))
        res.error_type = err.error_type
        return res
    why = r.skipped.get(step) or T("not read", "未读取")
    return _c(check_id, group, title, "skipped", why)


def _dukpt_keys_left(counter: int) -> int:
    """Valid TDES DUKPT counters (at most 10 one-bits) from ``counter`` up to the maximum, inclusive."""
    return sum(1 for c in range(counter, DUKPT_MAX_COUNTER + 1) if bin(c).count("1") <= 10)


def _is_ip(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+|[0-9A-Fa-f:]+", text)) and any(ch in text for ch in ".:")


# -- link ----------------------------------------------------------------------------------
def link_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    out = []
    title = T("Maintenance link", "维护连接")
    if r.hello is not None:
        out.append(
            _c(
                "link.connect",
                "link",
                title,
                "pass",
                T(
                    f"the terminal answered (protocol v{r.hello.protocol_version})",
                    f"终端已应答（协议 v{r.hello.protocol_version}）",
                ),
                {"protocol_version": r.hello.protocol_version},
            )
        )
    else:
        out.append(_not_read(r, "connect", "link.connect", "link", title))
    stats = r.link_stats
    trouble = stats.get("retransmissions", 0) + stats.get("naks_sent", 0)
    qtitle = T("Link quality", "连接质量")
    if r.hello is None:
        out.append(_c("link.quality", "link", qtitle, "skipped", T("no link", "没有连接")))
    elif trouble or stats.get("garbage_bytes", 0):
        out.append(
            _c(
                "link.quality",
                "link",
                qtitle,
                "warn",
                T(
                    f"{stats.get('retransmissions', 0)} frames resent, {stats.get('naks_sent', 0)} rejected, "
                    f"{stats.get('garbage_bytes', 0)} bytes of noise: a good cable gives none",
                    f"重发 {stats.get('retransmissions', 0)} 帧，拒收 {stats.get('naks_sent', 0)} 帧，"
                    f"噪声 {stats.get('garbage_bytes', 0)} 字节：正常线缆应为 0",
                ),
                dict(stats),
            )
        )
    else:
        out.append(_c("link.quality", "link", qtitle, "pass", T("no resends, no noise", "无重发，无噪声"), dict(stats)))
    ltitle = T("Maintenance login", "维护登录")
    if r.logged_in:
        out.append(_c("link.login", "link", ltitle, "pass", T("logged in", "已登录")))
    else:
        out.append(_not_read(r, "login", "link.login", "link", ltitle))
    return out


# -- identity ------------------------------------------------------------------------------
def identity_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    ids = [
        ("identity.serial", T("Serial number", "序列号")),
        ("identity.firmware", T("Firmware version", "固件版本")),
        ("identity.app", T("Payment application version", "支付应用版本")),
    ]
    if r.identity is None:
        return [_not_read(r, "identity", i, "identity", t) for i, t in ids]
    ident = r.identity
    out = []
    wo = ctx.work_order
    sn_title = ids[0][1]
    if wo is None or not wo.serial_number:
        why = T("no work order", "没有工单") if wo is None else T("the work order names no device", "工单未注明机具")
        out.append(
            _c(
                "identity.serial",
                "identity",
                sn_title,
                "pass",
                T(f"{ident.serial_number} (", f"{ident.serial_number}（") + why + T(" to compare)", "，无法比对）"),
                {"serial_number": ident.serial_number},
            )
        )
    elif ident.serial_number.strip() == wo.serial_number:
        out.append(
            _c(
                "identity.serial",
                "identity",
                sn_title,
                "pass",
                T(f"{ident.serial_number}, as in the work order", f"{ident.serial_number}，与工单一致"),
                {"serial_number": ident.serial_number},
                {"serial_number": wo.serial_number},
                ctx.wo_source,
            )
        )
    else:
        out.append(
            _c(
                "identity.serial",
                "identity",
                sn_title,
                "fail",
                T(
                    f"this is {ident.vendor} {ident.model} SN {ident.serial_number}; the work order names SN "
                    f"{wo.serial_number}",
                    f"本机为 {ident.vendor} {ident.model} 序列号 {ident.serial_number}；工单为 {wo.serial_number}",
                ),
                {"serial_number": ident.serial_number, "model": ident.model},
                {"serial_number": wo.serial_number},
                ctx.wo_source,
            )
        )
    approved = ctx.profile.approved_versions(ident.vendor, ident.model) if ctx.profile else None
    for check_id, title, value, allowed, listed in (
        (
            "identity.firmware",
            ids[1][1],
            ident.firmware_version,
            approved.allows_firmware(ident.firmware_version) if approved else None,
            approved.firmware if approved else [],
        ),
        (
            "identity.app",
            ids[2][1],
            f"{ident.app_name} {ident.app_version}",
            approved.allows_app(f"{ident.app_name} {ident.app_version}") if approved else None,
            approved.apps if approved else [],
        ),
    ):
        if ctx.profile is None:
            out.append(
                _c(
                    check_id,
                    "identity",
                    title,
                    "pass",
                    T(f"{value} (no acquirer profile to compare)", f"{value}（无收单行配置，无法比对）"),
                    {"version": value},
                )
            )
        elif approved is None:
            out.append(
                _c(
                    check_id,
                    "identity",
                    title,
                    "pass",
                    T(
                        f"{value} (profile {ctx.profile.id} lists no versions for {ident.vendor} {ident.model})",
                        f"{value}（收单行配置 {ctx.profile.id} 未列出 {ident.vendor} {ident.model} 的版本）",
                    ),
                    {"version": value},
                    compared_with=ctx.profile_source,
                )
            )
        elif allowed:
            out.append(
                _c(
                    check_id,
                    "identity",
                    title,
                    "pass",
                    T(f"{value}, approved by the acquirer", f"{value}，收单行已认证"),
                    {"version": value},
                    {"approved": listed},
                    ctx.profile_source,
                )
            )
        else:
            out.append(
                _c(
                    check_id,
                    "identity",
                    title,
                    "warn",
                    T(
                        f"{value} is not among the versions the acquirer approved: {', '.join(listed)}",
                        f"{value} 不在收单行认证的版本中：{'、'.join(listed)}",
                    ),
                    {"version": value},
                    {"approved": listed},
                    ctx.profile_source,
                )
            )
    return out


# -- parameters ------------------------------------------------------------------------------
def _against_order(
    check_id: str, title: Text, value: str, pattern: re.Pattern, rule: Text, wanted: str | None, ctx: Context
) -> CheckResult:
    if not value:
        return _c(check_id, "parameters", title, "fail", T("blank", "为空"), {"value": value})
    if not pattern.fullmatch(value):
        return _c(
            check_id,
            "parameters",
            title,
            "fail",
            T(f"{value!r} is not ", f"{value!r} 不是") + rule,
            {"value": value},
        )
    if wanted is None:
        return _c(
            check_id,
            "parameters",
            title,
            "pass",
            T(f"{value} (valid form; no work order to compare)", f"{value}（格式正确；无工单可比对）"),
            {"value": value},
        )
    if value == wanted:
        return _c(
            check_id,
            "parameters",
            title,
            "pass",
            T(f"{value}, as in the work order", f"{value}，与工单一致"),
            {"value": value},
            {"value": wanted},
            ctx.wo_source,
        )
    return _c(
        check_id,
        "parameters",
        title,
        "fail",
        T(f"{value}; the work order says {wanted}", f"{value}；工单为 {wanted}"),
        {"value": value},
        {"value": wanted},
        ctx.wo_source,
    )


def parameter_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    ids = [
        ("params.tid", T("Terminal ID (TID)", "终端号")),
        ("params.mid", T("Merchant ID (MID)", "商户号")),
        ("params.hosts", T("Host addresses", "主机地址")),
        ("params.tpdu", T("TPDU", "TPDU")),
        ("params.header", T("Header status", "状态设置（正常/测试）")),
        ("params.comms", T("Comm settings", "通讯参数")),
        ("params.counters", T("STAN and batch", "流水号和批次号")),
    ]
    if r.parameters is None:
        return [_not_read(r, "parameters", i, "parameters", t) for i, t in ids]
    p = r.parameters
    wo, prof = ctx.work_order, ctx.profile
    out = [
        _against_order(
            "params.tid",
            ids[0][1],
            p.tid,
            TID_RE,
            T("8 letters or digits", "8位字母或数字"),
            wo.tid if wo else None,
            ctx,
        ),
        _against_order("params.mid", ids[1][1], p.mid, MID_RE, T("15 digits", "15位数字"), wo.mid if wo else None, ctx),
    ]
    # hosts
    hosts = [("primary", p.primary_host, p.primary_port), ("backup", p.backup_host, p.backup_port)]
    shown = ", ".join(f"{hostport(h, port)}" for _, h, port in hosts if h) or "-"
    observed = {
        "primary": f"{hostport(p.primary_host, p.primary_port)}",
        "backup": f"{hostport(p.backup_host, p.backup_port)}",
    }
    htitle = ids[2][1]
    if not p.primary_host or not p.primary_port:
        out.append(
            _c(
                "params.hosts",
                "parameters",
                htitle,
                "fail",
                T("no primary host set", "未设置主机地址"),
                {**observed, "primary_missing": True},
            )
        )
    elif prof is None:
        out.append(
            _c(
                "params.hosts",
                "parameters",
                htitle,
                "pass",
                T(f"{shown} (no acquirer profile to compare)", f"{shown}（无收单行配置，无法比对）"),
                observed,
            )
        )
    else:
        roles = {role: prof.host_role(h, port) for role, h, port in hosts if h}
        expected = {"production": [str(h) for h in prof.production_hosts]}
        test = [r_ for r_, v in roles.items() if v == "test"]
        unknown = [(role, h, port) for role, h, port in hosts if h and roles.get(role) is None]
        unknown_ips = [u for u in unknown if _is_ip(u[1])]
        if test:
            out.append(
                _c(
                    "params.hosts",
                    "parameters",
                    htitle,
                    "fail",
                    T(
                        f"{shown}: the acquirer's TEST hosts ({', '.join(test)}); production is "
                        f"{', '.join(expected['production'])}",
                        f"{shown}：收单行测试环境主机；生产主机为 {', '.join(expected['production'])}",
                    ),
                    {**observed, "roles": roles},
                    expected,
                    ctx.profile_source,
                )
            )
        elif unknown_ips:
            out.append(
                _c(
                    "params.hosts",
                    "parameters",
                    htitle,
                    "fail",
                    T(
                        f"{', '.join(f'{hostport(h, port)}' for _, h, port in unknown_ips)} is not a host of "
                        f"{prof.name.en}; its production hosts are {', '.join(expected['production'])}",
                        f"{', '.join(f'{hostport(h, port)}' for _, h, port in unknown_ips)} 不是{prof.name.zh}的主机；"
                        f"生产主机为 {', '.join(expected['production'])}",
                    ),
                    {**observed, "roles": roles},
                    expected,
                    ctx.profile_source,
                )
            )
        elif unknown:
            out.append(
                _c(
                    "params.hosts",
                    "parameters",
                    htitle,
                    "warn",
                    T(
                        f"{shown}: host names the profile does not list (it lists "
                        f"{', '.join(expected['production'])}); they may resolve to them",
                        f"{shown}：收单行配置未列出这些域名（配置为 {', '.join(expected['production'])}），"
                        "它们可能解析到这些地址",
                    ),
                    {**observed, "roles": roles},
                    expected,
                    ctx.profile_source,
                )
            )
        else:
            out.append(
                _c(
                    "params.hosts",
                    "parameters",
                    htitle,
                    "pass",
                    T(f"{shown}: the acquirer's production hosts", f"{shown}：收单行生产主机"),
                    {**observed, "roles": roles},
                    expected,
                    ctx.profile_source,
                )
            )
    # TPDU
    ttitle = ids[3][1]
    if not re.fullmatch(r"60[0-9A-Fa-f]{8}", p.tpdu):
        out.append(
            _c(
                "params.tpdu",
                "parameters",
                ttitle,
                "fail",
                T(f"{p.tpdu!r} is not a TPDU (60 + destination + source)", f"{p.tpdu!r} 不是有效的 TPDU"),
                {"tpdu": p.tpdu},
            )
        )
    elif prof is None:
        out.append(
            _c(
                "params.tpdu",
                "parameters",
                ttitle,
                "pass",
                T(f"{p.tpdu} (no acquirer profile to compare)", f"{p.tpdu}（无收单行配置，无法比对）"),
                {"tpdu": p.tpdu},
            )
        )
    elif p.tpdu.upper() == prof.tpdu:
        out.append(
            _c(
                "params.tpdu",
                "parameters",
                ttitle,
                "pass",
                T(f"{p.tpdu}, as the acquirer specifies", f"{p.tpdu}，与收单行规定一致"),
                {"tpdu": p.tpdu},
                {"tpdu": prof.tpdu},
                ctx.profile_source,
            )
        )
    else:
        out.append(
            _c(
                "params.tpdu",
                "parameters",
                ttitle,
                "fail",
                T(
                    f"{p.tpdu}; the acquirer's TPDU is {prof.tpdu} (destination {prof.tpdu[2:6]}, here {p.tpdu[2:6]})",
                    f"{p.tpdu}；收单行规定为 {prof.tpdu}（目的地址 {prof.tpdu[2:6]}，本机 {p.tpdu[2:6]}）",
                ),
                {"tpdu": p.tpdu},
                {"tpdu": prof.tpdu},
                ctx.profile_source,
            )
        )
    # header status
    if p.header_status == "normal":
        out.append(
            _c("params.header", "parameters", ids[4][1], "pass", T("normal", "正常"), {"header_status": "normal"})
        )
    else:
        out.append(
            _c(
                "params.header",
                "parameters",
                ids[4][1],
                "fail",
                T(
                    f"'{p.header_status}': a shop terminal must be 'normal'",
                    f"“{p.header_status}”：商户终端必须为“正常”",
                ),
                {"header_status": p.header_status},
                {"header_status": "normal"},
            )
        )
    # comms
    ctitle = ids[5][1]
    names = [h for _, h, _ in hosts if h and not _is_ip(h)]
    if p.comm_mode == "cellular" and not p.apn.strip():
        out.append(
            _c(
                "params.comms",
                "parameters",
                ctitle,
                "fail",
                T("cellular (4G) without an APN: no data connection", "无线（4G）但 APN 为空：无法建立数据连接"),
                {"comm_mode": p.comm_mode, "apn": p.apn},
            )
        )
    elif p.comm_mode == "wifi" and not p.wifi_ssid.strip():
        out.append(
            _c(
                "params.comms",
                "parameters",
                ctitle,
                "fail",
                T("Wi-Fi without a network name (SSID)", "Wi-Fi 但未设置网络名称（SSID）"),
                {"comm_mode": p.comm_mode, "wifi_ssid": p.wifi_ssid},
            )
        )
    elif names and not (p.dns_primary or p.dns_secondary):
        out.append(
            _c(
                "params.comms",
                "parameters",
                ctitle,
                "fail",
                T(
                    f"hosts are names ({', '.join(names)}) but no DNS server is set",
                    f"主机为域名（{', '.join(names)}）但未设置 DNS 服务器",
                ),
                {"comm_mode": p.comm_mode, "dns_primary": p.dns_primary, "dns_secondary": p.dns_secondary},
            )
        )
    else:
        detail = {"cellular": f"APN {p.apn}", "wifi": f"SSID {p.wifi_ssid}"}.get(p.comm_mode, "")
        mode_zh = {"ethernet": "以太网", "wifi": "Wi-Fi", "cellular": "无线（4G）", "dialup": "拨号"}.get(
            p.comm_mode, p.comm_mode
        )
        out.append(
            _c(
                "params.comms",
                "parameters",
                ctitle,
                "pass",
                T(f"{p.comm_mode} {detail}".strip(), f"{mode_zh} {detail}".strip()),
                {"comm_mode": p.comm_mode, "apn": p.apn, "tls": p.tls},
            )
        )
    # counters: restarted at 1 after a history of sign-ons means lost parameters
    had_history = bool(r.response_log) or (r.keys is not None and r.keys.last_sign_on is not None)
    if p.stan <= 1 and p.batch <= 1 and had_history:
        out.append(
            _c(
                "params.counters",
                "parameters",
                ids[6][1],
                "fail",
                T(
                    f"STAN {p.stan}, batch {p.batch}: reset to factory values although the terminal has traded "
                    "(the host would refuse duplicates)",
                    f"流水号 {p.stan}、批次号 {p.batch}：已恢复出厂值，但终端曾经交易（主机会拒绝重复）",
                ),
                {"stan": p.stan, "batch": p.batch},
            )
        )
    else:
        out.append(
            _c(
                "params.counters",
                "parameters",
                ids[6][1],
                "pass",
                T(f"STAN {p.stan}, batch {p.batch}", f"流水号 {p.stan}，批次号 {p.batch}"),
                {"stan": p.stan, "batch": p.batch},
            )
        )
    return out


# -- keys ---------------------------------------------------------------------------------------
#: key schemes as a technician names them (the protocol's ids stay in the JSON's observed/expected)
SCHEME_NAMES = {
    "ms-single": T("master/session, single-length keys", "主密钥/工作密钥，单倍长"),
    "ms-double": T("master/session, double-length keys", "主密钥/工作密钥，双倍长"),
    "ms-double-tdk": T("master/session, double-length keys with TDK", "主密钥/工作密钥，双倍长，含磁道密钥"),
    "dukpt-tdes": T("DUKPT (TDES)", "DUKPT（TDES）"),
    "dukpt-aes": T("DUKPT (AES)", "DUKPT（AES）"),
}


def scheme_name(scheme: str) -> Text:
    return SCHEME_NAMES.get(scheme, T(scheme, scheme))


def key_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    ids = [
        ("keys.scheme", T("Key scheme", "密钥体系")),
        ("keys.tmk", T("Master key (TMK)", "主密钥")),
        ("keys.tmk_kcv", T("TMK check value vs key sheet", "主密钥校验值与密钥单")),
        ("keys.working", T("Working keys", "工作密钥")),
        ("keys.dukpt", T("DUKPT key counter", "DUKPT 密钥计数器")),
    ]
    if r.keys is None:
        return [_not_read(r, "keys", i, "keys", t) for i, t in ids]
    k = r.keys
    wo, prof = ctx.work_order, ctx.profile
    out = []
    if prof is None:
        out.append(_c("keys.scheme", "keys", ids[0][1], "pass", scheme_name(k.scheme), {"scheme": k.scheme}))
    elif k.scheme == prof.key_scheme:
        out.append(
            _c(
                "keys.scheme",
                "keys",
                ids[0][1],
                "pass",
                scheme_name(k.scheme) + T(", as the acquirer uses", "，与收单行一致"),
                {"scheme": k.scheme},
                {"scheme": prof.key_scheme},
                ctx.profile_source,
            )
        )
    else:
        out.append(
            _c(
                "keys.scheme",
                "keys",
                ids[0][1],
                "warn",
                scheme_name(k.scheme)
                + T("; the acquirer's profile says ", "；收单行配置为")
                + scheme_name(prof.key_scheme),
                {"scheme": k.scheme},
                {"scheme": prof.key_scheme},
                ctx.profile_source,
            )
        )
    dukpt = k.scheme.startswith("dukpt")
    slot_index = wo.tmk_index if wo and wo.tmk_index is not None else k.active_tmk_index
    slot = next((s for s in k.tmk_slots if s.index == slot_index), None)
    if dukpt:
        out.append(_c("keys.tmk", "keys", ids[1][1], "pass", T("not used under DUKPT", "DUKPT 不使用主密钥")))
        out.append(_c("keys.tmk_kcv", "keys", ids[2][1], "skipped", T("not used under DUKPT", "DUKPT 不使用主密钥")))
    else:
        where = f"work order {wo.id}" if wo and wo.tmk_index is not None else "the terminal's active index"
        if slot is None:
            have = ", ".join(str(s.index) for s in k.tmk_slots) or "none"
            out.append(
                _c(
                    "keys.tmk",
                    "keys",
                    ids[1][1],
                    "fail",
                    T(
                        f"no TMK in slot {slot_index} ({where}); slots loaded: {have}",
                        f"索引 {slot_index} 无主密钥；已装载索引：{have if have != 'none' else '无'}",
                    ),
                    {"slots": [s.index for s in k.tmk_slots], "active_index": k.active_tmk_index},
                    {"index": slot_index},
                    ctx.wo_source if wo and wo.tmk_index is not None else "",
                )
            )
        else:
            out.append(
                _c(
                    "keys.tmk",
                    "keys",
                    ids[1][1],
                    "pass",
                    T(
                        f"slot {slot.index}, {slot.key_length * 8}-bit, check value {slot.check_value}",
                        f"索引 {slot.index}，{slot.key_length * 8} 位，校验值 {slot.check_value}",
                    ),
                    {"index": slot.index, "check_value": slot.check_value, "key_length": slot.key_length},
                )
            )
        if wo is None or not wo.tmk_kcv:
            why = T("no key sheet in the work order", "工单中没有密钥单") if wo else T("no work order", "没有工单")
            out.append(_c("keys.tmk_kcv", "keys", ids[2][1], "skipped", why))
        elif slot is None:
            out.append(_c("keys.tmk_kcv", "keys", ids[2][1], "skipped", T("no TMK to compare", "没有主密钥可比对")))
        elif wo.tmk_kcv_matches(slot.check_value):
            out.append(
                _c(
                    "keys.tmk_kcv",
                    "keys",
                    ids[2][1],
                    "pass",
                    T(
                        f"{slot.check_value} matches the key sheet {wo.tmk_kcv}",
                        f"{slot.check_value} 与密钥单 {wo.tmk_kcv} 一致",
                    ),
                    {"check_value": slot.check_value},
                    {"check_value": wo.tmk_kcv},
                    ctx.wo_source,
                )
            )
        else:
            out.append(
                _c(
                    "keys.tmk_kcv",
                    "keys",
                    ids[2][1],
                    "fail",
                    T(
                        f"{slot.check_value}; the key sheet says {wo.tmk_kcv}: a different master key",
                        f"{slot.check_value}；密钥单为 {wo.tmk_kcv}：主密钥不同",
                    ),
                    {"check_value": slot.check_value},
                    {"check_value": wo.tmk_kcv},
                    ctx.wo_source,
                )
            )
    # working keys: after a sign-on, the fresh reading counts
    wtitle = ids[3][1]
    after = r.keys_after_sign_on
    if dukpt:
        out.append(_c("keys.working", "keys", wtitle, "pass", T("none under DUKPT", "DUKPT 无工作密钥")))
    elif after is not None and r.sign_on is not None:
        loaded = [
            w for w in after.working_keys if w.loaded_at and r.sign_on.sent_at and w.loaded_at >= r.sign_on.sent_at
        ]
        names = ", ".join(f"{w.key_type.upper()} {w.check_value}" for w in after.working_keys) or "none"
        if r.sign_on.keys_updated and loaded:
            out.append(
                _c(
                    "keys.working",
                    "keys",
                    wtitle,
                    "pass",
                    T(f"new keys from the sign-on verified: {names}", f"签到下载的新密钥已校验：{names}"),
                    {"working_keys": [w.to_dict() for w in after.working_keys]},
                )
            )
        elif after.working_keys:
            out.append(
                _c(
                    "keys.working",
                    "keys",
                    wtitle,
                    "warn",
                    T(
                        f"the sign-on loaded no new keys; old keys kept: {names}",
                        f"签到未下载新密钥；保留旧密钥：{names}",
                    ),
                    {"working_keys": [w.to_dict() for w in after.working_keys]},
                )
            )
        else:
            out.append(
                _c(
                    "keys.working",
                    "keys",
                    wtitle,
                    "fail",
                    T("no working keys, even after the sign-on", "签到后仍无工作密钥"),
                    {"working_keys": []},
                )
            )
    elif k.working_keys:
        names = ", ".join(f"{w.key_type.upper()} {w.check_value}" for w in k.working_keys)
        out.append(
            _c(
                "keys.working",
                "keys",
                wtitle,
                "pass",
                T(f"{names} (not verified: no sign-on ran)", f"{names}（未签到，未验证）"),
                {"working_keys": [w.to_dict() for w in k.working_keys]},
            )
        )
    else:
        out.append(
            _c(
                "keys.working",
                "keys",
                wtitle,
                "fail",
                T("no working keys: the terminal is not signed on", "没有工作密钥：终端未签到"),
                {"working_keys": []},
            )
        )
    # DUKPT counter
    dtitle = ids[4][1]
    if not dukpt or not k.ksn:
        out.append(_c("keys.dukpt", "keys", dtitle, "skipped", T("not a DUKPT terminal", "非 DUKPT 终端")))
    else:
        counter = int(k.ksn, 16) & 0x1FFFFF
        left = _dukpt_keys_left(counter)
        status: Status = "fail" if left < DUKPT_FAIL_KEYS else "warn" if left < DUKPT_WARN_KEYS else "pass"
        out.append(
            _c(
                "keys.dukpt",
                "keys",
                dtitle,
                status,
                T(
                    f"KSN {k.ksn}: counter 0x{counter:06X} of at most 0x{DUKPT_MAX_COUNTER:06X}, {left} keys left",
                    f"KSN {k.ksn}：计数器 0x{counter:06X}，上限 0x{DUKPT_MAX_COUNTER:06X}，剩余 {left} 个密钥",
                ),
                {"ksn": k.ksn, "counter": counter, "keys_left": left},
                {"max_counter": DUKPT_MAX_COUNTER},
            )
        )
    return out


# -- hardware -----------------------------------------------------------------------------------
def _device(check_id: str, title: Text, state: str, fitted_optional: bool = False) -> CheckResult:
    if state == "ok":
        return _c(check_id, "hardware", title, "pass", T("ok", "正常"), {"state": state})
    if state == "absent":
        status: Status = "pass" if fitted_optional else "warn"
        return _c(
            check_id, "hardware", title, status, T("not fitted / not detected", "未安装或未检测到"), {"state": state}
        )
    return _c(
        check_id, "hardware", title, "fail", T(f"{state}", "故障" if state == "fault" else state), {"state": state}
    )


def hardware_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    ids = [
        ("hardware.tamper", T("Tamper state", "防拆状态")),
        ("hardware.clock", T("Clock vs laptop", "终端时钟与笔记本")),
        ("hardware.printer", T("Printer", "打印机")),
        ("hardware.magstripe", T("Magstripe reader", "磁条卡阅读器")),
        ("hardware.ic_reader", T("IC (chip) reader", "IC 卡阅读器")),
        ("hardware.contactless", T("Contactless reader", "非接阅读器")),
        ("hardware.keypad", T("Keypad", "键盘")),
        ("hardware.display", T("Display", "显示屏")),
        ("hardware.battery", T("Battery", "电池")),
        ("hardware.storage", T("Storage", "存储空间")),
    ]
    if r.hardware is None:
        return [_not_read(r, "hardware", i, "hardware", t) for i, t in ids]
    h = r.hardware
    out = []
    if h.tamper == "tampered":
        out.append(
            _c(
                "hardware.tamper",
                "hardware",
                ids[0][1],
                "fail",
                T("TAMPERED: keys erased, device locked", "已触发防拆：密钥已清除，设备锁定"),
                {"tamper": h.tamper},
            )
        )
    else:
        out.append(_c("hardware.tamper", "hardware", ids[0][1], "pass", T("intact", "正常"), {"tamper": h.tamper}))
    # clock
    ctitle = ids[1][1]
    if h.clock is None:
        out.append(
            _c("hardware.clock", "hardware", ctitle, "fail", T("the clock is not set", "时钟未设置"), {"clock": None})
        )
    else:
        laptop = r.laptop_time or h.clock
        drift = (h.clock - laptop).total_seconds()
        status: Status = "fail" if abs(drift) > CLOCK_FAIL_S else "warn" if abs(drift) > CLOCK_WARN_S else "pass"
        out.append(
            _c(
                "hardware.clock",
                "hardware",
                ctitle,
                status,
                T(
                    f"{h.clock:%Y-%m-%d %H:%M:%S}, {drift_text(drift, 'en')} the laptop",
                    f"{h.clock:%Y-%m-%d %H:%M:%S}，{drift_text(drift, 'zh')}",
                ),
                {"clock": h.clock, "drift_s": round(drift)},
                {"laptop": laptop, "max_drift_s": CLOCK_WARN_S},
                "laptop clock",
            )
        )
    # printer
    ptitle = ids[2][1]
    pobs = {
        "printer": h.printer,
        "paper": h.printer_paper,
        "cover": h.printer_cover,
        "head_temp_c": h.printer_head_temp_c,
    }
    temp = h.printer_head_temp_c
    if h.printer == "absent":
        out.append(_c("hardware.printer", "hardware", ptitle, "pass", T("no printer fitted", "未配打印机"), pobs))
    elif h.printer != "ok":
        out.append(_c("hardware.printer", "hardware", ptitle, "fail", T("printer fault", "打印机故障"), pobs))
    elif h.printer_paper == "out":
        out.append(_c("hardware.printer", "hardware", ptitle, "fail", T("out of paper", "缺纸"), pobs))
    elif h.printer_cover == "open":
        out.append(_c("hardware.printer", "hardware", ptitle, "fail", T("cover open", "仓盖未关"), pobs))
    elif temp is not None and temp >= PRINT_HEAD_HOT_C:
        out.append(
            _c(
                "hardware.printer",
                "hardware",
                ptitle,
                "fail",
                T(f"print head {temp} °C: overheated, printing stops", f"打印头 {temp}°C：过热，停止打印"),
                pobs,
                {"head_temp_c_below": PRINT_HEAD_HOT_C},
            )
        )
    elif h.printer_paper == "low" or (temp is not None and temp >= PRINT_HEAD_WARM_C):
        what = (
            T("paper low", "纸张将尽")
            if h.printer_paper == "low"
            else T(f"print head warm ({temp} °C)", f"打印头偏热（{temp}°C）")
        )
        out.append(_c("hardware.printer", "hardware", ptitle, "warn", what, pobs))
    else:
        out.append(
            _c(
                "hardware.printer",
                "hardware",
                ptitle,
                "pass",
                T("ok, paper ok, cover closed", "正常，有纸，仓盖已关"),
                pobs,
            )
        )
    out.append(_device("hardware.magstripe", ids[3][1], h.magstripe))
    out.append(_device("hardware.ic_reader", ids[4][1], h.ic_reader))
    out.append(_device("hardware.contactless", ids[5][1], h.contactless, fitted_optional=True))
    out.append(_device("hardware.keypad", ids[6][1], h.keypad))
    out.append(_device("hardware.display", ids[7][1], h.display))
    # battery
    btitle = ids[8][1]
    bobs = {
        "present": h.battery_present,
        "level_pct": h.battery_level_pct,
        "health_pct": h.battery_health_pct,
        "cycles": h.battery_cycles,
        "charging": h.charging,
    }
    if not h.battery_present:
        out.append(
            _c(
                "hardware.battery",
                "hardware",
                btitle,
                "pass",
                T("no battery (mains powered)", "无电池（市电供电）"),
                bobs,
            )
        )
    else:
        worn = h.battery_health_pct is not None and h.battery_health_pct < BATTERY_WORN_PCT
        low = h.battery_level_pct is not None and h.battery_level_pct < BATTERY_LOW_PCT and not h.charging
        parts_en, parts_zh = [], []
        if worn:
            parts_en.append(f"worn: {h.battery_health_pct} % health after {h.battery_cycles} cycles")
            parts_zh.append(f"老化：健康度 {h.battery_health_pct}%，循环 {h.battery_cycles} 次")
        if low:
            parts_en.append(f"{h.battery_level_pct} % charge and not charging")
            parts_zh.append(f"电量 {h.battery_level_pct}% 且未充电")
        if worn:
            status = "fail"
        elif low:
            status = "warn"
        else:
            status = "pass"
        summary = (
            T("; ".join(parts_en), "；".join(parts_zh))
            if parts_en
            else T(
                f"{h.battery_level_pct} %, health {h.battery_health_pct} %",
                f"电量 {h.battery_level_pct}%，健康度 {h.battery_health_pct}%",
            )
        )
        out.append(
            _c("hardware.battery", "hardware", btitle, status, summary, bobs, {"health_pct_min": BATTERY_WORN_PCT})
        )
    # storage
    stitle = ids[9][1]
    total, free = h.storage_total_kb, h.storage_free_kb
    fraction = free / total if total else 0.0
    status = "fail" if fraction < STORAGE_FAIL_FRACTION else "warn" if fraction < STORAGE_WARN_FRACTION else "pass"
    out.append(
        _c(
            "hardware.storage",
            "hardware",
            stitle,
            status,
            T(f"{free} KB free of {total} KB ({fraction:.0%})", f"剩余 {free} KB / {total} KB（{fraction:.0%}）"),
            {"free_kb": free, "total_kb": total},
            {"free_fraction_min": STORAGE_WARN_FRACTION},
        )
    )
    return out


def drift_text(seconds: float, lang: str) -> str:
    s = abs(int(round(seconds)))
    if s < 120:
        amount_en, amount_zh = f"{s} s", f"{s} 秒"
    elif s < 7200:
        amount_en, amount_zh = f"{s // 60} min", f"{s // 60} 分钟"
    elif s < 172800 - 3600:
        amount_en, amount_zh = f"{s / 3600:.1f} h", f"{s / 3600:.1f} 小时"
    else:
        amount_en, amount_zh = f"{s / 86400:.1f} days", f"{s / 86400:.1f} 天"
    if lang == "zh":
        return f"比笔记本{'慢' if seconds < 0 else '快'} {amount_zh}"
    return f"{amount_en} {'behind' if seconds < 0 else 'ahead of'}"


# -- counters and logs ------------------------------------------------------------------------
def counter_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    ids = [
        ("counters.batch", T("Unsettled transactions", "未结算交易")),
        ("counters.reversal", T("Pending reversal", "待冲正")),
        ("counters.log", T("Transaction log", "交易流水存储")),
    ]
    out = []
    if r.counters is None:
        out += [_not_read(r, "counters", i, "counters", t) for i, t in ids]
    else:
        c = r.counters
        if c.unsettled_transactions:
            out.append(
                _c(
                    "counters.batch",
                    "counters",
                    ids[0][1],
                    "warn",
                    T(
                        f"{c.unsettled_transactions} unsettled: the terminal refuses parameter changes until settled",
                        f"{c.unsettled_transactions} 笔未结算：结算前终端拒绝修改参数",
                    ),
                    {"unsettled": c.unsettled_transactions},
                )
            )
        else:
            out.append(
                _c("counters.batch", "counters", ids[0][1], "pass", T("batch settled", "已结算"), {"unsettled": 0})
            )
        if c.pending_reversal:
            out.append(
                _c(
                    "counters.reversal",
                    "counters",
                    ids[1][1],
                    "warn",
                    T("a reversal is waiting to reach the host", "有冲正交易等待上送主机"),
                    {"pending_reversal": True},
                )
            )
        else:
            out.append(
                _c("counters.reversal", "counters", ids[1][1], "pass", T("none", "无"), {"pending_reversal": False})
            )
        cap = c.transaction_log_capacity
        used = c.transaction_log_used
        frac = used / cap if cap else 0.0
        status: Status = "fail" if frac >= LOG_FAIL_FRACTION else "warn" if frac >= LOG_WARN_FRACTION else "pass"
        out.append(
            _c(
                "counters.log",
                "counters",
                ids[2][1],
                status,
                T(f"{used} of {cap} entries used ({frac:.0%})", f"已用 {used}/{cap} 笔（{frac:.0%}）"),
                {"used": used, "capacity": cap},
                {"fraction_max": LOG_WARN_FRACTION},
            )
        )
    out.append(recent_codes_check(r, ctx))
    return out


def current_log(r: Readings) -> list:
    """The response-code log, without the entries from before a repair changed the terminal (``log_mark``)."""
    entries = r.response_log or []
    if r.log_mark is None:
        return list(entries)
    keys = [(e.time, e.code, e.text) for e in entries]
    if r.log_mark not in keys:
        return list(entries)  # empty before, or rotated out since: everything is new
    last = len(keys) - 1 - keys[::-1].index(r.log_mark)
    return list(entries[last + 1 :])


def recent_codes(r: Readings) -> list[str]:
    """Response codes the terminal logged in the last RECENT_HOURS of its own clock, oldest first.

    After a repair only the codes logged since count: earlier ones answered the old parameters.
    """
    entries = current_log(r)
    if not entries:
        return []
    newest = max(e.time for e in entries)
    return [e.code for e in entries if (newest - e.time).total_seconds() <= RECENT_HOURS * 3600]


def recent_codes_check(r: Readings, ctx: Context) -> CheckResult:
    title = T("Recent response codes", "近期应答码")
    if r.response_log is None:
        return _not_read(r, "logs", "counters.response_codes", "counters", title)
    codes = recent_codes(r)
    if not codes:
        since = T(" since the repair", "（修复之后）") if r.log_mark is not None and r.response_log else T("", "")
        return _c(
            "counters.response_codes", "counters", title, "pass", T("no entries", "无记录") + since, {"codes": []}
        )
    last = current_log(r)[-1]
    bad = sorted({c for c in codes if c != "00"})
    explained = ""
    if ctx.profile is not None and last.code != "00":
        info = ctx.profile.explain(last.code)
        explained = f" ({info.en})"
        explained_zh = f"（{info.zh}）"
    else:
        explained_zh = ""
    status: Status = "pass" if last.code == "00" else "warn"
    return _c(
        "counters.response_codes",
        "counters",
        title,
        status,
        T(
            f"last {last.code}{explained} at {last.time:%Y-%m-%d %H:%M}; other codes: {', '.join(bad) or 'none'}",
            f"最近 {last.code}{explained_zh}，{last.time:%Y-%m-%d %H:%M}；其他应答码：{'、'.join(bad) or '无'}",
        ),
        {"codes": codes, "last": last.code, "last_at": last.time},
        compared_with=ctx.profile_source if explained else "",
    )


# -- self-tests needing a person ----------------------------------------------------------------
def self_test_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    out = []
    for step, check_id, title in (
        ("card-reader", "selftest.card_reader", T("Card reader test (swipe)", "读卡测试（刷卡）")),
        ("keypad", "selftest.keypad", T("Keypad test (every key)", "按键测试（全部按键）")),
    ):
        res = r.self_tests.get(step)
        if res is None:
            out.append(_not_read(r, step, check_id, "self-test", title))
            continue
        observed = {"result": res.result, "detail": res.detail}
        if res.tracks_read:
            observed["tracks_read"] = list(res.tracks_read)
        if res.keys_missing or res.keys_seen:
            observed["keys_missing"] = res.keys_missing
        status: Status = {"pass": "pass", "fail": "fail"}.get(res.result, "skipped")
        out.append(_c(check_id, "self-test", title, status, T(res.detail, _self_test_zh(res)), observed))
    return out


def _self_test_zh(res) -> str:
    """The terminal's self-test result in Chinese, from its fields (the terminal's own text is English)."""
    if res.result == "no-input":
        return "无人操作（超时）"
    if res.result == "cancelled":
        return "测试已取消"
    tracks = "、".join(str(t) for t in res.tracks_read)
    if res.test == "keypad":
        if res.result == "pass":
            return "全部按键均有响应"
        return f"按键未响应：{res.keys_missing}" if res.keys_missing else "按键测试失败"
    if res.result == "pass":
        return f"读卡成功（读到 {tracks} 磁道）" if tracks else "读卡成功"
    if res.tracks_read and 2 not in res.tracks_read:
        return f"读不到二磁道（读到 {tracks} 磁道）"
    if "fault" in res.detail:
        return "读卡器故障，未读到卡"
    return "读卡失败"


# -- network and sign-on ----------------------------------------------------------------------
def network_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    out = []
    ttitle = T("Terminal reaches its hosts", "终端连通主机")
    if r.comm_test is None:
        out.append(_not_read(r, "comm-test", "network.terminal", "network", ttitle))
    else:
        ct = r.comm_test
        hosts = [
            {"role": h.role, "host": f"{hostport(h.address, h.port)}", "outcome": h.outcome, "tls": h.tls}
            for h in ct.hosts
        ]
        lines = "; ".join(
            f"{h.role} {hostport(h.address, h.port)} {OUTCOMES_EN.get(h.outcome, h.outcome)}" for h in ct.hosts
        )
        lines = lines or "no hosts"
        lines_zh = (
            "；".join(
                f"{ROLES_ZH.get(h.role, h.role)} {hostport(h.address, h.port)} {OUTCOMES_ZH.get(h.outcome, h.outcome)}"
                for h in ct.hosts
            )
            or "无主机"
        )
        if not ct.link_up:
            status: Status = "fail"
            summary = T(f"no network link ({lines})", f"终端无网络连接（{lines_zh}）")
        elif any(h.outcome == "ok" for h in ct.hosts):
            bad = [h for h in ct.hosts if h.outcome != "ok"]
            status = "warn" if bad else "pass"
            summary = T(lines, lines_zh)
        else:
            status = "fail"
            summary = T(lines, lines_zh)
        out.append(_c("network.terminal", "network", ttitle, status, summary, {"link_up": ct.link_up, "hosts": hosts}))
    ltitle = T("Laptop reaches the same hosts", "笔记本连通同一主机")
    if r.laptop_hosts is None:
        out.append(_not_read(r, "laptop-network", "network.laptop", "network", ltitle))
    elif not r.laptop_hosts:
        out.append(
            _c("network.laptop", "network", ltitle, "skipped", T("no host addresses to try", "没有可测试的主机地址"))
        )
    elif all(c.outcome == "not-allowed" for c in r.laptop_hosts):
        out.append(
            _c(
                "network.laptop",
                "network",
                ltitle,
                "skipped",
                T(
                    "the laptop's checks stay on loopback; on site use --real-network",
                    "笔记本检查仅限本机回环；现场请使用 --real-network",
                ),
            )
        )
    else:
        lines = "; ".join(f"{hostport(c.host, c.port)} {OUTCOMES_EN.get(c.outcome, c.outcome)}" for c in r.laptop_hosts)
        echo = "; ".join(
            f"echo test {OUTCOMES_EN.get(e.outcome, e.outcome)}" + (f" {e.response_code}" if e.response_code else "")
            for e in r.echo or []
        )
        lines_zh = "；".join(
            f"{hostport(c.host, c.port)} {OUTCOMES_ZH.get(c.outcome, c.outcome)}" for c in r.laptop_hosts
        )
        echo_zh = "；".join(
            f"回响测试{OUTCOMES_ZH.get(e.outcome, e.outcome)}" + (f" {e.response_code}" if e.response_code else "")
            for e in r.echo or []
        )
        reached = any(c.outcome == "ok" for c in r.laptop_hosts)
        out.append(
            _c(
                "network.laptop",
                "network",
                ltitle,
                "pass" if reached else "fail",
                T(f"{lines}; {echo}", f"{lines_zh}；{echo_zh}"),
                {"hosts": [c.to_dict() for c in r.laptop_hosts], "echo": [e.to_dict() for e in r.echo or []]},
            )
        )
    vtitle = T("Both ends compared", "两端比对")
    if r.verdict is None:
        out.append(_c("network.compare", "network", vtitle, "skipped", T("nothing to compare", "没有可比对的结果")))
    else:
        v = r.verdict
        if v.code in ("healthy", "reachable"):
            status = "pass"
        elif v.code in ("primary-host-down", "backup-host-down"):
            status = "warn"  # it works, through one host only
        else:
            status = "fail"
        out.append(
            _c(
                "network.compare",
                "network",
                vtitle,
                status,
                T(v.summary_en, v.summary_zh),  # the verdict's id stays in observed, out of the text
                {"verdict": v.code, "evidence": list(v.evidence)},
            )
        )
    stitle = T("Sign-on by the terminal", "终端签到")
    if r.sign_on is None:
        out.append(_not_read(r, "sign-on", "signon", "sign-on", stitle))
    else:
        s = r.sign_on
        observed = {
            "outcome": s.outcome,
            "response_code": s.response_code,
            "host": f"{hostport(s.host_address, s.host_port)}",
            "stan": s.stan,
            "sent_at": s.sent_at,
            "answered_by": s.acquirer_id,
            "failed_checks": [f"{c.name}: {c.detail}" for c in s.checks if not c.ok],
        }
        if getattr(s, "traffic", None):  # the 0800/0810 as on the wire: the evidence bundle's pcap
            observed["traffic"] = [x.to_dict() for x in s.traffic]
        out.append(_sign_on_check(s, r, ctx, stitle, observed))
    return out


def expected_apn(ctx: Context) -> tuple[str, str]:
    """The APN the terminal's SIM needs and where it comes from: the work order's, else the acquirer profile's."""
    wo_apn = getattr(ctx.work_order, "apn", "") or ""
    if wo_apn:
        return wo_apn, ctx.wo_source
    profile_apn = getattr(ctx.profile, "apn", "") or ""
    return (profile_apn, ctx.profile_source) if profile_apn else ("", "")


def terminal_link_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    """``network.link``: the terminal's own data link as its comm test reports it (a SIM registered and a data
    session for its APN; a Wi-Fi network in range that accepts its password; a cable), before any host.

    Skipped when the terminal does not report its link (no COMM_TEST LINK_FAILURE, docs/protocol.md §9.16).
    """
    title = T("Terminal's own network link", "终端自身网络连接")
    ct = r.comm_test
    if ct is None:
        return [_not_read(r, "comm-test", "network.link", "network", title)]
    if ct.link_failure is None:
        why = T(
            "this terminal's comm test does not say why its link is up or down",
            "此终端的通讯测试不报告网络连接的状态和原因",
        )
        return [_c("network.link", "network", title, "skipped", why)]
    p = r.parameters
    mode = p.comm_mode if p is not None else ""
    apn = p.apn if p is not None else ""
    ssid = ct.network_name or (p.wifi_ssid if p is not None else "")
    name = ct.network_name or "-"
    dbm = f"{ct.signal_dbm} dBm" if ct.signal_dbm is not None else "signal not reported"
    dbm_zh = f"{ct.signal_dbm} dBm" if ct.signal_dbm is not None else "信号未报告"
    observed: dict[str, object] = {
        "comm_mode": mode,
        "link_up": ct.link_up,
        "failure": ct.link_failure,
        "network_name": ct.network_name,
        "signal_dbm": ct.signal_dbm,
        "detail": ct.link_detail,
    }
    expected: dict[str, object] = {}
    compared_with = ""
    if mode == "cellular":
        observed["apn"] = apn
        wanted, source = expected_apn(ctx)
        if wanted:
            expected, compared_with = {"apn": wanted}, source
    address = ct.local_address or "-"
    failure = ct.link_failure
    summaries = {
        "data-rejected": (
            f"registered with {name} ({dbm}), but the network refuses the data session for APN '{apn}': no IP address",
            f"已注册 {name}（{dbm_zh}），但网络拒绝 APN“{apn}”的数据连接：未获得 IP 地址",
        ),
        "wifi-auth-failed": (
            f"Wi-Fi '{ssid}' found ({dbm}), but it refuses the terminal's password: not connected",
            f"找到 Wi-Fi“{ssid}”（{dbm_zh}），但密码被拒绝：未连接",
        ),
        "no-apn": (
            f"registered with {name} ({dbm}), but no APN is set: no data session",
            f"已注册 {name}（{dbm_zh}），但未设置 APN：无数据连接",
        ),
        "no-sim": ("no SIM card", "未插 SIM 卡"),
        "not-registered": (
            "the SIM is not registered with a mobile network (no service)",
            "SIM 卡未注册到移动网络（无服务）",
        ),
        "no-ssid": ("no Wi-Fi network name (SSID) set", "未设置 Wi-Fi 网络名称（SSID）"),
        "ssid-not-found": (f"Wi-Fi '{ssid}' not in range", f"未找到 Wi-Fi“{ssid}”（不在范围内）"),
        "no-carrier": ("no cable, carrier or radio link", "无网线、无载波或无线连接"),
        "no-address": ("link up, but no IP address came (DHCP)", "已连接，但未获得 IP 地址（DHCP）"),
    }
    if failure == "none":
        if mode == "cellular":
            summary = T(
                f"registered with {name} ({dbm}), data session up, address {address}",
                f"已注册 {name}（{dbm_zh}），数据连接正常，地址 {address}",
            )
        elif mode == "wifi":
            summary = T(
                f"joined Wi-Fi '{ssid}' ({dbm}), address {address}",
                f"已连接 Wi-Fi“{ssid}”（{dbm_zh}），地址 {address}",
            )
        else:
            summary = T(f"link up, address {address}", f"网络连接正常，地址 {address}")
        return [_c("network.link", "network", title, "pass", summary, observed, expected, compared_with)]
    en, zh = summaries.get(failure, (ct.link_detail or failure, ct.link_detail or "无网络连接"))
    return [_c("network.link", "network", title, "fail", T(en, zh), observed, expected, compared_with)]


def _sign_on_check(s, r: Readings, ctx: Context, title: Text, observed: dict) -> CheckResult:
    """The sign-on line, worded from the facts: answered or not, the code, keys loaded, keys verified."""
    host = f"{hostport(s.host_address, s.host_port)}"
    if s.host_role == "backup":
        host_en, host_zh = f"{host} (the backup host)", f"{host}（备用主机）"
    else:
        host_en, host_zh = host, host
    stan_en, stan_zh = f"STAN {s.stan:06d}", f"流水号 {s.stan:06d}"
    code = s.response_code
    info = ctx.profile.explain(code) if (code and ctx.profile) else None
    meaning_en = f" {info.en}" if info else ""
    meaning_zh = f" {info.zh}" if info else ""
    source = ctx.profile_source if info else ""
    if s.outcome == "ok":
        dukpt = r.keys is not None and r.keys.scheme.startswith("dukpt")
        if s.keys_updated:
            keys = T("new working keys loaded and verified under the TMK", "新工作密钥已下载，并在主密钥下校验通过")
        elif dukpt:
            keys = T("DUKPT: no working keys to load", "DUKPT：无需下载工作密钥")
        else:
            keys = T("no new working keys in the answer; the old ones are kept", "应答未带新工作密钥；沿用旧密钥")
        return _c(
            "signon",
            "sign-on",
            title,
            "pass",
            T(f"approved (00) by {host_en}; ", f"签到成功（00），{host_zh}；") + keys,
            observed,
        )
    if s.outcome == "key-verify-failed":
        summary = T(
            f"answered 00 by {host_en}, but the new working keys failed their check values under the TMK "
            f"({s.detail}): not loaded, the old keys are kept ({stan_en})",
            f"{host_zh} 应答 00，但新工作密钥在主密钥下校验失败：未装入，沿用旧密钥（{stan_zh}）",
        )
    elif s.outcome == "declined":
        summary = T(
            f"refused with response code {code}{meaning_en} by {host_en} ({stan_en}); no keys loaded",
            f"{host_zh} 拒绝签到，应答码 {code}{meaning_zh}（{stan_zh}）；未下载密钥",
        )
    elif s.outcome == "mismatch":
        summary = T(
            f"answered by {host_en}, but the answer does not match the request ({s.detail}); no keys loaded",
            f"{host_zh} 有应答，但应答与请求不符（{stan_zh}）；未下载密钥",
        )
    elif s.outcome in ("no-answer", "closed-mid-message", "garbage", "reset"):
        what = {
            "no-answer": T("no answer", "无应答"),
            "closed-mid-message": T("the answer was cut off", "应答中断"),
            "garbage": T("the answer could not be read", "应答无法解析"),
            "reset": T("the connection was reset before an answer", "应答前连接被重置"),
        }[s.outcome]
        summary = (
            T(f"connected to {host_en}, then ", f"已连接 {host_zh}，但")
            + what
            + T(f" ({stan_en}) {s.detail}".rstrip(), f"（{stan_zh}）")
        )
    else:
        how = OUTCOMES_EN.get(s.outcome, s.outcome)
        how_zh = OUTCOMES_ZH.get(s.outcome, s.outcome)
        summary = T(
            f"no host answered: {host_en} {how} ({stan_en}) {s.detail}".rstrip(),
            f"没有主机应答：{host_zh} {how_zh}（{stan_zh}）",
        )
    return _c("signon", "sign-on", title, "fail", summary, observed, compared_with=source)


def dukpt_key_set_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    """``keys.dukpt_key_set``: the KSN's key-set id against the acquirer profile's ``dukpt_key_sets`` (no key read)."""
    from drivers.dukpt import key_set_id

    title = T("DUKPT key set", "DUKPT 密钥集")
    k = r.keys
    if k is None:
        return [_not_read(r, "keys", "keys.dukpt_key_set", "keys", title)]
    if not k.scheme.startswith("dukpt") or not k.ksn:
        return [_c("keys.dukpt_key_set", "keys", title, "skipped", T("not a DUKPT terminal", "非 DUKPT 终端"))]
    try:
        ksi = key_set_id(k.ksn)
    except ValueError:
        return [
            _c(
                "keys.dukpt_key_set",
                "keys",
                title,
                "fail",
                T(f"KSN {k.ksn} is not 20 hex digits", f"KSN {k.ksn} 不是20位十六进制"),
            )
        ]
    observed = {"ksn": k.ksn, "key_set_id": ksi}
    prof = ctx.profile
    if prof is None or not prof.dukpt_key_sets:
        why = T(
            f"key set {ksi} (no acquirer profile listing its key sets to compare)",
            f"密钥集 {ksi}（无列出密钥集的收单行配置，无法比对）",
        )
        return [_c("keys.dukpt_key_set", "keys", title, "skipped", why, observed)]
    sets = [x.upper() for x in prof.dukpt_key_sets]
    expected = {"key_set_ids": sets}
    if ksi in sets:
        summary = T(f"key set {ksi}, one the acquirer uses", f"密钥集 {ksi}，收单行使用的密钥集")
        return [_c("keys.dukpt_key_set", "keys", title, "pass", summary, observed, expected, ctx.profile_source)]
    summary = T(
        f"key set {ksi} (KSN {k.ksn}) is not one of {prof.name.en}'s ({', '.join(sets)})",
        f"密钥集 {ksi}（KSN {k.ksn}）不是{prof.name.zh}的密钥集（{'、'.join(sets)}）",
    )
    return [_c("keys.dukpt_key_set", "keys", title, "fail", summary, observed, expected, ctx.profile_source)]


#: Signal thresholds per radio (issue 17; docs/diagnosis.md "Thresholds"): (warn at or below, fail at or below), dBm.
#: LTE judges RSRP (3GPP TS 36.133 range -140..-44 dBm; -105 and below is a weak cell edge, -115 and below
#: barely usable); GSM/WCDMA judge the RSSI (= CSQ 10 at -93 dBm, CSQ 5 at -103 dBm, 3GPP TS 27.007 §8.5).
SIGNAL_LIMITS = {"lte": ("rsrp_dbm", "RSRP", -105, -115), "wcdma": ("signal_dbm", "RSSI", -93, -103)}
SIGNAL_LIMITS["gsm"] = SIGNAL_LIMITS["wcdma"]
RADIO_NAMES = {"lte": "LTE (4G)", "wcdma": "WCDMA (3G)", "gsm": "GSM (2G)"}


def signal_strength(hw) -> tuple[str, str, int | None, str]:
    """(status, measure, value, line) for a cellular terminal's radio (``hw``: drivers.models.Hardware)."""
    measure, label, warn, fail = SIGNAL_LIMITS.get(hw.radio or "", ("signal_dbm", "RSSI", -93, -103))
    value = getattr(hw, measure)
    if value is None:
        return "skipped", label, None, ""
    status = "fail" if value <= fail else "warn" if value <= warn else "pass"
    parts = [f"{label} {value} dBm"]
    if hw.radio == "lte" and hw.signal_dbm is not None:
        parts.append(f"RSSI {hw.signal_dbm} dBm")
    if hw.csq is not None:
        parts.append(f"CSQ {hw.csq}")
    return status, label, value, f"{RADIO_NAMES.get(hw.radio or '', hw.radio or '?')}, " + ", ".join(parts)


def signal_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    """``network.signal``: a cellular terminal's signal strength against its radio's thresholds (GET_HARDWARE)."""
    title = T("Cellular signal strength", "移动网络信号强度")
    hw = r.hardware
    if hw is None:
        return [_not_read(r, "hardware", "network.signal", "network", title)]
    mode = r.parameters.comm_mode if r.parameters is not None else ""
    if mode != "cellular" or hw.radio is None:
        why = T("not a cellular terminal (no modem signal reported)", "非移动网络终端（未报告信号）")
        return [_c("network.signal", "network", title, "skipped", why)]
    status, label, value, line = signal_strength(hw)
    observed = {"radio": hw.radio, "signal_dbm": hw.signal_dbm, "csq": hw.csq, "rsrp_dbm": hw.rsrp_dbm}
    if value is None:
        return [_c("network.signal", "network", title, "skipped", T("signal not reported", "未报告信号"), observed)]
    _, _, warn, fail = SIGNAL_LIMITS.get(hw.radio, ("", "", -93, -103))
    expected = {"measure": label, "warn_at_or_below_dbm": warn, "fail_at_or_below_dbm": fail}
    words = {
        "pass": T("good enough", "信号可用"),
        "warn": T(f"weak (at or below {warn} dBm)", f"信号弱（不高于 {warn} dBm）"),
        "fail": T(
            f"too weak for a reliable data link (at or below {fail} dBm)",
            f"信号过弱，数据连接不可靠（不高于 {fail} dBm）",
        ),
    }[status]
    summary = T(f"{line}: {words.en}", f"{line}：{words.zh}")
    return [_c("network.signal", "network", title, status, summary, observed, expected)]


#: The terminal's own state (``DeviceStatus.condition``) in words, and whether it is a fault.
CONDITION_WORDS = {
    "ready": T("ready", "就绪"),
    "busy": T("busy, please wait", "忙，请稍候"),
    "initialisation-required": T("initialisation required", "需要初始化"),
    "clock-wrong": T("date and time wrong", "日期时间错误"),
    "memory-full": T("memory full", "存储已满"),
    "journal-full": T("merchant journal full", "商户流水已满"),
    "open-batch": T("end-of-day batch still open", "日结批次未结"),
    "printer-not-ready": T("printer not ready", "打印机未就绪"),
    "low-voltage": T("voltage too low", "电压过低"),
    "reader-defective": T("card reader defective", "读卡器故障"),
    "out-of-order": T("out of order", "停止服务"),
    "other": T("not ready", "未就绪"),
}


def device_status_checks(r: Readings, ctx: Context) -> list[CheckResult]:
    """The terminal's own state, where the driver's protocol reports one (else skipped: not available)."""
    title = T("Terminal's own status", "终端自身状态")
    if r.device_status is None:
        return [_not_read(r, "device-status", "terminal.status", "hardware", title)]
    s = r.device_status
    words = CONDITION_WORDS.get(s.condition, CONDITION_WORDS["other"])
    status = "pass" if s.condition == "ready" else "warn" if s.condition == "busy" else "fail"
    observed = {"code": s.code, "condition": s.condition, "terminal_says": s.text}
    summary = T(f"{words.en} (status {s.code})", f"{words.zh}（状态 {s.code}）")
    return [_c("terminal.status", "hardware", title, status, summary, observed, {"condition": "ready"})]


JUDGES: list[Callable[[Readings, Context], list[CheckResult]]] = [
    link_checks,
    identity_checks,
    device_status_checks,
    hardware_checks,
    parameter_checks,
    key_checks,
    dukpt_key_set_checks,
    counter_checks,
    self_test_checks,
    terminal_link_checks,
    signal_checks,
    network_checks,
]


def judge(r: Readings, ctx: Context) -> list[CheckResult]:
    """The whole checklist, in the order a technician reads it."""
    results = []
    for fn in JUDGES:
        results += fn(r, ctx)
    for res in results:
        res.duration_ms = r.durations_ms.get(STEP_OF_CHECK.get(res.id, STEP_OF_GROUP.get(res.group, "")), 0)
        res.fields = list(PARAMETER_FIELDS.get(res.id, ()))
    return results


#: The runner step whose reading a group of checks judges (for the time it took).
STEP_OF_GROUP = {
    "identity": "identity",
    "hardware": "hardware",
    "parameters": "parameters",
    "keys": "keys",
    "counters": "counters",
    "sign-on": "sign-on",
}
#: The payment parameters each check judges (a GUI highlights them with the check's status).
PARAMETER_FIELDS = {
    "params.tid": ("tid",),
    "params.mid": ("mid",),
    "params.hosts": ("primary_host", "primary_port", "backup_host", "backup_port"),
    "params.tpdu": ("tpdu",),
    "params.header": ("header_status",),
    "params.comms": ("comm_mode", "apn", "wifi_ssid", "dns_primary", "dns_secondary", "tls"),
    "params.counters": ("stan", "batch"),
}
STEP_OF_CHECK = {
    "terminal.status": "device-status",
    "link.connect": "connect",
    "link.login": "login",
    "counters.response_codes": "logs",
    "selftest.card_reader": "card-reader",
    "selftest.keypad": "keypad",
    "network.terminal": "comm-test",
    "network.link": "comm-test",
    "network.signal": "hardware",
    "network.laptop": "laptop-network",
    "network.compare": "laptop-network",
}
