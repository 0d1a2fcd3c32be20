"""How the SOPs app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

TICKET_ROUTES = {"sops:ticket_checklist": ["post"]}
SCOPED_LISTS = {"sops:library"}
# Slug-addressed SOP routes (built on sops.selectors.visible_sops): an SOP not shared
# with the person's vendor is 404 for every method, editors included.
SOP_ROUTES = {
    "sops:detail": ["get"], "sops:version": ["get"], "sops:acknowledge": ["post"],
    "sops:history": ["get"], "sops:diff": ["get"], "sops:coverage": ["get"],
    "sops:export": ["get"], "sops:settings": ["get", "post"], "sops:start_draft": ["post"],
    "sops:edit": ["get", "post"], "sops:submit": ["post"], "sops:return": ["post"],
    "sops:publish": ["post"], "sops:retire": ["post"],
}  # fmt: skip
EDITOR_ROUTES = {"sops:create": ["get", "post"], "sops:import": ["post"], "sops:preview": ["post"]}
