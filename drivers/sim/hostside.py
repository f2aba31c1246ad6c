"""What the simulated terminal does on its host link: the comm test, the sign-on and the settlement.

The terminal works only from its own parameters and keys, as a real one does:
it dials its configured hosts through the scenario's network (``SimWorld``),
builds the 0800 itself and validates the 0810 like a CUP terminal application
(reference §2 "local failures", §4.4). It reports every step to the laptop.
"""

from __future__ import annotations

import ssl
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..addr import hostport
from ..hostlink import cup
from ..maint.protocol import (
    CommOutcome,
    HeaderStatus,
    HostRole,
    KeyScheme,
    Reconciliation,
    Tag,
    TlsOutcome,
)
from ..timescale import hopeless_wait
from .world import is_ip

if TYPE_CHECKING:
    from .terminal import Session

#: 60.3 a terminal sends for its key scheme (DUKPT terminals sign on for the session but load no keys).
SCHEME_NMC = {
    KeyScheme.MS_SINGLE: cup.SIGN_ON_SINGLE,
    KeyScheme.MS_DOUBLE: cup.SIGN_ON_DOUBLE,
    KeyScheme.MS_DOUBLE_TDK: cup.SIGN_ON_DOUBLE_TDK,
    KeyScheme.DUKPT_TDES: cup.SIGN_ON_DOUBLE,
}
DIAL_OUTCOME = {
    "ok": CommOutcome.OK,
    "no-link": CommOutcome.NO_LINK,
    "dns-failure": CommOutcome.DNS_FAILURE,
    "refused": CommOutcome.REFUSED,
    "timeout": CommOutcome.TIMEOUT,
    "reset": CommOutcome.RESET,
}


def _hosts(session: Session) -> list[tuple[HostRole, str, int]]:
    p = session.t.params
    hosts = [(HostRole.PRIMARY, p[Tag.PRIMARY_HOST], p[Tag.PRIMARY_PORT])]
    if p[Tag.BACKUP_HOST]:
        hosts.append((HostRole.BACKUP, p[Tag.BACKUP_HOST], p[Tag.BACKUP_PORT]))
    return hosts


def _link_state(session: Session) -> tuple[bool, str]:
    """Whether the terminal has a data link at all, and why not (``SimulatedTerminal.link_state``)."""
    state = session.t.link_state()
    return state.up, state.detail


def _tls(session: Session, sock, host: str) -> tuple[TlsOutcome, str, Any]:
    """TLS as the terminal does it: the chain against the acquirer's CA, validity at the TERMINAL's clock."""
    world = session.t.world
    ca = getattr(world.acquirer(), "ca_pem", None)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    if ca:
        context.load_verify_locations(cadata=ca.decode() if isinstance(ca, bytes) else ca)
    else:
        context.verify_mode = ssl.CERT_NONE
    sock.settimeout(5)
    try:
        wrapped = context.wrap_socket(sock)
    except ssl.SSLCertVerificationError as err:
        sock.close()
        return TlsOutcome.UNTRUSTED, f"certificate not trusted: {err.verify_message}", None
    except (ssl.SSLError, OSError) as err:
        sock.close()
        return TlsOutcome.FAILED, f"TLS handshake failed: {err}", None
    cert = wrapped.getpeercert()
    now = session.t.now()
    if cert:
        not_before = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notBefore"]))
        not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]))
        if now < not_before:
            wrapped.close()
            return (
                TlsOutcome.NOT_YET_VALID,
                f"certificate not yet valid at the terminal's clock {now:%Y-%m-%d %H:%M}",
                None,
            )
        if now > not_after:
            wrapped.close()
            return TlsOutcome.EXPIRED, f"certificate expired at the terminal's clock {now:%Y-%m-%d %H:%M}", None
    return TlsOutcome.OK, "", wrapped


def _reach(session: Session, host: str, port: int):
    """Dial one host as the terminal: (outcome, resolved, connect_ms, tls outcome, detail, socket or None)."""
    p = session.t.params
    if not host or not port:
        return CommOutcome.NOT_CONFIGURED, "", 0, TlsOutcome.OFF, "no address or port set", None
    up, why = _link_state(session)
    if not up:
        return CommOutcome.NO_LINK, "", 0, TlsOutcome.OFF, why, None
    if not is_ip(host) and not (p[Tag.DNS_PRIMARY] or p[Tag.DNS_SECONDARY]):
        # the terminal resolves names through its own DNS servers; with none set, no name resolves
        return CommOutcome.DNS_FAILURE, "", 0, TlsOutcome.OFF, f"{host}: no DNS server configured", None
    dialled = session.t.world.dial(
        session.t.scenario.network, host, port, p[Tag.CONNECT_TIMEOUT], session.wait_serviced
    )
    outcome = DIAL_OUTCOME[dialled.outcome]
    if outcome != CommOutcome.OK or dialled.sock is None:
        return outcome, dialled.resolved, dialled.connect_ms, TlsOutcome.OFF, dialled.detail, None
    sock = dialled.sock
    if p[Tag.TLS]:
        tls, detail, sock = _tls(session, sock, dialled.resolved)
        if tls != TlsOutcome.OK:
            return CommOutcome.TLS_FAILURE, dialled.resolved, dialled.connect_ms, tls, detail, None
        return CommOutcome.OK, dialled.resolved, dialled.connect_ms, tls, "", sock
    return CommOutcome.OK, dialled.resolved, dialled.connect_ms, TlsOutcome.OFF, "", sock


def _where(host: str, port: int) -> str:
    return hostport(host, port) if host else "(no host configured)"


def comm_test(session: Session) -> list[tuple[Tag, Any]]:
    link = session.t.link_state()
    up, why = link.up, link.detail
    items: list[tuple[Tag, Any]] = [
        (Tag.LINK_UP, up),
        (Tag.LOCAL_ADDRESS, session.t.scenario.network.ip_address if up else ""),
        (Tag.LINK_FAILURE, int(link.failure)),
        (Tag.NETWORK_NAME, link.network_name),
    ]
    if link.signal_dbm is not None:
        items.append((Tag.SIGNAL_DBM, link.signal_dbm))
    if link.detail:
        items.append((Tag.LINK_DETAIL, link.detail))
    for role, host, port in _hosts(session):
        session.progress(0, f"testing {_where(host, port)}")
        outcome, resolved, ms, tls, detail, sock = _reach(session, host, port)
        if sock is not None:
            sock.close()
        entry = [
            (Tag.HOST_ROLE, int(role)),
            (Tag.HOST_ADDRESS, host),
            (Tag.HOST_PORT, port),
            (Tag.RESOLVED_ADDRESS, resolved),
            (Tag.OUTCOME, int(outcome)),
            (Tag.CONNECT_MS, ms),
            (Tag.TLS_OUTCOME, int(tls)),
            (Tag.DETAIL, detail or why),
        ]
        items.append((Tag.HOST_RESULT, entry))
    return items


class _ClosedBeforeAnswer(Exception):
    """The host closed or reset the connection before sending a single byte of an answer."""


def _name(sock) -> tuple:
    try:
        return tuple(sock.getsockname()[:2])
    except OSError:
        return ()


def _await_answer(
    session: Session, sock, timeout: float, received: bytearray | None = None
) -> tuple[bytes, cup.HostMessage]:
    """Read the 0810 (length prefix and body, decoded by :func:`cup.decode`) in short slices.

    Between slices the maintenance link is serviced and the laptop gets progress,
    for the whole wait: before the first byte and while an answer trickles in.
    Reads rather than ``select``: under TLS a socket turns readable for records
    that carry no answer (TLS 1.3 session tickets), and a blocking read then
    would starve the maintenance link for the rest of the response timeout.

    Raises :class:`_ClosedBeforeAnswer` when the host hangs up before answering,
    :class:`cup.HostTimeout`, :class:`cup.HostClosed` (part of an answer came) or
    :class:`cup.HostProtocolError` (impossible length, undecodable answer).
    """
    started = time.monotonic()
    end = started + timeout
    data = bytearray() if received is None else received  # the caller keeps what came, also on failure
    need = 2  # the length prefix, then the whole message
    hopeless_end = started + hopeless_wait(timeout)
    while len(data) < need:
        if not data and end > hopeless_end and session.t.world.answers_nothing_to(_name(sock)):
            end = hopeless_end  # the host read the request and will never answer: scaled for tests
        left = end - time.monotonic()
        if left <= 0:
            if not data:
                raise cup.HostTimeout(f"no answer within {timeout:g} s")
            raise cup.HostTimeout(f"answer incomplete after {timeout:g} s: got {len(data)} of {need} bytes")
        sock.settimeout(min(left, 0.25))
        try:
            chunk = sock.recv(need - len(data))
        except TimeoutError:
            session.progress(0, "waiting for the host's answer")
            session.link.service(0)
            continue
        except (ConnectionResetError, BrokenPipeError) as err:
            if not data:
                raise _ClosedBeforeAnswer("the host reset the connection without answering") from err
            raise cup.HostClosed(f"connection reset after {len(data)} of {need} bytes of the answer") from err
        if not chunk:
            if not data:
                raise _ClosedBeforeAnswer("the host closed the connection without answering")
            raise cup.HostClosed(f"connection closed after {len(data)} of {need} bytes of the answer")
        data += chunk
        if need == 2 and len(data) == 2:
            length = int.from_bytes(data, "big")
            if not 0 < length <= cup.MAX_MESSAGE_LEN:
                raise cup.HostProtocolError(f"length prefix says {length} bytes (1..{cup.MAX_MESSAGE_LEN} allowed)")
            need += length
    return bytes(data), cup.decode(bytes(data[2:]))


def _nmc(session: Session) -> str:
    scheme = KeyScheme(int(session.t.scenario_scheme()))
    return SCHEME_NMC[scheme]


def sign_on(session: Session) -> list[tuple[Tag, Any]]:
    t = session.t
    p = t.params
    nmc = _nmc(session)
    with t.lock:
        stan = p[Tag.STAN] % 999999 + 1  # every message takes the next STAN, answered or not
        t.params = {**p, Tag.STAN: stan}
        p = t.params
    tpdu = cup.Tpdu.from_hex(p[Tag.TPDU].hex())
    header = cup.Header(terminal_status=1 if p[Tag.HEADER_STATUS] == HeaderStatus.TEST else 0)
    serial = t.scenario.identity.serial_number
    request = cup.sign_on_request(
        tid=cup.as_sent(p[Tag.TID], 8),  # what it holds, padded or cut as a CUP terminal sends it
        mid=cup.as_sent(p[Tag.MID], 15),
        stan=stan,
        batch=p[Tag.BATCH],
        nmc=nmc,
        tpdu=tpdu,
        header=header,
        serial_number=serial,
    )
    try:
        cup.encode(request)  # a terminal that cannot build its 0800 never dials
    except cup.HostProtocolError as err:
        detail = f"cannot build the 0800 from the terminal's parameters: {err}"
        t.log("error", "PRM-01", "参数错误 " + detail)
        return [
            (Tag.STAN, stan),
            (Tag.SENT_AT, t.now()),
            (Tag.ELAPSED_MS, 0),
            (Tag.OUTCOME, int(CommOutcome.NOT_CONFIGURED)),
            (Tag.DETAIL, detail),
        ]
    items, answer = _exchange(session, request, stan, "signing on")
    if answer is None:
        return items
    return items + _judge_answer(session, request, answer, nmc)


def _exchange(
    session: Session, request: cup.HostMessage, stan: int, doing: str
) -> tuple[list[tuple[Tag, Any]], cup.HostMessage | None]:
    """Send ``request`` to the primary host, or the backup when the primary cannot be connected.

    Returns the result fields every host operation reports (host, STAN, times, one
    HOST_RESULT per host tried) and the answer; without an answer the fields end
    with OUTCOME and DETAIL of the last host tried.
    """
    t = session.t
    p = t.params
    attempts: list[_Attempt] = []
    sent_at = t.now()
    started = time.monotonic()
    answer = None
    traffic: list[list[tuple[Tag, Any]]] = []  # HOST_EXCHANGE entries, when the laptop asked for them
    for role, host, port in _hosts(session):
        session.progress(0, f"{doing} at {_where(host, port)}")
        dialled_at = time.monotonic()
        outcome, resolved, ms, tls, detail, sock = _reach(session, host, port)
        reached = _Attempt(role, host, port, outcome, detail, resolved, ms, tls)
        if sock is None:
            attempts.append(reached)
            _log_connection_failure(t, reached)
            if resolved:  # a connection was tried: the SYN went out
                traffic.append(_traffic(session, reached, started, dialled_at, (None, None), b"", None, bytearray()))
            continue  # connection failures move on to the backup host
        wire, received, sent_ms, got_ms = b"", bytearray(), None, None
        try:
            sock.settimeout(5)
            sent_ms = _ms_since(started)
            wire = cup.send(sock, request)
            _, answer = _await_answer(session, sock, p[Tag.RESPONSE_TIMEOUT], received)
            got_ms = _ms_since(started)
            attempts.append(reached)
        except cup.HostTimeout as err:
            attempts.append(reached._replace(outcome=CommOutcome.NO_ANSWER, detail=str(err)))
        except cup.HostClosed as err:
            attempts.append(reached._replace(outcome=CommOutcome.CLOSED_MID_MESSAGE, detail=str(err)))
        except cup.HostProtocolError as err:
            attempts.append(reached._replace(outcome=CommOutcome.GARBAGE, detail=str(err)))
        except _ClosedBeforeAnswer as err:
            attempts.append(reached._replace(outcome=CommOutcome.RESET, detail=str(err)))
        except OSError as err:
            attempts.append(reached._replace(outcome=CommOutcome.RESET, detail=f"connection lost: {err}"))
        finally:
            local_port = _local_port(sock)
            sock.close()
            traffic.append(
                _traffic(session, attempts[-1], started, dialled_at, (sent_ms, got_ms), wire, local_port, received)
            )
        if answer is None:
            last = attempts[-1]
            t.log("error", "COM-03", f"数据接收失败 {hostport(last.host, last.port)}: {last.detail}")
        break  # a connection was made: real terminals do not retry the backup after sending
    elapsed = int((time.monotonic() - started) * 1000)
    role, host, port, outcome, detail, resolved, _ms, _tls = (
        attempts[-1]
        if attempts
        else _Attempt(HostRole.PRIMARY, "", 0, CommOutcome.NOT_CONFIGURED, "no host configured", "", 0, TlsOutcome.OFF)
    )
    items: list[tuple[Tag, Any]] = [
        (Tag.HOST_ROLE, int(role)),
        (Tag.HOST_ADDRESS, host),
        (Tag.HOST_PORT, port),
        (Tag.RESOLVED_ADDRESS, resolved),
        (Tag.STAN, stan),
        (Tag.SENT_AT, sent_at),
        (Tag.ELAPSED_MS, elapsed),
    ]
    for a in attempts:
        items.append(
            (
                Tag.HOST_RESULT,
                [
                    (Tag.HOST_ROLE, int(a.role)),
                    (Tag.HOST_ADDRESS, a.host),
                    (Tag.HOST_PORT, a.port),
                    (Tag.RESOLVED_ADDRESS, a.resolved),
                    (Tag.OUTCOME, int(a.outcome)),
                    (Tag.CONNECT_MS, a.connect_ms),
                    (Tag.TLS_OUTCOME, int(a.tls)),
                    (Tag.DETAIL, a.detail),
                ],
            )
        )
    if getattr(session, "host_traffic", False):
        items += [(Tag.HOST_EXCHANGE, entry) for entry in traffic]
    if answer is None:
        if not attempts:
            t.log("error", "COM-01", "联接失败 no host configured")
        items += [(Tag.OUTCOME, int(outcome)), (Tag.DETAIL, detail)]
    return items, answer


#: HOST_EXCHANGE carries at most this many bytes of each message (a garbage answer may be longer)
TRAFFIC_BYTES_MAX = 512


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _local_port(sock) -> int | None:
    try:
        return int(sock.getsockname()[1])
    except (OSError, IndexError, TypeError, ValueError):
        return None


def _traffic(
    session: Session,
    a: _Attempt,
    started: float,
    dialled_at: float,
    times: tuple[int | None, int | None],
    wire: bytes,
    local_port: int | None,
    received: bytearray,
) -> list[tuple[Tag, Any]]:
    """One HOST_EXCHANGE (docs/protocol.md §6, 0xD0-0xDF): a connection as it crossed the wire."""
    closed_ms = _ms_since(started)
    sent_ms, got_ms = times
    dialled_ms = int((dialled_at - started) * 1000)
    entry: list[tuple[Tag, Any]] = [
        (Tag.HOST_ROLE, int(a.role)),
        (Tag.LOCAL_ADDRESS, session.t.scenario.network.ip_address),
        (Tag.RESOLVED_ADDRESS, a.resolved),
        (Tag.HOST_PORT, a.port),
        (Tag.OUTCOME, int(a.outcome)),
        (Tag.TLS_OUTCOME, int(a.tls)),
        (Tag.CONNECT_AT_MS, min(dialled_ms, closed_ms)),
        (Tag.CONNECT_MS, a.connect_ms or 0),
    ]
    if local_port is not None:
        entry.append((Tag.LOCAL_PORT, local_port))
    if sent_ms is not None and wire:
        entry += [(Tag.SENT_AT_MS, sent_ms), (Tag.SENT_BYTES, bytes(wire[:TRAFFIC_BYTES_MAX]))]
    if received:
        entry += [
            (Tag.RECEIVED_AT_MS, got_ms if got_ms is not None else closed_ms),
            (Tag.RECEIVED_BYTES, bytes(received[:TRAFFIC_BYTES_MAX])),
        ]
    entry.append((Tag.CLOSED_AT_MS, closed_ms))
    return entry


class _Attempt(NamedTuple):
    role: HostRole
    host: str
    port: int
    outcome: CommOutcome
    detail: str
    resolved: str
    connect_ms: int
    tls: TlsOutcome


def _log_connection_failure(t, a: _Attempt) -> None:
    """The terminal's error log for one host it could not reach, in its own codes (COM-0x)."""
    if a.outcome == CommOutcome.DNS_FAILURE:
        t.log("error", "COM-06", f"域名解析失败 DNS lookup failed: {a.detail}")
    elif a.outcome == CommOutcome.NO_LINK and "APN" in a.detail:
        t.log("error", "COM-05", f"无线拨号失败 cellular data connection failed: {a.detail}")
    elif a.outcome == CommOutcome.NO_LINK and "Wi-Fi" in a.detail:
        t.log("error", "COM-07", f"WiFi连接失败 Wi-Fi connection failed: {a.detail}")
    elif a.outcome == CommOutcome.TLS_FAILURE:
        t.log("error", "TLS-02", f"TLS握手失败 {hostport(a.host, a.port)}: {a.detail}")
    t.log("error", "COM-01", f"联接失败 connection to {hostport(a.host, a.port)} failed: {a.detail}")


def _judge_answer(session: Session, request: cup.HostMessage, answer: cup.HostMessage, nmc: str):
    """Validate the 0810 like a CUP terminal and apply it; the result fields for the laptop."""
    t = session.t
    checks = _echo_checks(request, answer)
    code = answer.get(39, "")
    items: list[tuple[Tag, Any]] = [
        (Tag.RESPONSE_CODE, code),
        (Tag.ACQUIRER_ID_ANSWERED, answer.get(32, "")),
        (Tag.PROCESSING_REQUIREMENT, answer.header.processing_requirement),
        (Tag.RRN, answer.get(37, "")),
    ]
    outcome = CommOutcome.OK if code == "00" else CommOutcome.DECLINED
    if not all(ok for _, ok, _ in checks[:4]):
        outcome = CommOutcome.MISMATCH  # 解包流水号/终端号/商户号不符: a wrong host or a shared TID
    keys_updated = clock_updated = False
    if outcome == CommOutcome.OK:
        keys_ok, detail, new_keys = _verify_keys(session, answer, nmc)
        checks.append(("working keys verify under the TMK", keys_ok, detail))
        if not keys_ok:
            outcome = CommOutcome.KEY_VERIFY_FAILED  # 解包密钥验证不符: old keys stay
        else:
            with t.lock:
                now = t.now()
                if new_keys:
                    t.working = {name: (key, now) for name, key in new_keys.items()}
                    keys_updated = True
                t.last_sign_on = now
                clock_updated = _set_clock_from_host(t, answer)
                host_batch = cup.parse_field_60(answer.get(60)).batch if answer.get(60) else None
                if host_batch:
                    t.params = {**t.params, Tag.BATCH: host_batch}
                    items.append((Tag.HOST_BATCH, host_batch))
    failure = "" if outcome == CommOutcome.OK else f" ({outcome.name.lower().replace('_', '-')})"
    t.log("response", code or "--", "签到 sign-on" + failure)
    if outcome == CommOutcome.KEY_VERIFY_FAILED:
        # the terminal's own code, as in the shipped scenarios' logs (wrong-tmk-a0)
        t.log("error", "KEY-03", f"解包密钥验证不符 KEY VERIFY ERR ({_first_failure(checks)})")
    for name, ok, detail in checks:
        items.append((Tag.CHECK, [(Tag.CHECK_NAME, name), (Tag.CHECK_OK, ok), (Tag.DETAIL, "" if ok else detail)]))
    items += [
        (Tag.OUTCOME, int(outcome)),
        (Tag.KEYS_UPDATED, keys_updated),
        (Tag.CLOCK_UPDATED, clock_updated),
        (Tag.DETAIL, "" if outcome in (CommOutcome.OK, CommOutcome.DECLINED) else _first_failure(checks)),
    ]
    return items


def _echo_checks(request: cup.HostMessage, answer: cup.HostMessage) -> list[tuple[str, bool, str]]:
    """The terminal's checks that an answer answers this request (reference §2, "local failures")."""
    want = request.mti[:2] + str(int(request.mti[2]) + 1) + request.mti[3]  # request + 10
    return [
        (f"MTI is {want}", answer.mti == want, f"got {answer.mti}"),
        ("STAN echoed", answer.get(11) == request.get(11), f"sent {request.get(11)}, got {answer.get(11)}"),
        ("TID echoed", answer.get(41) == request.get(41), f"sent {request.get(41)}, got {answer.get(41)}"),
        ("MID echoed", answer.get(42) == request.get(42), f"sent {request.get(42)}, got {answer.get(42)}"),
    ]


def settle(session: Session) -> list[tuple[Tag, Any]]:
    """Settle the open batch with the host (0500/0510, 60.3 = 201); docs/protocol.md §9.18."""
    t = session.t
    with t.lock:
        p = t.params
        batch, count, amount = p[Tag.BATCH], t.unsettled, t.unsettled_amount
        summary = [(Tag.SETTLED_BATCH, batch), (Tag.SETTLED_COUNT, count), (Tag.SETTLED_AMOUNT, amount)]
        if count == 0:  # an empty batch: nothing goes to the host
            return [
                *summary,
                (Tag.OUTCOME, int(CommOutcome.OK)),
                (Tag.BATCH, batch),
                (Tag.UNSETTLED_COUNT, 0),
                (Tag.DETAIL, "the batch is empty: nothing to settle"),
            ]
        stan = p[Tag.STAN] % 999999 + 1  # every message takes the next STAN, answered or not
        t.params = p = {**p, Tag.STAN: stan}
        mak = t.working.get("mak", (None, None))[0]
    after = [(Tag.BATCH, batch), (Tag.UNSETTLED_COUNT, count)]
    try:  # a terminal that cannot build its 0500 never dials
        request = cup.settlement_request(
            tid=cup.as_sent(p[Tag.TID], 8),
            mid=cup.as_sent(p[Tag.MID], 15),
            stan=stan,
            batch=batch,
            totals=cup.SettlementTotals(debit_amount=amount, debit_count=count),
            tpdu=cup.Tpdu.from_hex(p[Tag.TPDU].hex()),
            header=cup.Header(terminal_status=1 if p[Tag.HEADER_STATUS] == HeaderStatus.TEST else 0),
            mak=mak,
        )
        cup.encode(request)
    except cup.HostProtocolError as err:
        detail = f"cannot build the 0500 from the terminal's batch and parameters: {err}"
        t.log("error", "SET-02", "结算失败 " + detail)
        return [
            *summary,
            (Tag.STAN, stan),
            (Tag.SENT_AT, t.now()),
            (Tag.ELAPSED_MS, 0),
            *after,
            (Tag.OUTCOME, int(CommOutcome.NOT_CONFIGURED)),
            (Tag.DETAIL, detail),
        ]
    items, answer = _exchange(session, request, stan, "settling")
    if answer is None:
        return summary + items + after
    checks = _echo_checks(request, answer)
    code = answer.get(39, "")
    items += [
        *summary,
        (Tag.RESPONSE_CODE, code),
        (Tag.ACQUIRER_ID_ANSWERED, answer.get(32, "")),
        (Tag.RRN, answer.get(37, "")),
    ]
    outcome = CommOutcome.OK if code == "00" else CommOutcome.DECLINED
    if not all(ok for _, ok, _ in checks):
        outcome = CommOutcome.MISMATCH
    if outcome == CommOutcome.OK:
        try:
            totals = cup.SettlementTotals.parse(answer.get(48))
            result = Reconciliation(totals.result)
        except (cup.HostProtocolError, ValueError) as err:
            checks.append(("reconciliation code in field 48", False, str(err)))
            outcome = CommOutcome.GARBAGE
        else:
            checks.append(("reconciliation code in field 48", True, ""))
            items.append((Tag.RECONCILIATION, int(result)))
            if result == Reconciliation.BALANCED:
                with t.lock:
                    t.unsettled = t.unsettled_amount = t.txn_log_used = 0
                    t.params = {**t.params, Tag.BATCH: batch % 999999 + 1}
                    after = [(Tag.BATCH, t.params[Tag.BATCH]), (Tag.UNSETTLED_COUNT, 0)]
            else:
                outcome = CommOutcome.UNBALANCED
    if outcome == CommOutcome.OK:
        t.log("response", code, f"结算成功 对账平 settlement balanced, batch {batch:06d} closed")
    elif outcome == CommOutcome.UNBALANCED:
        t.log("response", code, f"结算 对账不平 settlement unbalanced, batch {batch:06d} still open")
    else:
        t.log("response", code or "--", f"结算 settlement ({outcome.name.lower().replace('_', '-')})")
    for name, ok, detail in checks:
        items.append((Tag.CHECK, [(Tag.CHECK_NAME, name), (Tag.CHECK_OK, ok), (Tag.DETAIL, "" if ok else detail)]))
    detail = "" if outcome in (CommOutcome.OK, CommOutcome.DECLINED) else _first_failure(checks)
    if outcome == CommOutcome.UNBALANCED:
        detail = "the host's totals differ from the terminal's: the batch stays open"
    return items + after + [(Tag.OUTCOME, int(outcome)), (Tag.DETAIL, detail)]


def _first_failure(checks: list[tuple[str, bool, str]]) -> str:
    for name, ok, detail in checks:
        if not ok:
            return f"{name}: {detail}"
    return ""


def _verify_keys(session: Session, answer: cup.HostMessage, nmc: str) -> tuple[bool, str, dict[str, bytes]]:
    t = session.t
    if t.scenario_scheme() == KeyScheme.DUKPT_TDES:
        return True, "DUKPT: no working keys in the sign-on", {}
    index = t.scenario.keys.active_tmk_index
    tmk = t.tmk.get(index) if index is not None else None
    if tmk is None:
        return False, "no TMK in the active slot (请确认主密钥下载)", {}
    raw = answer.get(62)
    if not raw:
        return False, "the approval carries no working keys (field 62 missing)", {}
    try:
        blocks = cup.unpack_working_keys(nmc, bytes.fromhex(raw))
    except cup.HostProtocolError as err:
        return False, str(err), {}
    keys: dict[str, bytes] = {}
    for block in blocks:
        clear = cup.verify_working_key(tmk, block)
        if clear is None:
            return False, f"{block.key_type.upper()} check value {block.check_value.hex().upper()} does not verify", {}
        keys[block.key_type] = clear
    return True, "", keys


def _set_clock_from_host(t, answer: cup.HostMessage) -> bool:
    """Fields 12/13 set the terminal's clock; they carry no year, so the year nearest the terminal's own is taken.

    (Across New Year a terminal at 31 December 23:59 answered "0101 000001" moves
    to next year, not back to January of its own year.)
    """
    hhmmss, mmdd = answer.get(12), answer.get(13)
    if not (hhmmss and mmdd):
        return False
    now = t.now()
    candidates = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            candidates.append(datetime.strptime(f"{year}{mmdd}{hhmmss}", "%Y%m%d%H%M%S"))
        except ValueError:
            continue  # 29 February in a year that has none
    if not candidates:
        return False
    host_time = min(candidates, key=lambda moment: abs(moment - now))
    t.clock_offset = host_time - datetime.now()
    return True
