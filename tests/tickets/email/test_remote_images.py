"""Remote images in inbound HTML are held back until asked for, per message, and then
allowed by that response's CSP alone (item 7 of issue 14)."""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from tests.tickets import factories as tf
from tickets import services
from tickets.intake.email import email_ingest
from tickets.models import Message
from tickets.remote_images import image_origin, render

pytestmark = pytest.mark.django_db
TRACKER = "https://tracker.example.com/p.gif?id=42&u=ana"

# Markup a sender may use to get an image fetched; after intake's sanitising none of it
# may leave an <img> with a src on the page until the agent asks.
HOSTILE = [
    f'<img src="{TRACKER}">',
    f'<IMG SRC="{TRACKER}" ALT="logo">',
    f'<img alt="a > b" src="{TRACKER}">',
    f'<img alt=\'x" src="https://evil.example/\' src="{TRACKER}">',
    f'<p><a href="https://shop.example"><img src="{TRACKER}" width="1" height="1"></a></p>',
    f'<table><tr><td><img src="{TRACKER}"></td></tr></table>',
    f'<img src="{TRACKER}"><img src="https://cdn.example.net/b.png">'
    '<img src="//cdn.example.net/c">',
    '<img src="/static/favicon.svg"><img src="tracking.gif">',
    f'<img src="{TRACKER.replace("&", "&amp;")}">',
    f'<img srcset="{TRACKER} 2x" src="{TRACKER}">',
    f'<picture><source srcset="{TRACKER}"><img src="{TRACKER}"></picture>',
    f'<svg><image href="{TRACKER}"/></svg><img src="{TRACKER}">',
    f'<div style="background:url({TRACKER})"><img src="{TRACKER}"></div>',
    f'<img src=" {TRACKER} ">',
]


class Images(HTMLParser):
    """Every attribute that makes a browser fetch an image, as parsed by a browser-like
    parser."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.held: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attrs = dict(attrs)
        for name in ("src", "srcset", "href", "background", "poster", "style"):
            if name in attrs and tag in ("img", "source", "image", "input", "video", "table",
                                         "td", "body", "div", "p"):  # fmt: skip
                if name != "href" or tag == "image":
                    self.fetched.append(f"{tag} {name}={attrs[name]}")
        if "data-remote-src" in attrs:
            self.held.append(attrs["data-remote-src"])


def images_in(html: str) -> Images:
    parser = Images()
    parser.feed(html)
    return parser


def message_body(page: str, message: Message) -> str:
    start = page.index(f'id="remote-images-{message.pk}"')
    return page[start : page.index("</li>", start)]


@pytest.fixture
def agent_page(desk, client):
    client.force_login(desk["people"]["inhouse_agent"])

    def make(html: str, *more: str):  # type: ignore[no-untyped-def]
        ticket = tf.ticket(desk["queues"]["inhouse"], body="See the picture.", body_html=html)
        for extra in more:
            services.ticket_requester_reply(ticket=ticket, body="More.", body_html=extra)
        return ticket

    return make


@pytest.mark.parametrize("html", HOSTILE)
def test_no_markup_gets_an_image_fetched_before_the_agent_asks(html):
    stored = services.sanitize_html(html)
    shown = render(stored, load=False)
    assert images_in(shown.html).fetched == []
    assert shown.origins == set()
    if "<img" in stored:
        assert shown.images >= 1 and images_in(shown.html).held


def test_the_ticket_page_holds_remote_images_back_and_offers_to_load_them(agent_page, client):
    ticket = agent_page(f'<p>Look:</p><img src="{TRACKER}" alt="our logo">')
    response = client.get(f"/tickets/{ticket.reference}/")
    page = response.content.decode()
    message = ticket.messages.get()
    body = message_body(page, message)
    assert images_in(body).fetched == []
    assert images_in(body).held == [TRACKER]
    assert "Load remote images" in body
    assert f"?remote_images={message.pk}#remote-images-{message.pk}" in body
    # Directives come in no fixed order: compare the img-src directive itself.
    policy = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["img-src"] == ["'self'", "data:"]


def test_loading_shows_that_messages_images_and_allows_their_origins_on_that_page_only(
    agent_page, client
):
    ticket = agent_page(
        f'<img src="{TRACKER}"><img src="http://cdn.example.net:8080/a.png">',
        '<img src="https://other.example.org/pixel.gif">',
    )
    first, second = ticket.messages.order_by("id")
    response = client.get(f"/tickets/{ticket.reference}/", {"remote_images": first.pk})
    page = response.content.decode()
    shown = images_in(message_body(page, first))
    assert shown.fetched == [f"img src={TRACKER}", "img src=http://cdn.example.net:8080/a.png"]
    assert "Remote images are shown for this message." in page
    # The other message's images stay held back, and its origin is not allowed.
    assert images_in(message_body(page, second)).fetched == []
    img_src = next(
        d for d in response["Content-Security-Policy"].split(";") if d.strip().startswith("img-src")
    )
    assert img_src.split() == [
        "img-src", "'self'", "data:", "http://cdn.example.net:8080", "https://tracker.example.com",
    ]  # fmt: skip
    assert "other.example.org" not in response["Content-Security-Policy"]
    # The next page is back to the strict policy.
    again = client.get(f"/tickets/{ticket.reference}/")
    assert "tracker.example.com" not in again["Content-Security-Policy"]


def test_asking_for_another_tickets_message_loads_nothing(agent_page, client, desk):
    mine = agent_page("<p>No images here.</p>")
    other = tf.ticket(desk["queues"]["inhouse"], body="x", body_html=f'<img src="{TRACKER}">')
    response = client.get(f"/tickets/{mine.reference}/", {"remote_images": other.messages.get().pk})
    assert "tracker.example.com" not in response.content.decode()
    assert "tracker.example.com" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "src",
    ["https://a.example;script-src *", "https://a.example 'unsafe-inline'", "javascript:alert(1)",
     "https://[::1]/x", "data:image/png;base64,AAAA", "/relative.png", "https://exa mple.com/",
     "https://a.example:99999/x"],
)  # fmt: skip
def test_an_address_that_cannot_be_named_in_the_policy_stays_held_back(src):
    shown = render(f'<img src="{src}">', load=True)
    assert images_in(shown.html).fetched == [] and shown.origins == set()
    assert image_origin(src) is None


def test_an_email_with_a_tracking_pixel_arrives_with_it_held_back(desk, client, settings):
    settings.INBOUND_EMAIL_QUEUE = desk["queues"]["inhouse"].slug
    mail = EmailMessage()
    mail["From"], mail["To"] = "Bea <bea@example.org>", "support@helpdesk.test"
    mail["Subject"], mail["Message-ID"] = "Newsletter", "<n-1@example.org>"
    mail.set_content("Hello")
    mail.add_alternative(f'<p>Hello</p><img src="{TRACKER}" width="1" height="1">',
                         subtype="html")  # fmt: skip
    ticket = email_ingest(mail.as_bytes()).ticket
    client.force_login(desk["people"]["inhouse_agent"])
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert images_in(message_body(page, ticket.messages.get())).fetched == []
    assert "Load remote images" in page
