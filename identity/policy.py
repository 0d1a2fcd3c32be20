"""The access policies as every request reads them: from a per-process copy at most
``IDENTITY_POLICY_SECONDS`` old (5 s), so checking a signed-in request's network costs no
query. A change made in this process is seen at once (``forget``); another process sees
it within those seconds."""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import Role

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class RoleRules:
    require_second_factor: bool
    idle_seconds: int
    lifetime_seconds: int


@dataclass(frozen=True, slots=True)
class OrganisationRules:
    require_second_factor: bool = False
    sso_only: bool = False
    networks: tuple[Network, ...] = field(default_factory=tuple)

    def allows(self, address: str) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


# Used for a role without a row (a test database flushed after migrate).
_DEFAULT_ROLE = {
    Role.ADMIN.value: RoleRules(True, 30 * 60, 12 * 3600),
    Role.LEAD.value: RoleRules(True, 60 * 60, 12 * 3600),
    Role.AGENT.value: RoleRules(False, 120 * 60, 12 * 3600),
}
_lock = threading.Lock()
_state: dict[str, object] = {"at": 0.0}


def _load() -> tuple[dict[str, RoleRules], dict[int | None, OrganisationRules]]:
    from identity.models import OrganisationPolicy, RolePolicy

    roles = dict(_DEFAULT_ROLE)
    for row in RolePolicy.objects.all():
        roles[row.role] = RoleRules(
            row.require_second_factor, row.idle_minutes * 60, row.lifetime_hours * 3600
        )
    orgs = {
        row.vendor_id: OrganisationRules(
            row.require_second_factor,
            row.sso_only,
            tuple(ipaddress.ip_network(value, strict=False) for value in row.networks),
        )
        for row in OrganisationPolicy.objects.all()
    }
    return roles, orgs


def _rules() -> tuple[dict[str, RoleRules], dict[int | None, OrganisationRules]]:
    now = time.monotonic()
    with _lock:
        if now - float(_state["at"]) < settings.IDENTITY_POLICY_SECONDS:  # type: ignore[arg-type]
            return _state["rules"]  # type: ignore[return-value]
    rules = _load()
    with _lock:
        _state.update(at=now, rules=rules)
    return rules


def forget() -> None:
    with _lock:
        _state["at"] = 0.0


def for_role(role: str) -> RoleRules:
    return _rules()[0].get(role, _DEFAULT_ROLE[Role.AGENT.value])


def for_organisation(vendor_id: int | None) -> OrganisationRules:
    return _rules()[1].get(vendor_id) or OrganisationRules()


def second_factor_required(*, role: str, vendor_id: int | None) -> bool:
    return for_role(role).require_second_factor or for_organisation(vendor_id).require_second_factor
