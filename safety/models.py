"""Trust & safety: user reports (notices) grouped into cases with one decision and its
statement of reasons, appeals; protected viewing of disturbing content; and the exposure
of the people who review it, counted and limited.

Three parts, each in its own modules:

- reports (``reports.py``, ``report_views.py``): HarmCategory, Case, Report, Decision,
  Appeal.
- protected viewing (``viewing.py``, ``viewing_views.py``): Protection (the
  organisation's minimum and each agent's own), TicketMark, Derivative, MaskWord.
- exposure (``exposure.py``, ``exposure_views.py``): Exposure, CapOverride, OptOut,
  Clearance.

SafetyEvent is the audit of all three, append-only like the tickets' events."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketEventKind(models.TextChoices):
    """What safety records on a ticket's timeline (registered with ``tickets.events``)."""

    REPORT_ADDED = "safety_report_added"
    CASE_DECIDED = "safety_case_decided"
    APPEAL_RECEIVED = "safety_appeal_received"
    APPEAL_DECIDED = "safety_appeal_decided"
    MARKED_SENSITIVE = "safety_marked_sensitive"
    UNMARKED_SENSITIVE = "safety_unmarked_sensitive"


# ------------------------------------------------------------------ the taxonomy


class HarmCategory(models.Model):
    """One ground of the policy taxonomy (hate speech, child safety, spam, …).

    It routes reports (queue, priority), decides whether their content is shown
    protected (``sensitive``) and whether looking at it counts as exposure with caps
    (``graphic``), and whether only cleared specialists may reach it."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # The name in other languages, for the statement of reasons in the notifier's
    # language: {"es": "Discurso de odio", …}; ``name`` when a language is missing.
    names = models.JSONField(_("names in other languages"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    queue = models.ForeignKey(
        "tickets.Queue", verbose_name=_("queue"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
        help_text=_("Reports in this category go to this queue (the help center's otherwise)."),
    )  # fmt: skip
    priority = models.PositiveSmallIntegerField(_("priority"), default=3)  # tickets.Priority
    sensitive = models.BooleanField(
        _("sensitive"), default=False,
        help_text=_("Images, videos and words in its tickets are shown protected."),
    )  # fmt: skip
    graphic = models.BooleanField(
        _("graphic"), default=False,
        help_text=_("Revealing its content counts toward the reviewer's exposure limits."),
    )  # fmt: skip
    requires_clearance = models.BooleanField(
        _("needs clearance"), default=False,
        help_text=_("Only cleared specialists may open its tickets; anyone else gets 404."),
    )  # fmt: skip
    notifier_optional = models.BooleanField(
        _("notifier may stay anonymous"), default=False,
        help_text=_("The notifier's name and email are optional (child-safety reports)."),
    )  # fmt: skip
    # Exposure limits per shift (None: no limit of that kind).
    soft_cap_minutes = models.PositiveIntegerField(_("soft cap (minutes)"), null=True, blank=True)
    soft_cap_items = models.PositiveIntegerField(_("soft cap (items)"), null=True, blank=True)
    hard_cap_minutes = models.PositiveIntegerField(_("hard cap (minutes)"), null=True, blank=True)
    hard_cap_items = models.PositiveIntegerField(_("hard cap (items)"), null=True, blank=True)
    cooldown_minutes = models.PositiveIntegerField(_("cool-down (minutes)"), default=30)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("harm category")
        verbose_name_plural = _("harm categories")

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        base = (language or "").split("-")[0].lower()
        return self.names.get(language) or self.names.get(base) or self.name


# ------------------------------------------------------------------------ reports


def new_case_reference() -> str:
    return "CASE-" + secrets.token_hex(4).upper()


def new_report_reference() -> str:
    return "RPT-" + secrets.token_hex(4).upper()


def new_appeal_reference() -> str:
    return "APL-" + secrets.token_hex(4).upper()


class ItemType(models.TextChoices):
    ACCOUNT = "account", _("Account")
    POST = "post", _("Post")
    VIDEO = "video", _("Video")
    COMMENT = "comment", pgettext_lazy("reported item", "Comment")
    MESSAGE = "message", pgettext_lazy("reported item", "Message")
    LIVESTREAM = "livestream", _("Livestream")


class Case(models.Model):
    """One reported item: every report about it while it waits for a decision, one
    decision (and an appeal's). Its work is a ticket of its own kind."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        DECIDED = "decided", _("Decided")
        APPEALED = "appealed", _("Appealed")
        CLOSED = "closed", pgettext_lazy("case state", "Closed")

    reference = models.CharField(_("reference"), max_length=16, unique=True,
                                 default=new_case_reference)  # fmt: skip
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE,
                                  related_name="safety_case")  # fmt: skip
    item_type = models.CharField(_("item type"), max_length=16, choices=ItemType.choices)
    item_id = models.CharField(_("item id"), max_length=200, blank=True)
    item_url = models.URLField(_("item URL"), max_length=1000, blank=True)
    # What makes two reports about the same item: "post:12345", or the URL's normal form.
    item_key = models.CharField(max_length=1100)
    # The affected account on the platform, when known (the webhook names it).
    account_id = models.CharField(_("affected account"), max_length=200, blank=True)
    category = models.ForeignKey(HarmCategory, verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="cases")  # fmt: skip
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.OPEN)  # fmt: skip
    reports_count = models.PositiveIntegerField(_("reports"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One undecided case per item: a second report joins it (reports.py).
            models.UniqueConstraint(
                fields=["item_key"], condition=Q(state="open"), name="safety_one_open_case_per_item"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.reference


class Report(models.Model):
    """One notice (the fields of the EU Digital Services Act's Article 16)."""

    class Channel(models.TextChoices):
        WEB = "web", _("Help center")
        API = "api", _("In-app")
        AGENT = "agent", _("Entered by an agent")

    reference = models.CharField(_("reference"), max_length=16, unique=True,
                                 default=new_report_reference)  # fmt: skip
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.ForeignKey(HarmCategory, verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="+")  # fmt: skip
    explanation = models.TextField(_("explanation"))
    evidence_links = ArrayField(models.URLField(max_length=1000), default=list, blank=True,
                                verbose_name=_("evidence links"))  # fmt: skip
    notifier_name = models.CharField(_("notifier's name"), max_length=200, blank=True)
    notifier_email = models.EmailField(_("notifier's email"), blank=True)
    notifier_language = models.CharField(_("language"), max_length=16, blank=True)
    # The platform's id of the notifier (in-app reports).
    notifier_user_id = models.CharField(max_length=200, blank=True)
    good_faith = models.BooleanField(_("good-faith statement"), default=False)
    # The report's message in the case's ticket (its evidence files are attached there).
    message = models.ForeignKey("tickets.Message", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")  # fmt: skip
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.reference


class Outcome(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    CONTENT_REMOVED = "content_removed", _("Content removed")
    CONTENT_RESTRICTED = "content_restricted", _("Content restricted (visibility limited)")
    ACCOUNT_SUSPENDED = "account_suspended", _("Account suspended")
    ACCOUNT_TERMINATED = "account_terminated", _("Account terminated")


class Decision(models.Model):
    """The decision on a case, with its statement of reasons; a decision on an appeal
    names the appeal."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    appeal = models.OneToOneField("Appeal", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="decision")  # fmt: skip
    outcome = models.CharField(_("decision"), max_length=24, choices=Outcome.choices)
    ground = models.ForeignKey(HarmCategory, verbose_name=_("policy ground"),
                               on_delete=models.PROTECT, related_name="+")  # fmt: skip
    facts = models.TextField(_("facts and circumstances"))
    automated_detection = models.BooleanField(_("found by automated means"), default=False)
    automated_decision = models.BooleanField(_("decided by automated means"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.decided_at:%Y-%m-%d})"


class Appeal(models.Model):
    """The affected user's appeal against a decision; decided by someone else."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        DECIDED = "decided", _("Decided")

    reference = models.CharField(_("reference"), max_length=16, unique=True,
                                 default=new_appeal_reference)  # fmt: skip
    against = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="appeals")
    account_id = models.CharField(_("affected account"), max_length=200, blank=True)
    explanation = models.TextField(_("explanation"))
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")  # fmt: skip
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.OPEN)  # fmt: skip
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.reference


# --------------------------------------------------------------- protected viewing


class Level(models.IntegerChoices):
    """How much a protected view hides, in order: a higher level hides more."""

    GREY = 1, _("Greyscale")
    BLUR = 2, _("Blurred and greyscale")
    HIDDEN = 3, _("Hidden until revealed")


class Protection(models.Model):
    """The organisation's minimum (``user`` empty, one row) or one agent's own setting,
    which may raise the minimum and never lower it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="safety_protection")  # fmt: skip
    level = models.PositiveSmallIntegerField(_("images and videos"), choices=Level.choices,
                                             default=Level.BLUR)  # fmt: skip
    mask_words = models.BooleanField(_("mask listed words"), default=True)
    reblur_seconds = models.PositiveSmallIntegerField(_("blur again after (seconds)"),
                                                      default=10)  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=True),
                name="safety_one_organisation_protection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or 'organisation'}: {self.get_level_display()}"


class TicketMark(models.Model):
    """A ticket an agent or a rule marked sensitive, outside a sensitive category."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE,
                                  related_name="safety_mark")  # fmt: skip
    category = models.ForeignKey(HarmCategory, verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="+")  # fmt: skip
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")  # fmt: skip
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.category_id}"


class Derivative(models.Model):
    """The protected version of an attachment (blurred, greyscale; a video's poster
    frame), made by a task when the file arrives."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        NONE = "none", _("No preview (not an image or video)")
        FAILED = "failed", _("Could not be read")

    attachment = models.OneToOneField("tickets.Attachment", on_delete=models.CASCADE,
                                      related_name="safety_derivative")  # fmt: skip
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to="protected/%Y/%m/", max_length=255, blank=True)
    # The same, greyscale but not blurred: for people whose protection level is
    # "Greyscale" (empty for previews made before it; they get the blurred one).
    grey_file = models.FileField(upload_to="protected/%Y/%m/", max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    made_in_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.state}"


class MaskWord(models.Model):
    """A word or phrase masked in messages of protected tickets until revealed."""

    language = models.CharField(_("language"), max_length=16)
    word = models.CharField(_("word or phrase"), max_length=120)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")  # fmt: skip
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "word"]
        constraints = [
            models.UniqueConstraint(fields=["language", "word"], name="safety_mask_word_once"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.word}"


# ------------------------------------------------------------------------ exposure


class Exposure(models.Model):
    """One reveal: who looked at what kind of content, in which category, how long."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")
        TEXT = "text", _("Text")

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")  # fmt: skip
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")  # fmt: skip
    category = models.ForeignKey(HarmCategory, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")  # fmt: skip
    attachment = models.ForeignKey("tickets.Attachment", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    kind = models.CharField(max_length=8, choices=Kind.choices)
    token = models.CharField(max_length=64, unique=True, default=secrets.token_hex)
    revealed_at = models.DateTimeField(default=timezone.now)
    seconds = models.PositiveIntegerField(default=0)
    # Revealed past the hard cap by a lead's override.
    override = models.ForeignKey("CapOverride", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")  # fmt: skip

    class Meta:
        indexes = [models.Index(fields=["agent", "revealed_at"], name="safety_exposure_agent")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.kind} {self.revealed_at:%Y-%m-%d %H:%M} {self.seconds}s"


class CapOverride(models.Model):
    """A lead's permission for one agent to go past a category's hard cap, until a time."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")  # fmt: skip
    category = models.ForeignKey(HarmCategory, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("until"))

    def __str__(self) -> str:
        return f"{self.agent_id} {self.category_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class OptOut(models.Model):
    """An agent's request not to be given one category's work, decided by a lead."""

    class State(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("opt-out", "Asked")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")  # fmt: skip
    category = models.ForeignKey(HarmCategory, verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="+")  # fmt: skip
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.REQUESTED)  # fmt: skip
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "category"],
                condition=Q(state__in=["requested", "approved"]),
                name="safety_one_live_opt_out",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.category_id} {self.state}"


class Clearance(models.Model):
    """Cleared to open the tickets of categories that need clearance (child safety)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="safety_clearance")  # fmt: skip
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    granted_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    def __str__(self) -> str:
        return str(self.user_id)


# --------------------------------------------------------------------------- audit


class SafetyEvent(models.Model):
    """The audit of reports, decisions, reveals past a cap, overrides, opt-outs and
    clearances; append-only (a trigger refuses UPDATE and DELETE, migration 0002, except in
    privacy's erasure, which may null a deleted person's keys)."""

    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    # Whom it is about (an agent's exposure, clearance, opt-out).
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")  # fmt: skip
    # The case's reference, not a key: the audit outlives a case erased with its ticket.
    case_reference = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "created_at"], name="safety_event_subject")]

    def __str__(self) -> str:
        return self.kind
