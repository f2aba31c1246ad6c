"""The host link seen from both ends: the laptop's echo test and the comparison with the terminal.

The laptop may send an **echo test** (0820, 60.3 = 301) to the terminal's hosts:
it changes nothing on the host. It must never **sign on** in the terminal's
name: a sign-on makes the host issue new working keys for that TID, the real
terminal keeps the old ones, and its next transaction is answered A0 (MAC
error). Signing on is done only by the terminal itself (``driver.sign_on()``).

:func:`compare` turns the terminal's comm test and sign-on and the laptop's
checks from the same site into one verdict, following the decision table in
``docs/diagnosis.md``.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from drivers.addr import hostport
from drivers.hostlink import cup
from drivers.models import CommTestResult, SignOnResult

from .netcheck import Dialer, HostCheck, NotAllowed

#: Laptop echo tests use STANs from this range so they never look like the terminal's own sequence.
LAPTOP_STAN_RANGE = (900000, 999999)


@dataclass(frozen=True)
class EchoResult:
    """An 0820/0830 echo test from the laptop to one host."""

    host: str
    port: int
    outcome: str  # "ok", "declined", "no-answer", "closed-mid-message", "garbage", "mismatch", or a connect outcome
    response_code: str | None
    acquirer_id: str
    elapsed_ms: float
    detail: str
    request_hex: str = ""
    answer_hex: str = ""
    #: the connection as it crossed the wire (techapp.evidence writes it to a pcap): the laptop's
    #: address and port, the host's address as dialled, when it started (Unix ms) and how long the connect took
    local_address: str = ""
    local_port: int | None = None
    remote_address: str = ""
    started_ms: int = 0
    connect_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def echo_test(
    host: str,
    port: int,
    *,
    tpdu: str,
    header: cup.Header,
    tid: str,
    mid: str,
    batch: int,
    dialer: Dialer,
    timeout: float,
    tls: bool = False,
    cafile: str | None = None,
    stan: int | None = None,
) -> EchoResult:
    """Send one 0820/301 through ``dialer`` and judge the 0830. Never raises for network conditions."""
    if stan is None:
        stan = secrets.randbelow(LAPTOP_STAN_RANGE[1] - LAPTOP_STAN_RANGE[0]) + LAPTOP_STAN_RANGE[0]
    started = time.perf_counter()
    started_ms = time.time_ns() // 1_000_000
    wire = b""
    where: dict[str, Any] = {}

    def result(outcome: str, detail: str, answer: cup.HostMessage | None = None, raw: bytes = b"") -> EchoResult:
        return EchoResult(
            **where,
            started_ms=started_ms,
            host=host,
            port=port,
            outcome=outcome,
            response_code=answer.get(39) if answer else None,
            acquirer_id=(answer.get(32) or "") if answer else "",
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
            detail=detail,
            request_hex=wire.hex().upper(),
            answer_hex=raw.hex().upper(),
        )

    try:
        request = cup.echo_request(
            tid=cup.as_sent(tid, 8),  # the terminal's identity as the terminal itself would send it
            mid=cup.as_sent(mid, 15),
            stan=stan,
            batch=batch,
            tpdu=cup.Tpdu.from_hex(tpdu),
            header=header,
        )
        wire = cup.encode(request)
    except cup.HostProtocolError as err:
        # e.g. a TID that is not 8 characters: the terminal's parameters cannot even make a message
        return result("bad-parameters", f"the terminal's parameters cannot make an 0820: {err}")
    try:
        sock = dialer.connect(host, port, timeout)
    except NotAllowed as err:
        return result("not-allowed", str(err))
    except TimeoutError:
        return result("timeout", f"no TCP answer from {hostport(host, port)}")
    except ConnectionRefusedError:
        return result("refused", f"{hostport(host, port)} refused the connection")
    except ConnectionResetError:
        return result("reset", f"{hostport(host, port)} reset the connection")
    except socket.gaierror as err:
        return result("dns-failure", f"{host} does not resolve ({err})")
    except OSError as err:
        return result("unreachable", f"{hostport(host, port)}: {err.strerror or err}")
    where.update(_endpoints(sock, host, dialer), connect_ms=round((time.perf_counter() - started) * 1000, 1))
    try:
        if tls:
            context = ssl.create_default_context(cafile=cafile)
            context.check_hostname = False
            sock = context.wrap_socket(sock, server_hostname=host)
        sock.sendall(wire)
        raw, answer = cup.receive(sock, timeout)
    except ssl.SSLError as err:
        return result("tls-failure", f"TLS: {err}")
    except TimeoutError:
        return result("no-answer", f"{hostport(host, port)} did not complete the exchange in {timeout:g} s")
    except cup.HostTimeout as err:
        return result("no-answer", str(err))
    except cup.HostClosed as err:
        return result("closed-mid-message", str(err))
    except cup.HostProtocolError as err:
        return result("garbage", str(err))
    except OSError as err:
        return result("reset", f"connection lost: {err.strerror or err}")
    finally:
        sock.close()
    if answer.mti != "0830" or answer.get(11) != request.get(11):
        return result(
            "mismatch", f"answer {answer.mti} STAN {answer.get(11)} to 0820 STAN {request.get(11)}", answer, raw
        )
    code = answer.get(39) or ""
    return result("ok" if code == "00" else "declined", "" if code == "00" else f"response code {code}", answer, raw)


def _endpoints(sock: socket.socket, host: str, dialer: Dialer) -> dict[str, Any]:
    """The laptop's address and port and the host's address, for the pcap (techapp.evidence).

    Through the simulator's network map the socket really goes to loopback: the host's
    address is then what the map resolves the name to, and the laptop's is left to the evidence.
    """
    from .netcheck import is_ip_address

    try:
        local = sock.getsockname()
    except OSError:
        local = ("", None)
    remote = host
    if not is_ip_address(host):
        try:
            remote = (dialer.resolve(host) or [""])[0]
        except (OSError, NotAllowed):
            remote = ""
    return {"local_address": str(local[0]), "local_port": int(local[1]) if local[1] else None, "remote_address": remote}


# -- the comparison -----------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkVerdict:
    """Where the fault lies, in the technician's words, and the evidence behind it."""

    code: str  # see VERDICTS
    summary_en: str
    summary_zh: str
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


VERDICTS: dict[str, tuple[str, str]] = {
    "healthy": ("The terminal reaches its host and the host accepts it.", "终端可连通主机，签到成功。"),
    "reachable": (
        "The terminal reaches its host; run a sign-on to test its registration.",
        "终端可连通主机；请签到以检查终端登记。",
    ),
    "terminal-no-link": (
        "The terminal has no network link: its cable, Wi-Fi, or SIM/APN.",
        "终端没有网络连接：检查网线、Wi-Fi 或 SIM 卡/APN。",
    ),
    "terminal-comms": (
        "The laptop reaches the host from this site but the terminal does not: the terminal's comms settings "
        "(host address, port, DNS, APN) or its modem/SIM.",
        "笔记本在同一现场可连通主机而终端不能：检查终端通讯参数（主机地址、端口、DNS、APN）或其模块/SIM 卡。",
    ),
    "site-or-host-down": (
        "Neither the terminal nor the laptop reaches the host from this site: the shop's internet, a firewall, "
        "or the acquirer's host is down.",
        "终端和笔记本都连不上主机：检查商户网络、防火墙，或收单行主机故障。",
    ),
    "tls-clock": (
        "TLS fails on the terminal because its clock is wrong (certificate not yet valid or expired at the "
        "terminal's time); set the clock.",
        "终端时钟错误导致 TLS 证书校验失败（证书未生效或已过期）：校准时钟。",
    ),
    "tls": ("TLS fails between the terminal and the host.", "终端与主机之间 TLS 握手失败。"),
    "host-answered-refusal": (
        "The host answered the sign-on with a refusal: the network and routing work; look at the terminal's "
        "identity, registration or keys (see the response code).",
        "主机已应答但拒绝签到：网络和路由正常，请根据应答码检查终端标识、登记或密钥。",
    ),
    "host-misbehaves": (
        "The terminal connects but the host's answer is missing, cut or unreadable: wrong port or TPDU, or a "
        "host application problem.",
        "终端可连接但主机无应答、应答中断或无法解析：端口或 TPDU 错误，或主机应用故障。",
    ),
    "keys": (
        "The host approved but the new working keys do not verify under the terminal's master key: wrong TMK.",
        "主机批准签到，但新工作密钥在终端主密钥下校验失败：主密钥错误。",
    ),
    "wrong-host": (
        "The answer does not match the request (STAN, TID or MID): the terminal talks to the wrong host or "
        "shares its TID.",
        "应答与请求不符（流水号、终端号或商户号）：终端连到了错误的主机或终端号被共用。",
    ),
    "no-host-configured": (
        "The terminal has no host address or port: its parameters are missing (lost after an update or reset); "
        "enter them from the work order or run a TMS parameter download.",
        "终端未设置主机地址或端口：参数丢失（升级或复位后），请按工单输入或做TMS参数下载。",
    ),
    "terminal-cannot-reach": (
        "The terminal reaches none of its hosts; the laptop did not check them (its checks stay on loopback "
        "unless --real-network is given), so the site's network is not compared.",
        "终端连不上任何主机；笔记本未检查这些主机（未指定 --real-network 时只访问本机回环），无法与现场网络比对。",
    ),
    "primary-host-down": (
        "The terminal works through its backup host, but its primary host does not answer: every transaction "
        "first waits for the primary to time out (or be refused), then falls back.",
        "终端通过备用主机工作，但主主机无应答：每笔交易都先等主主机超时（或被拒绝）后才转到备用主机。",
    ),
    "backup-host-down": (
        "The terminal works through its primary host, but its backup host does not answer: there is no "
        "fallback when the primary fails.",
        "终端通过主主机工作，但备用主机无应答：主主机故障时没有备用线路。",
    ),
    "unknown": ("The evidence does not point at one cause.", "现有证据无法确定单一原因。"),
}


@dataclass(frozen=True)
class DeadHost:
    """One of the terminal's hosts it did not reach while it reached another, as both ends saw it."""

    role: str  # "primary" | "backup"
    address: str
    port: int
    terminal: str  # the terminal's comm-test outcome ("refused", "timeout", ...)
    laptop: str | None  # the laptop's outcome for the same host, None when it did not check it

    @property
    def laptop_reaches(self) -> bool | None:
        """True/False as the laptop saw it; None when the laptop did not check (loopback only, no network)."""
        if self.laptop is None or self.laptop == "not-allowed":
            return None
        return self.laptop == "ok"


def dead_hosts(terminal: CommTestResult | None, laptop: list[HostCheck]) -> list[DeadHost]:
    """The hosts the terminal failed to reach while at least one of its other hosts answered.

    Empty when it reached all or none of them (none is the "cannot reach" verdicts' case)
    or had no link.
    """
    if terminal is None or not terminal.link_up:
        return []
    configured = [h for h in terminal.hosts if h.outcome != "not-configured"]
    if not any(h.outcome == "ok" for h in configured):
        return []
    seen = {(c.host, c.port): c.outcome for c in laptop}
    return [
        DeadHost(h.role, h.address, h.port, h.outcome, seen.get((h.address, h.port)))
        for h in configured
        if h.outcome != "ok"
    ]


def _partial(terminal: CommTestResult | None, laptop: list[HostCheck]) -> str | None:
    """``primary-host-down`` / ``backup-host-down`` when the terminal works through only one of its hosts."""
    dead = dead_hosts(terminal, laptop)
    if any(d.role == "primary" for d in dead):
        return "primary-host-down"
    if dead:
        return "backup-host-down"
    return None


def _verdict(code: str, evidence: list[str]) -> NetworkVerdict:
    en, zh = VERDICTS[code]
    return NetworkVerdict(code, en, zh, evidence)


def compare(
    terminal: CommTestResult | None,
    sign_on: SignOnResult | None,
    laptop: list[HostCheck],
) -> NetworkVerdict:
    """Combine both ends' evidence (decision table in docs/diagnosis.md). Order matters: first match wins."""
    evidence: list[str] = []
    if terminal is not None:
        evidence += [
            f"terminal -> {hostport(h.address, h.port)}: {h.outcome} {h.detail}".rstrip() for h in terminal.hosts
        ]
    evidence += [f"laptop -> {hostport(c.host, c.port)}: {c.outcome} {c.detail}".rstrip() for c in laptop]
    if sign_on is not None:
        code = f", response code {sign_on.response_code}" if sign_on.response_code else ""
        evidence.append(f"sign-on via {hostport(sign_on.host_address, sign_on.host_port)}: {sign_on.outcome}{code}")
        if sign_on.outcome == "ok":
            return _verdict(_partial(terminal, laptop) or "healthy", evidence)
        if sign_on.outcome == "declined":
            return _verdict("host-answered-refusal", evidence)
        if sign_on.outcome == "key-verify-failed":
            return _verdict("keys", evidence)
        if sign_on.outcome == "mismatch":
            return _verdict("wrong-host", evidence)
        if sign_on.outcome in ("no-answer", "closed-mid-message", "garbage"):
            return _verdict("host-misbehaves", evidence)
        reached = {(h.address, h.port) for h in (terminal.hosts if terminal else []) if h.outcome == "ok"}
        if sign_on.outcome == "reset" and (sign_on.host_address, sign_on.host_port) in reached:
            return _verdict("host-misbehaves", evidence)  # it connected, then the host hung up unanswered
    hosts = terminal.hosts if terminal is not None else []
    if terminal is not None and not terminal.link_up:
        return _verdict("terminal-no-link", evidence)
    if hosts and all(h.outcome == "not-configured" for h in hosts):
        return _verdict("no-host-configured", evidence)
    tls = [h for h in hosts if h.outcome == "tls-failure"]
    if tls:
        clock = any(h.tls in ("not-yet-valid", "expired") for h in tls)
        return _verdict("tls-clock" if clock else "tls", evidence)
    terminal_reaches = any(h.outcome == "ok" for h in hosts)
    laptop_reaches = any(c.outcome == "ok" or c.failed_stage == "tls" for c in laptop)
    laptop_checked = any(c.outcome != "not-allowed" for c in laptop)
    if hosts and not terminal_reaches:
        if not laptop_reaches and not laptop_checked:
            return _verdict("terminal-cannot-reach", evidence)
        return _verdict("terminal-comms" if laptop_reaches else "site-or-host-down", evidence)
    if terminal_reaches and sign_on is None:
        return _verdict(_partial(terminal, laptop) or "reachable", evidence)
    return _verdict("unknown", evidence)


# -- both ends, in one run ----------------------------------------------------------------
@dataclass
class NetworkReport:
    """Everything ``techapp network`` gathers: the terminal's view, the laptop's, and the verdict."""

    terminal: CommTestResult | None
    sign_on: SignOnResult | None
    local: Any  # netcheck.LocalNetwork
    laptop: list[HostCheck]
    echo: list[EchoResult]
    verdict: NetworkVerdict
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from .version import generator

        return {
            "schema": "techapp.network/1",
            "generator": generator(),
            "terminal": self.terminal.to_dict() if self.terminal else None,
            "sign_on": self.sign_on.to_dict() if self.sign_on else None,
            "laptop": {
                "local": self.local.to_dict(),
                "hosts": [c.to_dict() for c in self.laptop],
                "echo": [e.to_dict() for e in self.echo],
            },
            "verdict": self.verdict.to_dict(),
            "errors": self.errors,
        }


def laptop_view(
    params, dialer: Dialer, *, timeout: float = 5.0, cafile: str | None = None, cancel=None
) -> tuple[list[HostCheck], list[EchoResult]]:
    """The laptop's checks (DNS, TCP, TLS) and echo test of the hosts in the terminal's ``params``.

    ``cancel`` (a ``threading.Event``) stops it between hosts.
    """
    from .netcheck import check_host

    laptop: list[HostCheck] = []
    echoes: list[EchoResult] = []
    hosts = [(params.primary_host, params.primary_port)]
    if params.backup_host:
        hosts.append((params.backup_host, params.backup_port))
    header = cup.Header(terminal_status=1 if params.header_status == "test" else 0)
    for host, port in hosts:
        if not host or not port or (cancel is not None and cancel.is_set()):
            continue
        laptop.append(check_host(host, port, tls=params.tls, dialer=dialer, timeout=timeout, cafile=cafile))
        echoes.append(
            echo_test(
                host,
                port,
                tpdu=params.tpdu,
                header=header,
                tid=params.tid,
                mid=params.mid,
                batch=params.batch,
                dialer=dialer,
                timeout=timeout,
                tls=params.tls,
                cafile=cafile,
            )
        )
    return laptop, echoes


def gather(
    driver, dialer: Dialer, *, sign_on: bool, timeout: float = 5.0, on_progress=None, cafile: str | None = None
) -> NetworkReport:
    """Run the terminal's comm test (and sign-on when asked), then the laptop's checks of the same hosts.

    ``driver`` must be logged in. Terminal errors are recorded, not raised, so
    the laptop's half still runs.
    """
    from drivers.errors import TerminalError

    from .netcheck import local_network

    errors: list[str] = []
    params = terminal_view = signed = None
    try:
        params = driver.parameters()
        terminal_view = driver.comm_test(on_progress=on_progress)
        if sign_on:
            driver.capture_host_traffic = True  # the 0800/0810 as on the wire (--host-trace, techapp.evidence)
            signed = driver.sign_on(on_progress=on_progress)
    except TerminalError as err:
        errors.append(str(err))
    laptop: list[HostCheck] = []
    echoes: list[EchoResult] = []
    if params is not None:
        laptop, echoes = laptop_view(params, dialer, timeout=timeout, cafile=cafile)
    return NetworkReport(
        terminal=terminal_view,
        sign_on=signed,
        local=local_network(),
        laptop=laptop,
        echo=echoes,
        verdict=compare(terminal_view, signed, laptop),
        errors=errors,
    )


def render_report(report: NetworkReport, profile=None) -> str:
    """Text for people. ``profile`` (an AcquirerProfile) explains the response code; nothing else does."""
    out = ["Terminal's view (comm test)"]
    if report.terminal is None:
        out.append("  not available")
    else:
        out.append(
            f"  link {'up' if report.terminal.link_up else 'DOWN'}, address {report.terminal.local_address or '-'}"
        )
        for h in report.terminal.hosts:
            ms = f" {h.connect_ms} ms" if h.connect_ms is not None else ""
            tls = f", TLS {h.tls}" if h.tls != "off" else ""
            out.append(f"  {h.role:<8} {hostport(h.address, h.port)}  {h.outcome}{ms}{tls}  {h.detail}".rstrip())
    if report.sign_on is not None:
        s = report.sign_on
        code = f" response code {s.response_code}" if s.response_code else ""
        out += ["", "Sign-on by the terminal (签到)"]
        out.append(
            f"  {hostport(s.host_address, s.host_port)}  {s.outcome}{code}  STAN {s.stan:06d}  {s.elapsed_ms} ms"
        )
        if s.acquirer_id:
            out.append(f"  answered by institution {s.acquirer_id}, processing requirement {s.processing_requirement}")
        if s.response_code and profile is not None:
            info = profile.explain(s.response_code)
            source = f"acquirer profile {profile.id}" + ("" if info.known else ": code not in the profile")
            out.append(f"  {s.response_code} {info.zh} / {info.en}  ({source})")
            if info.action_en:
                out += [f"  what to do: {info.action_en}", f"  处理: {info.action_zh}"]
        out += [f"  check failed: {c.name}: {c.detail}" for c in s.checks if not c.ok]
        if s.detail:
            out.append(f"  {s.detail}")
    out += ["", "Laptop's view from the same site"]
    up = [i.name for i in report.local.interfaces if i.is_up and not i.is_loopback]
    route = {True: "yes", False: "no", None: "unknown"}[report.local.default_route]
    out.append(f"  interfaces up: {', '.join(up) or 'none'}; default route: {route}")
    for c, e in zip(report.laptop, report.echo, strict=False):
        code = f" ({e.response_code})" if e.response_code else ""
        out.append(
            f"  {hostport(c.host, c.port)}  connect {c.outcome}; echo 0820 {e.outcome}{code}  {c.detail}".rstrip()
        )
    v = report.verdict
    out += ["", f"Verdict: {v.code}", f"  {v.summary_en}", f"  {v.summary_zh}"]
    out += [f"  note: {e}" for e in report.errors]
    return "\n".join(out) + "\n"
