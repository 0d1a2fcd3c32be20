"""Markdown to safe HTML, and SOP files (Markdown with YAML front matter) in and out.

Two walls: markdown-it renders with raw HTML turned off (typed HTML comes out as
text) and refuses ``javascript:``-style link targets; nh3 then cleans the result
with an allow-list, so whatever the parser lets through, scripts and event
handlers do not survive.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import frontmatter
import nh3
import yaml
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def render_markdown(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class SOPFileError(ValueError):
    """An imported SOP file cannot be read; the message says why."""


@dataclass
class SOPFile:
    title: str
    body: str
    slug: str = ""
    summary: str = ""
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)  # queue slugs
    vendors: list[str] = field(default_factory=list)  # vendor slugs
    steps: list[str] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)  # "name (language)"
    change_summary: str = ""
    effective_on: datetime.date | None = None


def _strings(meta: dict, key: str) -> list[str]:
    value = meta.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise SOPFileError(f"“{key}” must be a list of words.")
    return [str(v).strip() for v in value if str(v).strip()]


def parse_sop_file(raw: bytes) -> SOPFile:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SOPFileError("The file is not UTF-8 text.") from exc
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise SOPFileError(f"The front matter is not valid YAML: {exc}") from exc
    meta = post.metadata
    title = str(meta.get("title") or "").strip()
    if not title:
        raise SOPFileError("The front matter needs a title.")
    effective = meta.get("effective_on")
    if effective is not None and not isinstance(effective, datetime.date):
        try:
            effective = datetime.date.fromisoformat(str(effective))
        except ValueError as exc:
            raise SOPFileError("“effective_on” must be a date like 2026-12-01.") from exc
    return SOPFile(
        title=title[:200],
        body=post.content,
        slug=str(meta.get("slug") or "").strip(),
        summary=str(meta.get("summary") or "").strip()[:1000],
        categories=_strings(meta, "categories"),
        tags=_strings(meta, "tags"),
        languages=_strings(meta, "languages"),
        queues=_strings(meta, "queues"),
        vendors=_strings(meta, "vendors"),
        steps=_strings(meta, "steps"),
        macros=_strings(meta, "macros"),
        change_summary=str(meta.get("change_summary") or "").strip()[:500],
        effective_on=effective,
    )


def dump_sop_file(data: SOPFile, *, version: int | None = None) -> str:
    meta: dict = {"title": data.title, "slug": data.slug}
    if version is not None:
        meta["version"] = version
    for key in ("summary", "change_summary"):
        if getattr(data, key):
            meta[key] = getattr(data, key)
    for key in ("queues", "categories", "tags", "languages", "vendors", "macros", "steps"):
        if getattr(data, key):
            meta[key] = getattr(data, key)
    if data.effective_on:
        meta["effective_on"] = data.effective_on
    post = frontmatter.Post(data.body, **meta)
    return frontmatter.dumps(post, sort_keys=False, allow_unicode=True) + "\n"
