"""Who may read GET /metrics: loopback, the networks of PROGRESSION_METRICS_ALLOW, and any
request carrying PROGRESSION_METRICS_TOKEN as a bearer token. The address is the connection's
own (REMOTE_ADDR), never X-Forwarded-For, which anyone can write: a reverse proxy in front of
the app makes every request loopback, which is why the shipped nginx block does not pass
/metrics on (docs/deploying.md)."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.settings import IPNetwork, Settings

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

ALLOWED, UNAUTHORIZED, FORBIDDEN = 200, 401, 403


@dataclass(frozen=True)
class MetricsAccess:
    networks: tuple[IPNetwork, ...] = ()
    token: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> MetricsAccess:
        token = settings.progression_metrics_token
        return cls(settings.metrics_networks, token.get_secret_value() if token else None)

    def decide(self, environ: WSGIEnvironment) -> int:
        """200 to answer; 401 for a bearer token that is not ours; 403 for anyone else."""
        if self._address_allowed(str(environ.get("REMOTE_ADDR") or "")):
            return ALLOWED
        presented = str(environ.get("HTTP_AUTHORIZATION") or "")
        if not presented:
            return FORBIDDEN
        scheme, _, credentials = presented.partition(" ")
        expected = self.token
        if (
            expected is not None
            and scheme.lower() == "bearer"
            and hmac.compare_digest(credentials.strip().encode(), expected.encode())
        ):
            return ALLOWED
        return UNAUTHORIZED

    def _address_allowed(self, remote: str) -> bool:
        try:
            address = ipaddress.ip_address(remote.split("%", 1)[0])
        except ValueError:
            return False  # a Unix socket, or no address: not known to be near
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.is_loopback or any(address in network for network in self.networks)
