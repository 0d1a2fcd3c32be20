"""The Jinja2 environment for the few hot fragments rendered with it (see TEMPLATES):
queue rows and the page chrome (core.chrome).

Django's template engine resolves every variable through several lookups and
lazy translations; for the 50 rows of a queue page that cost more than the
query. Jinja2 compiles templates to Python and renders them several times
faster. Autoescaping is on, translations come from Django's catalogues.
"""

from functools import lru_cache
from typing import Any

from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import translation
from jinja2 import Environment


def url(name: str, *args: object) -> str:
    """reverse() for templates: url('sops:detail', slug). Remembered per process: a
    URL depends only on its name, arguments and the script prefix (no URL here is
    prefixed by language), and every page reverses the same few."""
    return _reverse(get_script_prefix(), name, args)


@lru_cache(maxsize=4096)
def _reverse(script_prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args or None)


def environment(**options: Any) -> Environment:
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(url=url, static=static)
    return env
