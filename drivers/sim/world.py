"""The network around a simulated terminal: its rules, and the acquirer's hosts on loopback.

Every address in a scenario is emulated: the rules of ``[network]`` (the
terminal's view) or ``[laptop_network]`` (the laptop's) decide whether a
name resolves and a host:port answers; when it does, the connection goes for
real to the simulated acquirer host listening on 127.0.0.1. Nothing else is
ever dialled.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
        self._acquirer = None
        self._lock = threading.Lock()

    def acquirer(self):
        """The acquirer's host servers (started on first use)."""
        with self._lock:
            if self._acquirer is None:
                from .acquirer import AcquirerServer

                self._acquirer = AcquirerServer(self.scenario.acquirer).start()
            return self._acquirer

    def close(self) -> None:
        with self._lock:
            if self._acquirer is not None:
                self._acquirer.stop()
                self._acquirer = None

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
            wait(timeout)
            return Dialled("timeout", address, int(timeout * 1000), detail=f"no answer from {address}:{port}")
        wait(min(latency, timeout))
        if rule.result in ("refused", "dns-failure"):
            return Dialled("refused", address, rule.latency_ms, detail=f"{address}:{port} refused the connection")
        if rule.result == "reset":
            return Dialled("reset", address, rule.latency_ms, detail=f"{address}:{port} reset the connection")
        endpoint = self.acquirer().endpoints.get((address, port))
        if endpoint is None:
            return Dialled("refused", address, rule.latency_ms, detail=f"nothing listens on {address}:{port}")
        started = time.perf_counter()
        try:
            sock = socket.create_connection(endpoint, timeout=max(0.1, timeout - latency))
        except ConnectionRefusedError:
            return Dialled("refused", address, rule.latency_ms, detail=f"{address}:{port} refused the connection")
        except TimeoutError:
            return Dialled("timeout", address, int(timeout * 1000), detail=f"no answer from {address}:{port}")
        except OSError as err:
            return Dialled("reset", address, rule.latency_ms, detail=f"{address}:{port}: {err.strerror or err}")
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
        endpoints = acquirer.endpoints
        for (address, port), (host, real) in endpoints.items():
            rule = network.rule_for(address, port)
            if rule.result == "ok":
                routes[f"{address}:{port}"] = {"to": f"{host}:{real}", "latency_ms": rule.latency_ms}
            else:
                routes[f"{address}:{port}"] = {"fail": _LAPTOP_FAIL[rule.result]}
        for rule in network.hosts:
            if rule.port is not None and f"{rule.address}:{rule.port}" not in routes:
                routes[f"{rule.address}:{rule.port}"] = {"fail": _LAPTOP_FAIL[rule.result]}
        names = dict(network.dns)
        return {"names": names, "routes": routes, "default": _LAPTOP_FAIL[network.default], **ca}

    def write_laptop_netmap(self, path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.laptop_netmap(), out, indent=2)
