"""The Jinja2 environment for the few hot fragments rendered with it (see TEMPLATES).

Django's template engine resolves every variable through several lookups and
lazy translations; for the 50 rows of a queue page that cost more than the
query. Jinja2 compiles templates to Python and renders them several times
faster. Autoescaping is on, translations come from Django's catalogues.
"""

from django.utils import translation
from jinja2 import Environment


def environment(**options: object) -> Environment:
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    return env
