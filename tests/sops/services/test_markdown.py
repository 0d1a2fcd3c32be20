"""Rendering SOP Markdown safely, and SOP files in and out."""

from html.parser import HTMLParser

import pytest

from sops import services
from sops.markdown import SOPFileError, parse_sop_file, render_markdown
from sops.models import SOP, SOPVersion
from tests.sops import factories as sf
from tests.tickets import factories as tf


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "markdown",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "![x](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        "[ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
    ],
)
def test_scripts_and_script_links_never_survive(markdown):
    for tag, attrs in _Elements(render_markdown(markdown)).found:
        assert tag not in {"script", "iframe", "object", "embed", "style"}
        assert not [name for name in attrs if name.startswith("on")]
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].split(":")[0].lower() in {"http", "https", "mailto", "x"}


def test_raw_html_is_shown_as_text():
    assert "&lt;script&gt;" in render_markdown("<script>alert(1)</script>")


def test_ordinary_markdown_renders_with_safe_links():
    html = render_markdown(
        "## Steps\n\n1. **Verify**\n2. [Help](https://example.com)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Steps</h2>" in html and "<strong>Verify</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_a_stored_version_keeps_only_the_sanitised_html(org):
    version = sf.draft(org["people"]["admin"], body="[x](javascript:alert(1)) <b onclick=y>hi</b>")
    elements = _Elements(version.body_html).found
    assert [tag for tag, _attrs in elements] == ["p"]  # the link and the <b> stay text
    assert version.body.startswith("[x](javascript:")  # the typed text is kept as written


@pytest.mark.django_db
def test_export_then_import_round_trips_as_a_new_draft(org):
    admin = org["people"]["admin"]
    queue = tf.queue("Payments")
    macro = tf.macro(name="Refund issued", language="es")
    sop = sf.published(
        admin, title="Refunds", body="## Do\n\nRefund it.", steps=("Find", "Refund"),
        queues=[queue], categories=["billing"], tags=["refund"], languages=["en", "es"],
        vendors=[org["vendors"]["north"]], macros=[macro],
    )  # fmt: skip
    text = services.sop_file_text(sop.current_version)
    assert text.startswith("---\ntitle: Refunds\nslug: refunds\nversion: 1\n")
    assert "- Refund issued (es)" in text and "Refund it." in text

    version = services.sop_import(actor=admin, raw=text.replace("Refund it.", "Refund it now.")
                                  .encode())  # fmt: skip
    assert (version.sop_id, version.number, version.state) == (sop.pk, 2, SOPVersion.State.DRAFT)
    assert version.body == "## Do\n\nRefund it now."
    assert [s.text for s in version.steps.all()] == ["Find", "Refund"]
    assert list(version.macros.all()) == [macro]


@pytest.mark.django_db
def test_importing_a_new_slug_creates_an_sop_with_its_audience(org):
    tf.queue("Trust and Safety")
    raw = (
        b"---\ntitle: Threats of violence\nslug: threats\nqueues: [trust-and-safety]\n"
        b"categories: [safety]\nvendors: [northwind]\nsteps:\n  - Assess the risk\n"
        b"  - Escalate\n---\n# Threats\n\nAct fast.\n"
    )
    version = services.sop_import(actor=org["people"]["inhouse_lead"], raw=raw)
    sop = SOP.objects.get(slug="threats")
    assert version.sop == sop and [q.slug for q in sop.queues.all()] == ["trust-and-safety"]
    assert [v.slug for v in sop.vendors.all()] == ["northwind"]
    assert sop.categories == ["safety"]


@pytest.mark.django_db
def test_importing_over_an_open_draft_is_refused(org):
    admin = org["people"]["admin"]
    sop = sf.published(admin, title="Refunds")
    services.sop_draft_start(actor=admin, sop=sop)
    with pytest.raises(services.SOPConflict, match="open draft"):
        services.sop_import(actor=admin, raw=b"---\ntitle: Refunds\nslug: refunds\n---\nNew\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        (b"---\nsummary: no title\n---\nbody", "needs a title"),
        (b"---\ntitle: T\neffective_on: someday\n---\nbody", "must be a date"),
        (b"---\ntitle: T\ntags: {a: 1}\n---\nbody", "must be a list"),
    ],
)
def test_a_bad_file_gets_a_clear_error(raw, message):
    with pytest.raises(SOPFileError, match=message):
        parse_sop_file(raw)


@pytest.mark.django_db
def test_unknown_queues_in_a_file_are_named(org):
    raw = b"---\ntitle: T\nqueues: [nowhere, elsewhere]\n---\nbody"
    with pytest.raises(SOPFileError, match="nowhere, elsewhere"):
        services.sop_import(actor=org["people"]["admin"], raw=raw)


@pytest.mark.django_db
def test_importing_onto_an_sop_you_cannot_see_is_refused(org):
    from tests.sops import factories as sf2

    sf2.published(org["people"]["admin"], title="Internal", slug="internal")
    raw = b"---\ntitle: Internal\nslug: internal\n---\nOverwritten by a vendor\n"
    with pytest.raises(services.SOPConflict, match="is taken"):
        services.sop_import(actor=org["people"]["atlas_lead"], raw=raw)
    assert SOP.objects.get(slug="internal").versions.count() == 1
