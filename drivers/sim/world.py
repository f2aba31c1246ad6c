"""The network around a simulated terminal: its rules, and the acquirer's hosts on loopback.

Every address in a scenario is emulated: the rules of ``[network]`` (the
terminal's view) or ``[laptop_network]`` (the laptop's) decide whether a
name resolves and a host:port answers; when it does, the connection goes for
real to the simulated acquirer host listening on 127.0.0.1 (the scenario's
``[acquirer]`` or one of its ``[[other_acquirers]]``, whichever has a host at
that address). Nothing else is ever dialled.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..addr import hostport
from ..timescale import hopeless_wait
from .scenario import HostRule, Network, Scenario

Wait = Callable[[float], None]
#: A rule's result as a laptop connect sees it: "ok" with nothing listening is a refusal,
#: and a name that does not resolve is a DNS matter (``names``), not a route.
_LAPTOP_FAIL = {"ok": "refused", "refused": "refused", "timeout": "timeout", "reset": "reset", "dns-failure": "refused"}


@dataclass
class Dialled:
    """The result of reaching ``address:port`` from one side of the world."""

    outcome: str  # "ok", "no-link", "dns-failure", "refused", "timeout", "reset"
    resolved: str = ""
    connect_ms: int = 0
    sock: socket.socket | None = None
    detail: str = ""


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


class SimWorld:
    """One scenario's network and acquirer, started on first use and stopped with :meth:`close`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._servers: list = []
        self._lock = threading.Lock()

    def _host_state(self, acquirer) -> tuple[dict[str, dict[str, bytes]], dict[str, tuple[int, int]]]:
        """What the acquirer's host holds for the scenario's terminal: its working keys and open batch."""
        tid = self.scenario.parameters.tid
        record = next((t for t in acquirer.terminals if t.tid == tid), None)
        if record is None:
            return {}, {}
        held = {w.type: bytes.fromhex(w.key) for w in self.scenario.keys.working}
        if record.issued_keys == "newer":  # issued since to someone else: same lengths, other keys
            held = {kind: os.urandom(len(key)) for kind, key in held.items()} or {"mak": os.urandom(16)}
        counters = self.scenario.counters
        count = counters.unsettled_transactions if record.batch_count is None else record.batch_count
        amount = counters.unsettled_amount if record.batch_amount is None else record.batch_amount
        return {tid: held}, {tid: (count, amount)}

    def _start(self) -> list:
        if not self._servers:
            from .acquirer import AcquirerServer

            try:
                for acquirer in (self.scenario.acquirer, *self.scenario.other_acquirers):
                    keys, batches = self._host_state(acquirer)
                    self._servers.append(AcquirerServer(acquirer, issued_keys=keys, batches=batches).start())
            except BaseException:
                for server in self._servers:
                    server.stop()
                self._servers = []
                raise
        return self._servers

    def acquirer(self):
        """The scenario's acquirer's host servers (started, with the other acquirers', on first use)."""
        with self._lock:
            return self._start()[0]

    def acquirers(self) -> list:
        """Every acquirer's host servers: the scenario's first, then ``[[other_acquirers]]`` in order."""
        with self._lock:
            return list(self._start())

    def answers_nothing_to(self, client: tuple) -> bool:
        """True when a host read a message from ``client`` (the terminal's socket name) and will never answer it."""
        with self._lock:
            servers = list(self._servers)
        return any(server.answers_nothing_to(client) for server in servers)

    def endpoint(self, address: str, port: int) -> tuple[str, int] | None:
        """The loopback endpoint serving the emulated ``address:port``, whichever acquirer's host it is."""
        for server in self.acquirers():
            if (address, port) in server.endpoints:
                return server.endpoints[(address, port)]
        return None

    def close(self) -> None:
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.stop()

    @property
    def laptop_network(self) -> Network:
        return self.scenario.laptop_network or self.scenario.network

    def resolve(self, network: Network, host: str) -> str | None:
        if is_ip(host):
            return host
        return network.dns.get(host)

    def dial(self, network: Network, host: str, port: int, timeout: float, wait: Wait = time.sleep) -> Dialled:
        """Reach ``host:port`` as the rules of ``network`` say; a real loopback socket when it answers."""
        if not network.link_up:
            return Dialled("no-link", detail="no network link")
        address = self.resolve(network, host)
        if address is None:
            return Dialled("dns-failure", detail=f"{host} does not resolve")
        rule: HostRule = network.rule_for(address, port)
        if rule.result == "dns-failure" and not is_ip(host):
            return Dialled("dns-failure", address, detail=f"{host} does not resolve")
        latency = rule.latency_ms / 1000
        # any answer to a connect (accept or refusal) takes a round trip: a slower path times out
        if rule.result == "timeout" or latency >= timeout:
            wait(hopeless_wait(timeout))  # no answer can come: scaled for tests (drivers/timescale.py)
            return Dialled("timeout", address, int(timeout * 1000), detail=f"no answer from {hostport(address, port)}")
        wait(min(latency, timeout))
        if rule.result in ("refused", "dns-failure"):
            return Dialled(
                "refused", address, rule.latency_ms, detail=f"{hostport(address, port)} refused the connection"
            )
        if rule.result == "reset":
            return Dialled("reset", address, rule.latency_ms, detail=f"{hostport(address, port)} reset the connection")
        endpoint = self.endpoint(address, port)
        if endpoint is None:
            return Dialled("refused", address, rule.latency_ms, detail=f"nothing listens on {hostport(address, port)}")
        started = time.perf_counter()
        try:
            sock = socket.create_connection(endpoint, timeout=max(0.1, timeout - latency))
        except ConnectionRefusedError:
            return Dialled(
                "refused", address, rule.latency_ms, detail=f"{hostport(address, port)} refused the connection"
            )
        except TimeoutError:
            return Dialled("timeout", address, int(timeout * 1000), detail=f"no answer from {hostport(address, port)}")
        except OSError as err:
            return Dialled(
                "reset", address, rule.latency_ms, detail=f"{hostport(address, port)}: {err.strerror or err}"
            )
        spent = int((time.perf_counter() - started) * 1000)
        return Dialled("ok", address, rule.latency_ms + spent, sock)

    def laptop_netmap(self) -> dict:
        """The laptop's view as a TECHAPP_NETMAP document (see techapp.netcheck.MappedDialer)."""
        network = self.laptop_network
        acquirer = self.acquirer()
        ca = {"ca_pem": acquirer.ca_pem.decode()} if acquirer.ca_pem else {}
        if not network.link_up:
            return {"names": {}, "routes": {}, "default": "unreachable", **ca}
        routes: dict[str, dict] = {}
        endpoints = {end: real for server in self.acquirers() for end, real in server.endpoints.items()}
        for (address, port), (host, real) in endpoints.items():
            rule = network.rule_for(address, port)
            if rule.result == "ok":
                routes[hostport(address, port)] = {"to": hostport(host, real), "latency_ms": rule.latency_ms}
            else:
                routes[hostport(address, port)] = {"fail": _LAPTOP_FAIL[rule.result]}
        for rule in network.hosts:
            if rule.port is not None and hostport(rule.address, rule.port) not in routes:
                routes[hostport(rule.address, rule.port)] = {"fail": _LAPTOP_FAIL[rule.result]}
        names = dict(network.dns)
        return {"names": names, "routes": routes, "default": _LAPTOP_FAIL[network.default], **ca}

    def write_laptop_netmap(self, path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.laptop_netmap(), out, indent=2)
