"""Who reads which SOP, which SOPs apply to a ticket, and who must acknowledge what."""

import pytest
from django.core.cache import cache
from django.http import Http404

from sops import selectors, services
from tests import factories
from tests.sops import factories as sf
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(desk):
    admin = desk["people"]["admin"]
    shared = sf.published(admin, title="Shared with Northwind", vendors=[desk["vendors"]["north"]])
    internal = sf.published(admin, title="In-house only")
    unpublished = sf.draft(admin, title="Not yet published").sop
    return {**desk, "shared": shared, "internal": internal, "unpublished": unpublished}


def _titles(user) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(selectors.visible_sops(user).values_list("title", flat=True))


def test_vendor_agents_read_only_sops_shared_with_their_vendor(library):
    people = library["people"]
    assert _titles(people["north_agent"]) == ["Shared with Northwind"]
    assert _titles(people["atlas_agent"]) == []
    with pytest.raises(Http404):
        selectors.get_sop_for(people["north_agent"], library["internal"].slug)


def test_in_house_agents_read_every_published_sop_and_editors_see_drafts(library):
    people = library["people"]
    assert _titles(people["inhouse_agent"]) == ["In-house only", "Shared with Northwind"]
    assert "Not yet published" in _titles(people["inhouse_lead"])
    assert "Not yet published" in _titles(people["admin"])


def test_a_vendor_lead_sees_only_shared_sops_even_as_an_editor(library):
    assert _titles(library["people"]["north_lead"]) == ["Shared with Northwind"]


def test_agents_read_published_and_archived_versions_but_not_drafts(library):
    admin, agent = library["people"]["admin"], library["people"]["inhouse_agent"]
    sop = library["internal"]
    sf.new_version(admin, sop, body="v2")
    services.sop_draft_start(actor=admin, sop=sop)
    numbers = sorted(selectors.visible_versions(agent, sop).values_list("number", flat=True))
    assert numbers == [1, 2]
    with pytest.raises(Http404):
        selectors.get_version_for(agent, sop, 3)
    assert selectors.get_version_for(admin, sop, 3).number == 3


def test_sops_apply_to_a_ticket_by_queue_category_tags_and_language(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    queue, other = desk["queues"]["inhouse"], desk["queues"]["north"]
    sf.published(admin, title="Any ticket")
    sf.published(admin, title="This queue", queues=[queue])
    sf.published(admin, title="Other queue", queues=[other])
    sf.published(admin, title="Billing", categories=["billing"])
    sf.published(admin, title="Refund tag", tags=["refund", "chargeback"])
    sf.published(admin, title="Spanish", languages=["es"])
    sf.published(admin, title="Billing in this queue", queues=[queue], categories=["billing"])
    sf.draft(admin, title="Draft only", queues=[queue])

    ticket = tf.ticket(queue, language="en", category="billing", tags=["refund"])
    titles = [item.sop.title for item in selectors.sops_for_ticket(agent, ticket, [])]
    assert titles == ["Any ticket", "Billing", "Billing in this queue", "Refund tag", "This queue"]

    plain = tf.ticket(queue, language="es")
    titles = [item.sop.title for item in selectors.sops_for_ticket(agent, plain, [])]
    assert titles == ["Any ticket", "Spanish", "This queue"]


def test_the_ticket_panel_shows_ticks_and_only_macros_available_on_the_ticket(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    queue = desk["queues"]["inhouse"]
    here, elsewhere = tf.macro(name="Here"), tf.macro(name="Elsewhere")
    sop = sf.published(admin, steps=("One", "Two"), macros=[here, elsewhere])
    ticket = tf.ticket(queue)
    first = sop.current_version.steps.get(position=1)
    services.sop_step_tick(actor=agent, ticket=ticket, step=first, done=True)
    [item] = selectors.sops_for_ticket(agent, ticket, [here])
    ticked = [(row.step.text, row.tick is not None) for row in item.steps]
    assert ticked == [("One", True), ("Two", False)]
    assert item.macros == [here] and item.done == 1


def test_the_ticket_panel_makes_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    macro = tf.macro()
    for n in range(8):
        sf.published(admin, title=f"SOP {n}", steps=("a", "b", "c"), macros=[macro])
    ticket = tf.ticket(desk["queues"]["inhouse"])
    from tickets.models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1)  # gone after a transactional test's flush
    with django_assert_max_num_queries(8):  # loading the published SOPs into the cache
        panel = selectors.sops_for_ticket(agent, ticket, [macro])
    assert len(panel) == 8 and all(len(item.steps) == 3 for item in panel)
    with django_assert_max_num_queries(2):  # the version and this ticket's ticks
        panel = selectors.sops_for_ticket(agent, ticket, [macro])
    assert len(panel) == 8 and all(len(item.steps) == 3 for item in panel)
    sf.published(admin, title="SOP 9", steps=("a",))  # a change is seen at once
    assert len(selectors.sops_for_ticket(agent, ticket, [macro])) == 9


def test_the_audience_is_who_may_read_it_works_its_queues_and_speaks_its_languages(desk):
    admin, people = desk["people"]["admin"], desk["people"]
    spanish_agent = factories.user(team=desk["teams"]["north"], languages=("es",))
    everyone = sf.published(admin, title="Everyone", vendors=[desk["vendors"]["north"]])
    in_queue = sf.published(admin, title="Northwind queue", queues=[desk["queues"]["north"]],
                            vendors=[desk["vendors"]["north"]])  # fmt: skip
    spanish = sf.published(admin, title="Spanish", languages=["es"],
                           vendors=[desk["vendors"]["north"]])  # fmt: skip

    def audience(sop):  # type: ignore[no-untyped-def]
        from accounts.models import User

        return set(User.objects.filter(selectors.audience_filter(sop)))

    assert audience(everyone) == {people[k] for k in (
        "inhouse_agent", "inhouse_lead", "north_agent", "north_lead", "north2_agent",
        "north2_lead")} | {spanish_agent}  # fmt: skip
    # The Northwind queue is granted to the vendor: all its teams work it; in-house do not.
    assert audience(in_queue) == {people[k] for k in (
        "north_agent", "north_lead", "north2_agent", "north2_lead")} | {spanish_agent}  # fmt: skip
    assert audience(spanish) == {spanish_agent}


def test_a_publish_puts_the_version_in_the_banner_until_acknowledged(desk):
    cache.clear()
    admin, agent = desk["people"]["admin"], desk["people"]["north_agent"]
    sop = sf.published(admin, title="Refunds", vendors=[desk["vendors"]["north"]])
    assert [p.title for p in selectors.pending_acknowledgements(agent)] == ["Refunds"]
    services.sop_acknowledge(actor=agent, version=sop.current_version)
    assert selectors.pending_acknowledgements(agent) == []
    # A new version is new reading, even though the cached list said "nothing".
    sf.new_version(admin, sop, body="v2", summary="New limits")
    assert [(p.version, p.change_summary) for p in selectors.pending_acknowledgements(agent)] == [
        (2, "New limits")
    ]


def test_a_version_that_needs_no_acknowledgement_does_not_show_in_the_banner(desk):
    cache.clear()
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sop = sf.published(admin, title="Typos")
    services.sop_acknowledge(actor=agent, version=sop.current_version)
    draft = services.sop_draft_start(actor=admin, sop=sop)
    services.sop_draft_save(
        actor=admin, version=draft, expected_revision=draft.revision, body="Fixed a typo",
        steps=[], macros=[], change_summary="typo", effective_on=None,
        requires_acknowledgement=False,
    )  # fmt: skip
    services.sop_version_submit(actor=admin, version=draft)
    services.sop_version_publish(actor=admin, version=draft)
    assert selectors.pending_acknowledgements(agent) == []


def test_the_banner_is_served_from_the_cache_once_computed(desk, django_assert_num_queries):
    cache.clear()
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sf.published(admin, title="Refunds")
    selectors.pending_acknowledgements(agent)
    with django_assert_num_queries(0):
        assert [p.title for p in selectors.pending_acknowledgements(agent)] == ["Refunds"]


def test_coverage_counts_per_team_among_the_people_the_lead_manages(desk):
    admin, people = desk["people"]["admin"], desk["people"]
    sop = sf.published(admin, title="Refunds", vendors=[desk["vendors"]["north"]])
    services.sop_acknowledge(actor=people["north_agent"], version=sop.current_version)

    lead_view = selectors.acknowledgement_coverage(people["north_lead"], sop, sop.current_version)
    assert [(g.vendor, g.team, g.acknowledged, g.total) for g in lead_view.groups] == [
        ("Northwind", "Tier 1", 1, 2), ("Northwind", "Tier 2", 0, 2)]  # fmt: skip
    assert {p.email for p in lead_view.missing} == {
        "north.lead@example.com",
        "north2.agent@example.com",
        "north2.lead@example.com",
    }
    assert (lead_view.acknowledged, lead_view.total, lead_view.percent) == (1, 4, 25)

    admin_view = selectors.acknowledgement_coverage(admin, sop, sop.current_version)
    assert admin_view.total == 6  # and the in-house team's two
    assert admin_view.groups[0].vendor == ""  # in-house first


def test_the_library_pages_by_title_with_a_fixed_number_of_queries(
    desk, django_assert_max_num_queries
):  # fmt: skip
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    for n in range(30):
        sf.published(admin, title=f"Procedure {n:02d}")
    seen, cursor = [], ""
    while True:
        with django_assert_max_num_queries(2):
            page = selectors.library_page(agent, selectors.LibraryFilters(), cursor)
        seen += [sop.title for sop in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [f"Procedure {n:02d}" for n in range(30)]


def test_library_search_and_filters(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sf.published(admin, title="Refunds for duplicate charges", body="Refund the second charge.",
                 categories=["billing"], tags=["refund"])  # fmt: skip
    sf.published(admin, title="Hacked accounts", body="Reset the password and end sessions.",
                 categories=["account"])  # fmt: skip

    def titles(**filters):  # type: ignore[no-untyped-def]
        page = selectors.library_page(agent, selectors.LibraryFilters(**filters))
        return [sop.title for sop in page.rows]

    assert titles(q="refunding") == ["Refunds for duplicate charges"]  # English stemming
    assert titles(q="sessions password") == ["Hacked accounts"]  # words of the text
    assert titles(category="account") == ["Hacked accounts"]
    assert titles(tag="refund") == ["Refunds for duplicate charges"]
    assert titles(pending=True) == ["Hacked accounts", "Refunds for duplicate charges"]


def test_coverage_lists_at_most_a_few_hundred_names_but_counts_everyone(
    desk, monkeypatch, django_assert_max_num_queries
):  # fmt: skip
    for _ in range(20):
        factories.user(team=desk["teams"]["north2"])
    monkeypatch.setattr(selectors, "MISSING_SHOWN", 2)
    sop = sf.published(desk["people"]["admin"], title="Refunds", vendors=[desk["vendors"]["north"]])
    version = sop.current_version
    with django_assert_max_num_queries(3):  # the SOP's queues, the counts, the names
        coverage = selectors.acknowledgement_coverage(desk["people"]["admin"], sop, version)
        assert (len(coverage.missing), coverage.missing_total, coverage.missing_more) == (2, 26, 24)


def test_the_panel_shows_what_visible_sops_lets_each_person_read(desk):
    admin, people = desk["people"]["admin"], desk["people"]
    queue = desk["queues"]["north"]
    sf.published(admin, title="Shared with Northwind", vendors=[desk["vendors"]["north"]])
    sf.published(admin, title="Shared with Atlas", vendors=[desk["vendors"]["atlas"]])
    sf.published(admin, title="In-house only")
    ticket = tf.ticket(queue)
    for key in ("admin", "inhouse_agent", "north_agent", "north_lead", "atlas_agent"):
        person = people[key]
        panel = {item.sop.title for item in selectors.sops_for_ticket(person, ticket, [])}
        readable = set(selectors.visible_sops(person).filter(current_version__isnull=False)
                       .values_list("title", flat=True))  # fmt: skip
        assert panel == readable, key
    north = {i.sop.title for i in selectors.sops_for_ticket(people["north_agent"], ticket, [])}
    assert north == {"Shared with Northwind"}
    people["north_agent"].team = None
    assert selectors.sops_for_ticket(people["north_agent"], ticket, []) == []
