"""The claims: Django's user, its groups and its Profile (name and extra claims)."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator  # type: ignore[import-untyped]

from tests.support.idp.models import Profile

STANDARD_CLAIMS = ["sub", "email", "email_verified", "name", "groups"]


class Validator(OAuth2Validator):
    # "groups" needs the scope of that name; an extra claim without a scope of its own
    # in this table (e.g. "role", "team") comes with "profile".
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "groups"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        profile = Profile.objects.filter(user=user).first()
        return {
            "email": user.email,
            "email_verified": True,
            "name": profile.name if profile else user.get_username(),
            "groups": sorted(user.groups.values_list("name", flat=True)),
            **(profile.claims if profile else {}),
        }

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = self.get_claim_dict(request)
        scope = self.oidc_claim_scope
        return {k: v for k, v in claims.items() if scope.get(k, "profile") in request.scopes}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return STANDARD_CLAIMS
