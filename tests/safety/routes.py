"""How safety's routes are scoped (tests/test_route_scoping.py collects this).

Each part lists its routes by kind in its own module (``routes_reports``,
``routes_viewing``, ``routes_exposure``; the kinds are test_route_scoping's); they are
merged here, so two parts may use the same kind."""

from typing import Any

from tests.safety import routes_exposure, routes_reports, routes_viewing

_merged: dict[str, dict[str, list[str]]] = {}
for _part in (routes_reports, routes_viewing, routes_exposure):
    for _kind, _routes in vars(_part).items():
        if _kind.isupper():
            _methods: Any = _routes if isinstance(_routes, dict) else dict.fromkeys(_routes, [])
            _merged.setdefault(_kind, {}).update(_methods)
globals().update(_merged)
