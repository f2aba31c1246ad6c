"""Repair actions: what each finding offers, built from the readings, the work order and the profile.

Automatic actions change the terminal through the driver only after
confirmation; :mod:`.repair` runs them (backup, write, read-back, sign-on,
re-run). Manual actions are numbered steps with what to check afterwards.
Escalations are ready-to-send texts for the acquirer's helpdesk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drivers.addr import hostport
from drivers.models import Parameters

from ..workorder import WorkOrder
from .checks import current_log
from .model import Action, T, Text
from .runner import Readings

if TYPE_CHECKING:  # the validated profile model (pydantic) is not needed to import the diagnosis
    from ..profiles import AcquirerProfile

#: Payment parameters as findings and actions name them: English, Chinese (the terminal menus' words).
PARAMETER_NAMES = {
    "tid": ("TID", "终端号"),
    "mid": ("MID", "商户号"),
    "merchant_name": ("merchant name", "商户名称"),
    "acquirer_id": ("institution ID", "机构标识码"),
    "primary_host": ("primary host", "主机地址"),
    "primary_port": ("primary port", "主机端口"),
    "backup_host": ("backup host", "备用主机地址"),
    "backup_port": ("backup port", "备用主机端口"),
    "tls": ("TLS", "TLS"),
    "tpdu": ("TPDU", "TPDU"),
    "header_status": ("header status", "状态设置"),
    "comm_mode": ("comm mode", "通讯方式"),
    "apn": ("APN", "APN"),
    "wifi_ssid": ("Wi-Fi name (SSID)", "Wi-Fi 名称（SSID）"),
    "dns_primary": ("DNS server", "DNS 服务器"),
    "dns_secondary": ("second DNS server", "备用 DNS 服务器"),
    "connect_timeout_s": ("connect timeout, seconds", "连接超时（秒）"),
    "response_timeout_s": ("response timeout, seconds", "应答超时（秒）"),
    "stan": ("STAN", "流水号"),
    "batch": ("batch number", "批次号"),
}


def parameter_label(name: str, lang: str) -> str:
    """A payment parameter as the terminal's menus name it (never its field key)."""
    en, zh = PARAMETER_NAMES.get(name, (name.replace("_", " "), name.replace("_", " ")))
    return zh if lang == "zh" else en


SETTLE_FIRST = T(
    "The terminal refuses parameter changes while transactions are unsettled: settle the batch first.",
    "有未结算交易时终端拒绝修改参数：请先结算。",
)


def _blocked(r: Readings) -> Text | None:
    if r.counters is not None and r.counters.unsettled_transactions:
        n = r.counters.unsettled_transactions
        return T(
            f"waits for the batch to be settled first: {n} unsettled transactions, and the terminal refuses "
            "parameter changes until the batch is settled.",
            f"需先结算：有 {n} 笔未结算交易，结算前终端拒绝修改参数。",
        )
    return None


def _diff(params: Parameters, wanted: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (getattr(params, k), v) for k, v in wanted.items() if getattr(params, k) != v}


def write_parameters(
    action_id: str, title: Text, r: Readings, wanted: dict[str, Any], *, sign_on: bool = True
) -> Action | None:
    """An automatic parameter write of ``wanted`` (only the values that differ); None when nothing differs."""
    if r.parameters is None:
        return None
    changes = _diff(r.parameters, wanted)
    if not changes:
        return None
    return Action(
        id=action_id,
        kind="automatic",
        title=title,
        changes=changes,
        operation="write-parameters",
        then_sign_on=sign_on,
        blocked=_blocked(r),
        verify=T(
            "The values read back equal the new ones, and the sign-on is answered 00.",
            "回读的参数与新值一致，签到返回 00。",
        )
        if sign_on
        else T("The values read back equal the new ones.", "回读的参数与新值一致。"),
    )


def fix_identity(r: Readings, wo: WorkOrder, fields: tuple[str, ...]) -> Action | None:
    en = " and ".join(PARAMETER_NAMES[f][0] for f in fields)
    zh = "和".join(PARAMETER_NAMES[f][1] for f in fields)
    return write_parameters(
        "fix-" + "-".join(fields).replace("_", "-"),
        T(f"Set the {en} from work order {wo.id}", f"按工单 {wo.id} 改正{zh}"),
        r,
        {f: getattr(wo, f) for f in fields},
    )


def production_hosts(profile: AcquirerProfile) -> dict[str, Any]:
    hosts = profile.production_hosts
    primary = hosts[0]
    backup = hosts[1] if len(hosts) > 1 else None
    return {
        "primary_host": primary.address,
        "primary_port": primary.port,
        "backup_host": backup.address if backup else "",
        "backup_port": backup.port if backup else 0,
        "tls": primary.tls,
    }


def point_at_production(r: Readings, profile: AcquirerProfile) -> Action | None:
    return write_parameters(
        "use-production-hosts",
        T(
            f"Point the terminal at {profile.name.en}'s production hosts, TPDU {profile.tpdu}, header status normal",
            f"将终端指向{profile.name.zh}的生产主机、TPDU {profile.tpdu}、状态设为正常",
        ),
        r,
        {**production_hosts(profile), "tpdu": profile.tpdu, "header_status": "normal"},
    )


def fix_tpdu(r: Readings, profile: AcquirerProfile) -> Action | None:
    return write_parameters(
        "fix-tpdu",
        T(f"Set the TPDU to the acquirer's {profile.tpdu}", f"将 TPDU 改为收单行规定的 {profile.tpdu}"),
        r,
        {"tpdu": profile.tpdu},
    )


def header_normal(r: Readings) -> Action | None:
    return write_parameters(
        "header-normal",
        T("Switch the header status from test to normal", "将状态设置由测试改为正常"),
        r,
        {"header_status": "normal"},
    )


def restore_parameters(r: Readings, wo: WorkOrder | None, profile: AcquirerProfile | None) -> Action | None:
    wanted: dict[str, Any] = {}
    if wo is not None:
        wanted.update(tid=wo.tid, mid=wo.mid)
        if wo.merchant_name:
            wanted["merchant_name"] = wo.merchant_name
    if profile is not None:
        wanted.update(production_hosts(profile), tpdu=profile.tpdu, header_status="normal")
        wanted["acquirer_id"] = profile.institution_id
    if not wanted:
        return None
    has_tmk = r.keys is not None and bool(r.keys.tmk_slots)
    sources = " and ".join(
        x for x in (f"work order {wo.id}" if wo else "", f"profile {profile.id}" if profile else "") if x
    )
    return write_parameters(
        "restore-parameters",
        T(f"Restore the lost parameters from {sources}", "按工单和收单行配置恢复丢失的参数"),
        r,
        wanted,
        sign_on=has_tmk,
    )


def sync_clock() -> Action:
    return Action(
        id="sync-clock",
        kind="automatic",
        title=T("Set the terminal's clock to the laptop's", "将终端时钟校准为笔记本时间"),
        operation="sync-clock",
        then_sign_on=True,
        verify=T(
            "The terminal's clock reads within a minute of the laptop, and the comm test's TLS succeeds.",
            "终端时钟与笔记本相差一分钟以内，通讯测试 TLS 成功。",
        ),
    )


def settle_batch() -> Action:
    """The terminal settles its open batch with its host (SETTLE), where the acquirer profile allows it.

    Offered in place of the manual "Settle the batch" step when the profile says
    ``automatic_settlement = true``; it runs before the parameter writes the open
    batch blocks, and its proof is the read-back of the batch counter.
    """
    return Action(
        id="settle-batch",
        kind="automatic",
        title=T("Settle the batch (结算): the terminal sends its totals to the host", "结算：终端向主机上送批次总额"),
        operation="settle",
        verify=T(
            "The host answers 00 and the totals balance (对账平); the unsettled count reads 0 and the batch number "
            "is one higher.",
            "主机返回 00 且对账平；未结算笔数为 0，批次号加 1。",
        ),
    )


def initialise() -> Action:
    """The terminal fetches its configuration from its host (a protocol's initialisation command)."""
    return Action(
        id="initialise",
        kind="automatic",
        title=T("Initialise the terminal from its host", "终端从主机初始化"),
        operation="initialise",
        verify=T("The terminal's own status reads ready afterwards.", "之后终端自身状态显示就绪。"),
    )


def register() -> Action:
    """The laptop registers with the terminal as its cash register."""
    return Action(
        id="register",
        kind="automatic",
        title=T("Register this laptop with the terminal as its cash register", "在终端上把本笔记本登记为收银机"),
        operation="register",
        verify=T("The terminal's comm test runs instead of being refused.", "终端通讯测试可以运行，不再被拒绝。"),
    )


def sign_on() -> Action:
    return Action(
        id="sign-on",
        kind="automatic",
        title=T("Have the terminal sign on (签到) to load new working keys", "终端签到，下载新的工作密钥"),
        operation="sign-on",
        verify=T("The sign-on is answered 00 and the new keys verify.", "签到返回 00，新密钥校验通过。"),
    )


def print_test_page() -> Action:
    return Action(
        id="print-test-page",
        kind="automatic",
        title=T("Print a test page", "打印测试页"),
        operation="print-test-page",
        after_manual=True,
        verify=T("The page comes out complete and legible.", "测试页完整清晰。"),
    )


def manual(action_id: str, title: Text, steps: list[Text], verify: Text) -> Action:
    return Action(id=action_id, kind="manual", title=title, steps=steps, verify=verify)


# -- escalation ----------------------------------------------------------------------------
def escalation_facts(r: Readings, wo: WorkOrder | None) -> list[tuple[str, str, str]]:
    """(English label, Chinese label, value) for the helpdesk: identity, routing and the failed sign-on."""
    p, i, s = r.parameters, r.identity, r.sign_on
    facts: list[tuple[str, str, str]] = []
    if wo is not None:
        facts.append(("Work order", "工单号", wo.id))
        if wo.merchant_name:
            facts.append(("Merchant", "商户名称", wo.merchant_name))
    if p is not None:
        facts += [("TID", "终端号", p.tid or "(blank)"), ("MID", "商户号", p.mid or "(blank)")]
    if i is not None:
        facts += [
            ("Serial number", "序列号", i.serial_number),
            ("Model", "型号", f"{i.vendor} {i.model}"),
            ("Firmware", "固件版本", i.firmware_version),
            ("Application", "应用版本", f"{i.app_name} {i.app_version}"),
        ]
    if s is not None:
        facts += [
            ("Host", "主机", f"{hostport(s.host_address, s.host_port)}"),
            ("STAN", "流水号", f"{s.stan:06d}"),
            ("Sign-on time", "签到时间", f"{s.sent_at:%Y-%m-%d %H:%M:%S}" if s.sent_at else "-"),
            ("Response code", "应答码", s.response_code or s.outcome),
        ]
        if s.acquirer_id:
            facts.append(("Answered by institution", "应答机构", s.acquirer_id))
    elif current_log(r):
        last = current_log(r)[-1]
        facts.append(
            (
                "Last response code (terminal log)",
                "最近应答码（终端日志）",
                f"{last.code} at {last.time:%Y-%m-%d %H:%M:%S}",
            )
        )
        if p is not None:
            facts.append(("Host", "主机", f"{hostport(p.primary_host, p.primary_port)}"))
    if p is not None:
        facts.append(("TPDU", "TPDU", p.tpdu))
    return facts


def escalation(
    action_id: str,
    title: Text,
    request: Text,
    r: Readings,
    wo: WorkOrder | None,
    profile: AcquirerProfile | None,
    extra: list[tuple[str, str, str]] | None = None,
    *,
    verify: Text | None = None,
    sign_on_after: bool = True,
) -> Action:
    """A ready-to-send text for the acquirer's helpdesk.

    ``verify`` replaces what to check once the acquirer answers; ``sign_on_after=False``
    for a device that cannot sign on any more (a tamper-locked terminal goes to the vendor).
    """
    facts = escalation_facts(r, wo) + (extra or [])
    desk_en = (
        f"{profile.helpdesk.name.en} ({profile.helpdesk.phone})" if profile else "the acquirer's terminal helpdesk"
    )
    desk_zh = f"{profile.helpdesk.name.zh}（{profile.helpdesk.phone}）" if profile else "收单行终端技术支持"
    width = max(len(en) for en, _, _ in facts) if facts else 0
    body_en = "\n".join(f"{en + ':':<{width + 1}} {value}" for en, _, value in facts)
    body_zh = "\n".join(f"{zh}：{value}" for _, zh, value in facts)
    text = T(
        f"To: {desk_en}\nSubject: {title.en}\n\n{request.en}\n\n{body_en}\n",
        f"致：{desk_zh}\n主题：{title.zh}\n\n{request.zh}\n\n{body_zh}\n",
    )
    recipient = ""
    if profile is not None:
        recipient = profile.helpdesk.email or profile.helpdesk.phone
    return Action(
        id=action_id,
        kind="escalation",
        title=title,
        text=text,
        recipient=recipient,
        verify=verify
        if verify is not None
        else (
            T(
                "When the acquirer confirms, have the terminal sign on: it must be answered 00.",
                "收单行确认后让终端签到：应返回 00。",
            )
            if sign_on_after
            else None
        ),
    )


# -- the terminal's own link, by link type ---------------------------------------------------
def link_steps(p: Parameters | None, wo: WorkOrder | None, profile: AcquirerProfile | None) -> list[Text]:
    """What to check on the terminal's own link, for its link type (cellular, Wi-Fi, Ethernet).

    Used wherever the laptop reaches a host from the site and the terminal does not.
    """
    mode = p.comm_mode if p is not None else ""
    if mode == "cellular":
        apn = p.apn or ""
        wanted = getattr(wo, "apn", "") or getattr(profile, "apn", "") or ""
        source_en = "the work order" if getattr(wo, "apn", "") else "the acquirer profile" if wanted else ""
        source_zh = "工单" if getattr(wo, "apn", "") else "收单行配置" if wanted else ""
        if wanted:
            apn_en = f"The APN: the terminal has '{apn or '(blank)'}', {source_en} says '{wanted}'; they must be equal."
            apn_zh = f"APN：终端为“{apn or '（空）'}”，{source_zh}为“{wanted}”，两者必须一致。"
        else:
            apn_en = (
                f"The APN: the terminal has '{apn or '(blank)'}'; ask the carrier or the acquirer for this SIM's "
                "APN (POS SIMs often use a private APN)."
            )
            apn_zh = f"APN：终端为“{apn or '（空）'}”；向运营商或收单行确认此 SIM 卡的 APN（POS 常用专网 APN）。"
        return [
            T(
                "The SIM: inserted the right way round, and registered (the terminal's status bar shows the carrier).",
                "SIM 卡：插入方向正确，并已注册网络（终端状态栏显示运营商）。",
            ),
            T(
                "The signal: at least two bars where the terminal stands; move it or fit an external antenna.",
                "信号：终端所在位置至少两格；否则移动终端或加装外置天线。",
            ),
            T(apn_en, apn_zh),
            T(
                "The data plan: ask the carrier whether the SIM is active and its data allowance not used up.",
                "流量套餐：向运营商确认 SIM 卡已开通、流量未用完。",
            ),
        ]
    if mode == "wifi":
        ssid = p.wifi_ssid or ""
        return [
            T(
                f"The Wi-Fi name: the terminal joins '{ssid or '(blank)'}'; it must be the shop's network.",
                f"Wi-Fi 名称：终端连接的是“{ssid or '（空）'}”，必须是商户的网络。",
            ),
            T(
                "The Wi-Fi password: enter it again in 通讯参数设置 (a changed router password is a common cause).",
                "Wi-Fi 密码：在“通讯参数设置”中重新输入（路由器改过密码是常见原因）。",
            ),
            T(
                "DHCP: the terminal must get an address from the router (its status shows an IP address, not "
                "0.0.0.0 or 169.254.x.x).",
                "DHCP：终端应从路由器获得地址（状态显示有效 IP，而不是 0.0.0.0 或 169.254.x.x）。",
            ),
        ]
    return [
        T(
            "The cable: plugged in at both ends, the port light on at the terminal and at the switch or router.",
            "网线：两端插好，终端和交换机（或路由器）网口指示灯亮。",
        ),
        T(
            "DHCP: the terminal must get an address from the router (its status shows an IP address, not 0.0.0.0 "
            "or 169.254.x.x); a bare switch without a router gives none.",
            "DHCP：终端应从路由器获得地址（状态显示有效 IP，而不是 0.0.0.0 或 169.254.x.x）；"
            "只有交换机没有路由器时无法获得地址。",
        ),
        T(
            "The gateway: if the address is set by hand, the gateway and DNS must be the shop router's.",
            "网关：若手工设置地址，网关和 DNS 必须是商户路由器的地址。",
        ),
    ]


def check_terminal_link(
    p: Parameters | None,
    wo: WorkOrder | None,
    profile: AcquirerProfile | None,
    *,
    why: Text | None = None,
    action_id: str = "check-terminal-link",
) -> Action:
    """The manual action for a terminal that cannot reach what the laptop reaches from the same site."""
    mode = p.comm_mode if p is not None else ""
    names = {
        "cellular": ("cellular", "无线（4G）"),
        "wifi": ("Wi-Fi", "Wi-Fi"),
        "ethernet": ("Ethernet", "有线"),
    }
    en, zh = names.get(mode, ("network", "网络"))
    steps = ([why] if why is not None else []) + link_steps(p, wo, profile)
    return manual(
        action_id,
        T(f"Check the terminal's {en} link", f"检查终端的{zh}连接"),
        steps,
        T("The comm test reaches every host.", "通讯测试可连通所有主机。"),
    )
