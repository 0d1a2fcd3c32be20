"""The escalate form on the ticket page: no reason is chosen for the agent, and a missing
or unknown reason is named next to the field."""

import re

import pytest

from escalations.models import Escalation
from tests.escalations import factories as ef
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(desk, client):
    ef.reason(desk["teams"]["inhouse"], name="Legal")
    ef.reason(desk["teams"]["inhouse"], name="Payments investigation")
    client.force_login(desk["people"]["north_agent"])
    return tf.ticket(desk["queues"]["north"])


def _reason_select(body: str) -> str:
    start = body.index('id="esc-reason"')
    return body[start : body.index("</select>", start)]


def test_the_escalate_form_starts_with_no_reason_chosen(ticket, client):
    body = client.get(f"/tickets/{ticket.reference}/").content.decode()
    select = _reason_select(body)
    options = re.findall(r"<option[^>]*>[^<]*</option>", select)
    assert options[0] == '<option value="">Choose a reason…</option>'
    assert len(options) == 3 and "selected" not in select


@pytest.mark.parametrize("reason", ["", "999999", "x"])
def test_escalating_without_a_valid_reason_shows_the_error_next_to_the_field(
    ticket, client, reason
):  # fmt: skip
    data = {"reason": reason, "severity": 2, "summary": "Lawyer letter"}
    response = client.post(f"/escalations/ticket/{ticket.reference}/raise/", data)
    assert response.status_code == 400
    body = response.content.decode()
    error = re.search(r'data-testid="escalate-reason-error">([^<]*)<', body)
    assert error is not None
    if not reason:
        assert error.group(1) == "Choose a reason."
    select = _reason_select(body)
    assert 'aria-invalid="true"' in select and 'aria-describedby="esc-reason-error"' in select
    # The form stays open with what the agent typed and chose.
    assert "<details open>" in body and ">Lawyer letter</textarea>" in body
    assert '<option value="2" selected>' in body
    assert not Escalation.objects.exists()
