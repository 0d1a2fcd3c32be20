"""Standard Operating Procedures: what an agent must do for a kind of case.

An ``SOP`` says who it is for (queues, categories, tags, languages, vendors). Its
text lives in ``SOPVersion`` rows that are never overwritten: a draft is edited,
reviewed and published; publishing archives the previous version. Agents in the
audience acknowledge each published version; on a ticket they tick its checklist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Vendor
from tickets.models import Macro, Queue, Ticket


class TicketEventKind(models.TextChoices):
    """What SOP checklists record on a ticket's timeline (registered with
    ``tickets.events`` from the app's ``ready()``)."""

    SOP_STEP_DONE = "sop_step_done"
    SOP_STEP_UNDONE = "sop_step_undone"


class SOP(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True, max_length=1000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="owned_sops",
    )  # fmt: skip
    # Who it applies to. An empty list means "any": an SOP with no queues applies in
    # every queue. Each non-empty condition must match a ticket.
    queues = models.ManyToManyField(
        Queue, verbose_name=_("queues"), blank=True, related_name="sops",
        help_text=_("Leave empty to apply in every queue."),
    )  # fmt: skip
    categories = ArrayField(
        models.CharField(max_length=64), verbose_name=_("categories"), default=list, blank=True
    )
    tags = ArrayField(
        models.CharField(max_length=64), verbose_name=_("tags"), default=list, blank=True
    )
    languages = ArrayField(
        models.CharField(max_length=16), verbose_name=_("languages"), default=list, blank=True
    )
    # Vendor agents read only SOPs shared with their vendor; in-house staff read all.
    vendors = models.ManyToManyField(
        Vendor, verbose_name=_("shared with vendors"), blank=True, related_name="sops",
        help_text=_("Vendor partners whose agents may read it. In-house staff read every SOP."),
    )  # fmt: skip
    # The published version agents follow; set only by sop_version_publish.
    current_version = models.OneToOneField(
        "SOPVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )  # fmt: skip
    # Title, summary and the current version's text, maintained by the services.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("SOP")
        verbose_name_plural = _("SOPs")
        indexes = [
            # The library's sort (keyset pagination).
            models.Index(fields=["title", "id"], name="sop_title_idx"),
            GinIndex(fields=["search_vector"], name="sop_search_idx"),
            GinIndex(fields=["categories"], name="sop_categories_idx"),
            GinIndex(fields=["tags"], name="sop_tags_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class SOPVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.DRAFT)  # fmt: skip
    body = models.TextField(_("procedure (Markdown)"), blank=True, max_length=100_000)
    # The body rendered from Markdown and sanitised with nh3; never rendered unsanitised.
    body_html = models.TextField(blank=True, editable=False)
    macros = models.ManyToManyField(Macro, verbose_name=_("linked macros"), blank=True,
                                    related_name="sop_versions")  # fmt: skip
    change_summary = models.CharField(_("what changed"), max_length=500, blank=True)
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    requires_acknowledgement = models.BooleanField(
        _("agents must acknowledge"), default=True,
        help_text=_("Untick for a typo fix that changes nothing agents do."),
    )  # fmt: skip
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # Bumped by every save of a draft. An editor submits the revision they loaded; a
    # different one means someone else saved in between and the save is refused.
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sop", "-number"]
        verbose_name = _("SOP version")
        verbose_name_plural = _("SOP versions")
        constraints = [
            models.UniqueConstraint(fields=["sop", "number"], name="sop_version_number_unique"),
            # One version in force, and one open draft (or proposal in review), per SOP.
            models.UniqueConstraint(fields=["sop"], condition=Q(state="published"),
                                    name="sop_one_published_version"),
            models.UniqueConstraint(fields=["sop"], condition=Q(state__in=["draft", "in_review"]),
                                    name="sop_one_open_draft"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.sop} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT


class SOPStep(models.Model):
    """One checklist step of one version (a new version gets new rows)."""

    version = models.ForeignKey(SOPVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="sop_step_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class SOPAcknowledgement(models.Model):
    """A person has read a published version and says they will follow it."""

    version = models.ForeignKey(SOPVersion, on_delete=models.CASCADE,
                                related_name="acknowledgements")  # fmt: skip
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="sop_acknowledgements")  # fmt: skip
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="sop_ack_unique"),
        ]
        indexes = [models.Index(fields=["user", "version"], name="sop_ack_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.version_id}"


class ChecklistTick(models.Model):
    """A step an agent has done on a ticket. Ticking and unticking are audited on the
    ticket's timeline; the row is what the checklist shows now."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sop_ticks")
    step = models.ForeignKey(SOPStep, on_delete=models.CASCADE, related_name="ticks")
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")  # fmt: skip
    ticked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="sop_tick_unique"),
        ]

    def __str__(self) -> str:
        return f"step {self.step_id} on {self.ticket_id}"


class SOPEvent(models.Model):
    """Append-only audit of every change to an SOP and its versions (a database trigger
    refuses edits)."""

    sop = models.ForeignKey(SOP, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(SOPVersion, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="events")  # fmt: skip
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sop", "created_at", "id"], name="sop_event_sop_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.sop_id}"
