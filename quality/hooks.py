"""What happened to satisfaction surveys, announced to the apps above quality (analytics
counts the surveys sent and the ratings). Same rule as ``tickets.hooks``: sent inside the
change's transaction; a handler writes through its own services and does no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tickets.hooks import Hook

if TYPE_CHECKING:
    from quality.models import Review, Survey
    from tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class SurveysSent:
    """Surveys that went out in one batch (their tickets loaded)."""

    surveys: tuple[Survey, ...]


@dataclass(frozen=True, slots=True)
class Rated:
    """A survey was rated, or its rating changed (``first`` says which). ``survey`` holds
    the new rating; the facts of an earlier one are the app's to take back."""

    survey: Survey
    ticket: Ticket
    first: bool


@dataclass(frozen=True, slots=True)
class Reviewed:
    """A QA review was scored (``previous`` None), or a dispute changed its score from
    ``previous``. Calibration reviews are not announced: they count toward nothing."""

    review: Review
    ticket: Ticket
    previous: float | None


surveys_sent: Hook[SurveysSent] = Hook("surveys_sent")
reviewed: Hook[Reviewed] = Hook("reviewed")
rated: Hook[Rated] = Hook("rated")
