"""Realistic demo and benchmark tickets with their history, written fast with COPY.

``seed_demo`` uses this for the first demo set (``make run``) and ``seed_demo --tickets N``
for benchmarks. It writes rows directly (not through the services) because a million
tickets through the ORM would take hours, but it writes what the services would have
written over each ticket's life (``demo.lifecycle`` plays them): the requester's first
message (or an agent's, for tickets agents open), assignments, agent replies (none, one
or several, some from macros), internal notes, requester follow-ups, solves, reopenings
and the auto-close; the audit events of each, with the services' kinds, actors and
shapes; and the SLA clocks started, paused, resumed, met, missed or cancelled on the way,
with the warnings and breaches the sweep would have fired. Ticket columns (first reply,
solved, closed, SLA summary) agree with those rows.

Tickets arrive over ``days`` days with daily and weekly seasonality in each queue's time
zone and a slow upward trend (``demo.arrivals``); the youngest are the ones still active.
A ``SpikeSpec`` adds a surge of one contact reason in one language in the last hours.
Everything but the current time follows from ``seed``.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts.models import User
from demo.arrivals import (
    ArrivalModel,
    SpikeSpec,
    backlog_decay,
    queue_time_zone,
    spike_arrivals,
    spike_size,
    still_active,
)
from demo.lifecycle import (
    CLOCK_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    NULL,
    SWEEP_EVERY,
    Life,
    Policies,
    Rows,
    copy_json,
    copy_text,
)
from tickets.models import Macro, Queue
from tickets.search import config_for
from tickets.selectors import visible_queue_ids
from tickets.sla import services as sla

# (subject, first message, category, tags) per language.
SAMPLES: dict[str, list[tuple[str, str, str, list[str]]]] = {
    "en": [
        ("I can't log in to my account", "I reset my password twice and it still says the code is wrong. I need access to my messages today.", "account", ["login", "2fa"]),
        ("Refund for a double charge", "I was charged twice for my subscription this month. Please refund the second payment of $9.99.", "billing", ["refund", "payments"]),
        ("Someone is impersonating me", "A profile is using my photos and name and messaging my friends asking for money.", "safety", ["impersonation"]),
        ("Harassing messages from another user", "This person keeps sending me threatening messages even after I blocked their old account.", "safety", ["harassment"]),
        ("My account was suspended by mistake", "I got an email saying my account broke the rules, but I only posted pictures of my dog.", "appeals", ["appeal", "suspension"]),
        ("App crashes when uploading a video", "Every time I upload a video longer than a minute the app closes. iPhone 15, latest version.", "bugs", ["crash", "upload"]),
        ("How do I delete my data?", "I want to close my account and have all my personal data deleted under GDPR.", "privacy", ["gdpr", "deletion"]),
        ("Payment method declined", "My card works everywhere else but your checkout says it was declined.", "billing", ["payments"]),
        ("Hacked account, email changed", "Someone changed the email on my account and I can no longer recover it.", "account", ["hacked", "recovery"]),
        ("Scam seller did not ship", "I paid a seller on the marketplace three weeks ago and never received the item.", "marketplace", ["scam", "refund"]),
    ],
    "es": [
        ("No puedo iniciar sesión", "Cambié mi contraseña y sigue diciendo que el código es incorrecto. Necesito entrar hoy.", "account", ["login"]),
        ("Reembolso por cobro duplicado", "Me cobraron dos veces la suscripción este mes. Por favor, reembolsen el segundo pago.", "billing", ["refund", "payments"]),
        ("Alguien se hace pasar por mí", "Un perfil usa mis fotos y mi nombre y pide dinero a mis amigos.", "safety", ["impersonation"]),
        ("Mi cuenta fue suspendida por error", "Recibí un correo diciendo que violé las normas, pero solo publiqué fotos de mi perro.", "appeals", ["appeal"]),
        ("La aplicación se cierra al subir un video", "Cada vez que subo un video largo la aplicación se cierra.", "bugs", ["crash"]),
        ("Me hackearon la cuenta", "Alguien cambió el correo y la contraseña de mi cuenta y ya no puedo recuperarla.", "account", ["hacked", "recovery"]),
    ],
    "pt": [
        ("Não consigo entrar na minha conta", "Já redefini a senha duas vezes e o código continua inválido.", "account", ["login"]),
        ("Cobrança em dobro", "Fui cobrado duas vezes pela assinatura. Quero o reembolso.", "billing", ["refund"]),
    ],
    "fr": [
        ("Compte piraté", "Quelqu'un a changé l'adresse e-mail de mon compte, je ne peux plus le récupérer.", "account", ["hacked"]),
        ("Remboursement d'un double paiement", "J'ai été débité deux fois ce mois-ci pour mon abonnement.", "billing", ["refund"]),
    ],
    "de": [
        ("Konto gesperrt", "Mein Konto wurde ohne Grund gesperrt. Bitte prüfen Sie das.", "appeals", ["appeal"]),
    ],
    "ar": [
        ("لا أستطيع تسجيل الدخول", "أعدت تعيين كلمة المرور مرتين وما زال الرمز غير صحيح.", "account", ["login"]),
        ("شخص ينتحل شخصيتي", "هناك حساب يستخدم صوري واسمي ويطلب المال من أصدقائي.", "safety", ["impersonation"]),
        ("استرداد مبلغ مدفوع مرتين", "تم خصم الاشتراك مرتين هذا الشهر، أرجو استرداد الدفعة الثانية.", "billing", ["refund"]),
    ],
    "ja": [
        ("ログインできません", "パスワードを二回リセットしましたが、コードが間違っていると表示されます。", "account", ["login"]),
        ("二重請求の返金", "今月のサブスクリプションが二回請求されました。返金をお願いします。", "billing", ["refund"]),
    ],
    "ru": [
        ("Не могу войти в аккаунт", "Я дважды сбросил пароль, но код всё ещё неверный.", "account", ["login"]),
        ("Мошенник на маркетплейсе", "Я оплатил товар три недели назад, но так ничего и не получил.", "marketplace", ["scam"]),
    ],
}  # fmt: skip
LANGUAGE_WEIGHTS = {"en": 50, "es": 15, "pt": 8, "fr": 6, "de": 4, "ar": 7, "ja": 5, "ru": 5}
# What agents write, by the status the reply leaves (other languages: English).
AGENT_REPLIES = {
    "en": "Thanks for reaching out. I've looked into this and {action}. Reply here if anything else comes up.",
    "es": "Gracias por escribirnos. Lo he revisado y {action}. Responde aquí si necesitas algo más.",
}
AGENT_ASKS = {
    "en": "Thanks for the details. Could you send us a screenshot of the error and the email address on the account?",
    "es": "Gracias por los detalles. ¿Puedes enviarnos una captura del error y el correo de la cuenta?",
}
AGENT_UPDATES = {
    "en": "We've passed this to our specialists and will update you here as soon as we hear back.",
    "es": "Lo hemos pasado a nuestros especialistas y te escribiremos aquí en cuanto sepamos algo.",
}
ACTIONS = ["issued the refund", "restored access to your account", "removed the reported profile",
           "escalated it to our specialists", "reset your two-factor settings"]  # fmt: skip
# What requesters write back: an answer, a nudge, thanks (after a solve), the problem again.
ANSWERS = {"en": ["Here is the screenshot you asked for.", "I've sent the details you asked for.",
                  "It still doesn't work, same error."],
           "es": ["Aquí está la captura que pedían.", "Sigue sin funcionar, el mismo error."]}  # fmt: skip
NUDGES = {"en": ["Any update on this?"], "es": ["¿Alguna novedad?"]}
THANKS = {"en": ["Thank you, that worked!", "Thanks for the quick help."],
          "es": ["¡Gracias, ya funciona!"]}  # fmt: skip
AGAIN = {
    "en": ["It happened again today, same problem."],
    "es": ["Hoy volvió a pasar, el mismo problema."],
}
NOTES = ["Checked payment logs: duplicate charge confirmed.", "Requester verified via email.",
         "Possible fraud ring; see linked tickets.", "Following the account-recovery SOP."]  # fmt: skip
NO_REPLY_NOTES = ["Duplicate of an earlier ticket from the same requester; solving.",
                  "Spam; no reply needed."]  # fmt: skip
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# How a ticket's life goes (delays are medians of log-normal draws).
FIRST_REPLY_MEDIAN = {1: 15 * 60, 2: 45 * 60, 3: 150 * 60, 4: 360 * 60}  # by priority
NIGHT_SLOWDOWN = 2.0  # created between midnight and 7:00 in the queue's time zone
REQUESTER_ANSWER_MEDIAN = 3 * 3600
AGENT_NEXT_REPLY_MEDIAN = 90 * 60
ON_HOLD_MEDIAN = 20 * 3600
AGENT_CREATED_SHARE = 0.06
REOPEN_SHARE = 0.1
MACRO_SHARE = 0.5  # of replies for which a matching macro exists
BEAT_CLOSE_EVERY = 300.0  # seconds: beat runs close_quiet_solved_tickets this often


@dataclass
class SeedStats:
    tickets: int
    messages: int
    events: int
    seconds: float
    clocks: int = 0
    spike: int = 0  # of the tickets, those of the spike


Step = tuple[float, str, dict[str, Any]]


class _Weighted:
    """A weighted draw, its cumulative weights worked out once (a million tickets)."""

    def __init__(self, options: tuple, weights: tuple[float, ...]) -> None:
        self.options, self.cumulative = options, tuple(accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return rng.choices(self.options, cum_weights=self.cumulative)[0]


PRIORITIES = _Weighted((1, 2, 3, 4), (3, 12, 70, 15))
PUBLIC_REPLIES = _Weighted((0, 1, 2, 3, 4), (6, 46, 27, 13, 8))  # agent replies, solved tickets
NEXT_STATUS = _Weighted(("pending", "open", "on_hold"), (70, 18, 12))  # after a reply
OPEN_BECAUSE = _Weighted(("waiting", "working", "answered", "reopened"), (35, 20, 35, 10))
ACTIVE_STATUSES = ("new", "open", "pending", "on_hold")
# What an active ticket waits for, by age (under 2 hours, a day, a week, older): the young
# mostly for a first look, the old mostly for the requester or a third party.
ACTIVE_BY_AGE = ((2 * 3600, _Weighted(ACTIVE_STATUSES, (60, 30, 7, 3))),
                 (86400, _Weighted(ACTIVE_STATUSES, (30, 40, 22, 8))),
                 (7 * 86400, _Weighted(ACTIVE_STATUSES, (12, 38, 35, 15))),
                 (math.inf, _Weighted(ACTIVE_STATUSES, (5, 30, 40, 25))))  # fmt: skip
_languages: dict[tuple[str, ...], _Weighted] = {}


def _pick_language(rng: random.Random, queue_languages: list[str]) -> str:
    key = tuple(queue_languages)
    if key not in _languages:
        options = [lang for lang in LANGUAGE_WEIGHTS if not key or lang in key] or ["en"]
        _languages[key] = _Weighted(tuple(options), tuple(LANGUAGE_WEIGHTS[o] for o in options))
    return _languages[key](rng)


def _series_share(queue_languages: list[str], language: str, category: str) -> float:
    """The share of a queue's tickets in this language and category (as drawn here)."""
    options = [lang for lang in LANGUAGE_WEIGHTS if not queue_languages or lang in queue_languages]
    options = options or ["en"]
    if language not in options:
        return 0.0
    samples = SAMPLES[language]
    return (LANGUAGE_WEIGHTS[language] / sum(LANGUAGE_WEIGHTS[o] for o in options)
            * sum(1 for s in samples if s[2] == category) / len(samples))  # fmt: skip


def _drop_secondary_indexes(cursor: CursorWrapper, tables: list[str]) -> list[str]:
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.tablename = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary",
        [tables],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return [definition for _name, definition in rows]


def _drop_foreign_keys(cursor: CursorWrapper, tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of these tables: (table, name, definition) of each. Each row
    would queue a check per key (fifteen million events: most of a big seed's time); added
    back, a key is checked for all rows in one join."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
        [tables],
    )
    keys = cursor.fetchall()
    for table, name, _definition in keys:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return keys


def _text(texts: dict[str, list[str]] | dict[str, str], language: str, rng: random.Random) -> str:
    found = texts.get(language) or texts["en"]
    return found if isinstance(found, str) else rng.choice(found)


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


@dataclass
class _Cast:
    """Who works one ticket and what they have at hand."""

    agent: int | None  # who replies
    taker: int | None  # who assigns it (the agent, or a lead)
    language: str
    agent_created: bool
    first_reply_delay: float
    reply_channel: str
    macros: dict[str, list[Macro]]  # by the status they set
    placeholders: dict[str, str]  # what macro_render fills in


class _Story:
    """The steps of one ticket's life, as offsets in seconds from its creation."""

    def __init__(self, rng: random.Random, cast: _Cast) -> None:
        self.rng, self.cast = rng, cast
        self.steps: list[Step] = []

    @property
    def last(self) -> float:
        return self.steps[-1][0] if self.steps else 0.0

    def add(self, at: float, service: str, **kwargs: Any) -> None:
        self.steps.append((max(at, self.last), service, kwargs))

    def take(self, at: float) -> None:
        actor = self.cast.agent if self.cast.agent_created else self.cast.taker
        self.add(at, "assign", actor=actor, assignee=self.cast.agent)

    def note(self, at: float) -> None:
        self.add(at, "reply", actor=self.cast.agent, body=self.rng.choice(NOTES), internal=True)

    def agent_reply(self, at: float, status: str) -> None:
        rng, cast = self.rng, self.cast
        macros = cast.macros.get(status)
        if macros and rng.random() < MACRO_SHARE:
            macro = rng.choice(macros)
            body = macro.body
            for name, value in cast.placeholders.items():  # macro_render
                body = body.replace(name, value)
            self.add(at, "apply_macro", actor=cast.agent, name=macro.name, language=macro.language,
                     body=body, set_status=status, add_tags=list(macro.add_tags))  # fmt: skip
            return
        if status == "solved":
            body = _text(AGENT_REPLIES, cast.language, rng).format(action=rng.choice(ACTIONS))
        elif status == "pending":
            body = _text(AGENT_ASKS, cast.language, rng)
        else:
            body = _text(AGENT_UPDATES, cast.language, rng)
        self.add(at, "reply", actor=cast.agent, body=body, status=status)

    def requester(self, at: float, texts: dict[str, list[str]]) -> None:
        self.add(at, "requester_reply", body=_text(texts, self.cast.language, self.rng),
                 channel=self.cast.reply_channel)  # fmt: skip

    def solve(self, at: float) -> None:
        self.add(at, "change_status", actor=self.cast.agent, status="solved")

    def fit(self, span: float) -> list[Step]:
        """The steps, squeezed to end by ``span`` seconds if they would end later."""
        if not self.steps or self.last <= span:
            return self.steps
        scale = span / self.last
        return [(offset * scale, name, kwargs) for offset, name, kwargs in self.steps]


def _story_done(rng: random.Random, cast: _Cast) -> _Story:
    """A ticket that was solved: after none, one or several replies, maybe reopened."""
    story = _Story(rng, cast)
    t = cast.first_reply_delay
    story.take(rng.uniform(20, 240) if cast.agent_created else t * rng.uniform(0.3, 0.9))
    replies = PUBLIC_REPLIES(rng)
    if replies == 0:  # a duplicate or spam: noted and solved, nobody answers
        story.add(t, "reply", actor=cast.agent, body=rng.choice(NO_REPLY_NOTES), internal=True)
        story.solve(t + rng.uniform(5, 120))
        return story
    for k in range(1, replies + 1):
        last = k == replies
        status = "solved" if last else NEXT_STATUS(rng)
        if status == "on_hold" or rng.random() < 0.12:
            story.note(t - min(600.0, (t - story.last) / 2))
        story.agent_reply(t, status)
        if last:
            break
        if status == "on_hold":  # back from the specialists
            t += _lognormal(rng, ON_HOLD_MEDIAN, 0.8)
        elif status == "pending" and k == replies - 1 and rng.random() < 0.15:
            story.solve(t + _lognormal(rng, 48 * 3600, 0.4))  # no answer: solved anyway
            break
        else:
            t += _lognormal(rng, REQUESTER_ANSWER_MEDIAN, 1.2)
            story.requester(t, ANSWERS)
            t += _lognormal(rng, AGENT_NEXT_REPLY_MEDIAN, 1.0)
    if rng.random() < REOPEN_SHARE:
        # Before the auto-close: the requester writes again, and the ticket reopens.
        t = story.last + min(
            _lognormal(rng, 12 * 3600, 1.0), 0.9 * settings.TICKET_AUTO_CLOSE_HOURS * 3600
        )
        if rng.random() < 0.5:
            story.requester(t, AGAIN)
            story.agent_reply(t + _lognormal(rng, 2 * 3600, 1.0), "solved")
        else:
            story.requester(t, THANKS)
            story.solve(t + _lognormal(rng, 3600, 1.0))
    return story


def _story_active(rng: random.Random, cast: _Cast, status: str) -> _Story:
    """A ticket still being worked, ending in ``status``."""
    story = _Story(rng, cast)
    t = cast.first_reply_delay
    if status == "new":  # nobody has taken it yet
        if rng.random() < 0.25:
            story.requester(_lognormal(rng, 6 * 3600, 1.0), NUDGES)
        return story
    assigned = cast.agent_created or status != "open" or rng.random() < 0.8
    if assigned:
        story.take(rng.uniform(20, 240) if cast.agent_created else t * rng.uniform(0.3, 0.9))
    if status == "open":
        variant = OPEN_BECAUSE(rng)
        if variant == "waiting":
            if not assigned:
                story.take(t * rng.uniform(0.3, 0.9))
        elif variant == "working":
            story.agent_reply(t, "open")
        elif variant == "answered":
            story.agent_reply(t, "pending")
            story.requester(t + _lognormal(rng, REQUESTER_ANSWER_MEDIAN, 1.2), ANSWERS)
        else:
            story.agent_reply(t, "solved")
            story.requester(t + _lognormal(rng, 12 * 3600, 1.0), AGAIN)
    elif status == "pending":
        if rng.random() < 0.3:
            story.agent_reply(t, "pending")
            t += _lognormal(rng, REQUESTER_ANSWER_MEDIAN, 1.2)
            story.requester(t, ANSWERS)
            t += _lognormal(rng, AGENT_NEXT_REPLY_MEDIAN, 1.0)
        story.agent_reply(t, "pending")
    else:  # on hold: waiting on a specialist
        story.note(t - min(600.0, (t - story.last) / 2))
        story.agent_reply(t, "on_hold")
    return story


def _active_status(rng: random.Random, age: float) -> str:
    return next(pick for below, pick in ACTIVE_BY_AGE if age < below)(rng)


class _Seeder:
    """Everything one seeding run knows, and the life of each of its tickets."""

    def __init__(self, rng: random.Random, *, count: int, open_share: float, days: int,
                 spike: SpikeSpec | None, now: datetime) -> None:  # fmt: skip
        self.rng, self.now, self.spike = rng, now, spike
        self.queues = list(Queue.objects.filter(is_active=True).prefetch_related("teams", "vendors")
                           .order_by("id"))  # fmt: skip
        if not self.queues:
            raise ValueError("No queues: run seed_demo first (it creates them).")
        staff = list(User.objects.filter(is_active=True, role__in=["agent", "lead"])
                     .order_by("id")) or list(User.objects.filter(is_active=True, role="admin")
                                              .order_by("id"))  # fmt: skip
        workers = {q.pk: [u for u in staff if q.pk in visible_queue_ids(u)] for q in self.queues}
        self.leads = {
            q: [u.pk for u in people if u.role == "lead"] for q, people in workers.items()
        }
        # Agents answer in their languages when someone on the queue speaks the ticket's.
        self.agents: dict[tuple[int, str], list[int | None]] = {}
        for each in self.queues:
            for language in LANGUAGE_WEIGHTS:
                pool = workers[each.pk]
                speakers: list[int | None] = [u.pk for u in pool if language in (u.languages or [])]
                self.agents[each.pk, language] = speakers or [u.pk for u in pool] or [None]
        self.names: dict[int | None, str] = {None: "null"}
        self.short_names: dict[int | None, str] = {None: ""}
        for user in staff:
            self.names[user.pk] = copy_json(str(user))
            self.short_names[user.pk] = user.get_short_name()
        self.macros = [
            (m, {q.pk for q in m.queues.all()})
            for m in Macro.objects.filter(is_active=True, set_priority__isnull=True,
                                          set_queue__isnull=True,
                                          set_status__in=["pending", "on_hold", "solved"])
            .prefetch_related("queues").order_by("id")
        ]  # fmt: skip
        self.policies = Policies(sla.active_policies(), {q.pk: q for q in self.queues})
        for loaded in self.policies.policies:  # load calendars now: no query during a COPY
            self.policies.schedule(loaded)
        self.slugs = {q.pk: q.slug for q in self.queues}

        zones = [queue_time_zone(q.languages) for q in self.queues]
        self.zones = [ZoneInfo(z) for z in zones]
        model = ArrivalModel(rng, zones, days=days, now=now)
        base, self.spiked = count, 0
        shares = [0.0] * len(self.queues)
        if spike is not None:
            shares = [_series_share(q.languages, spike.language, spike.category)
                      for q in self.queues]  # fmt: skip
            for _round in range(5):  # the spike's size depends on the usual volume
                self.spiked = min(count, spike_size(spike, model, queue_shares=shares,
                                                    base_count=base))  # fmt: skip
                base = count - self.spiked
        arrivals = [(a.at, a.queue, False) for a in model.draw(rng, base)]
        if spike is not None and self.spiked:
            extra = spike_arrivals(rng, spike, model, queue_shares=shares, base_count=base)
            arrivals.extend((a.at, a.queue, True) for a in extra[: self.spiked])
        arrivals.sort(key=lambda a: a[0])
        self.arrivals = arrivals
        self.decay = backlog_decay([(now - at).total_seconds() for at, _q, _s in arrivals],
                                   open_share)  # fmt: skip
        self.spike_samples = ([s for s in SAMPLES.get(spike.language, [])
                               if s[2] == spike.category] if spike else [])  # fmt: skip
        self.sweep_phase = rng.uniform(0, SWEEP_EVERY)
        self.quiet = timedelta(hours=settings.TICKET_AUTO_CLOSE_HOURS)
        self.seen: set[str] = set()
        self.text_ids: dict[tuple[str, str], int] = {}
        self.usable: dict[tuple[int, str, tuple[str, ...]], dict[str, list[Macro]]] = {}
        self.requester_base = self.requester_count = 0
        self.high_profile: list[bool] = []

    def _sweep_delay(self) -> float:
        return self.rng.uniform(0.02, 0.6)

    def ticket(self, index: int, tid: int, rows: Rows) -> str:
        """Play ticket ``index``'s life into ``rows``; its own row, as a line of COPY text."""
        rng, now = self.rng, self.now
        created, q, in_spike = self.arrivals[index]
        queue = self.queues[q]
        if in_spike and self.spike is not None and self.spike_samples:
            language = self.spike.language
            subject, body, category, tags = rng.choice(self.spike_samples)
        else:
            language = _pick_language(rng, queue.languages)
            subject, body, category, tags = rng.choice(SAMPLES[language])
        age = (now - created).total_seconds()
        active = still_active(rng, age, self.decay)
        priority = PRIORITIES(rng)
        agent_created = rng.random() < AGENT_CREATED_SHARE
        if agent_created:
            channel = rng.choice(("web", "api"))
        else:
            channel = rng.choice(("email", "email", "web", "api", "chat"))
        requester_n = rng.randint(1, self.requester_count)
        requester_id = self.requester_base + requester_n
        agent = rng.choice(self.agents[queue.pk, language])
        leads = self.leads[queue.pk]
        taker = rng.choice(leads) if leads and rng.random() < 0.15 else agent
        night = created.astimezone(self.zones[q]).hour < 7
        delay = _lognormal(rng, FIRST_REPLY_MEDIAN[priority], 1.0)
        reference = _reference(rng, self.seen)
        cast = _Cast(
            agent=agent, taker=taker, language=language, agent_created=agent_created,
            first_reply_delay=delay * (NIGHT_SLOWDOWN if night else 1.0),
            reply_channel="web" if channel == "web" and rng.random() < 0.5 else "email",
            macros=self._macros(queue, language, tags),
            placeholders={
                "{requester_name}": f"Demo User {requester_id}",
                "{agent_name}": self.short_names[agent], "{ticket_reference}": reference,
                "{ticket_subject}": subject,
            },
        )  # fmt: skip
        if active:
            steps = _story_active(rng, cast, _active_status(rng, age)).fit(
                age * rng.uniform(0.5, 0.97))  # fmt: skip
        else:
            steps = _story_done(rng, cast).fit(age * rng.uniform(0.6, 0.95))
        life = Life(
            rows, self.policies, tid=tid, queue_id=queue.pk, queue_slug=self.slugs[queue.pk],
            requester_id=requester_id, priority=priority, channel=channel,
            high_profile=self.high_profile[requester_n], tags=tags, names=self.names,
            sweep_phase=self.sweep_phase, sweep_delay=self._sweep_delay,
        )  # fmt: skip
        life.create(created, actor=agent if agent_created else None, body=body)
        for offset, service, kwargs in steps:
            at = created + timedelta(seconds=offset)
            life.sweep(at)
            getattr(life, service)(at, **kwargs)
        if life.status == "solved" and life.solved_at is not None:
            # What beat's close_quiet_solved_tickets would have done by now.
            closes = life.solved_at + self.quiet + timedelta(
                seconds=rng.uniform(1, BEAT_CLOSE_EVERY))  # fmt: skip
            if closes <= now:
                life.sweep(closes)
                life.change_status(closes, actor=None, status="closed")
        sla_due, sla_warn, sla_paused, sla_breached = life.finish(now)
        n = life.moments.nullable
        texts = self._search_texts(config_for(language), subject, life.texts, rows)
        return (
            f"{tid}\t{reference}\t{copy_text(subject)}\t{requester_id}\t{queue.pk}\t"
            f"{life.status}\t{life.priority}\t{channel}\t{language}\t{copy_text(category)}\t"
            f"{{{','.join(life.tags)}}}\t{NULL if life.assignee is None else life.assignee}\t"
            f"{n(created)}\t{n(life.updated_at)}\t"
            f"{n(life.first_reply_at)}\t{n(life.solved_at)}\t{n(life.closed_at)}\t{n(sla_due)}\t"
            f"{n(sla_warn)}\t{'t' if sla_paused else 'f'}\t{'t' if sla_breached else 'f'}\t{{}}\t"
            f"{{{','.join(map(str, texts))}}}\n"
        )

    def _search_texts(self, config: str, subject: str, bodies: list[str],
                      rows: Rows) -> list[int]:  # fmt: skip
        """The ticket's search document as the services build it — the subject and first
        message, then each later message, each stemmed in the ticket's language and
        appended — named by the ids of texts stemmed once per seed (most repeat)."""
        ids = []
        for n, text in enumerate(bodies):
            key = (config, f"{subject}\n{text}" if n == 0 else text)
            found = self.text_ids.get(key)
            if found is None:
                found = self.text_ids[key] = len(self.text_ids) + 1
                rows.texts.append(f"{found}\t{config}\t{copy_text(key[1])}\n")
            ids.append(found)
        return ids

    def _macros(self, queue: Queue, language: str, tags: list[str]) -> dict[str, list[Macro]]:
        """Macros an agent would pick for this ticket, by the status they set: in its
        language, allowed in its queue, on its subject (a tag in common), setting neither a
        priority nor a queue."""
        key = (queue.pk, language, tuple(tags))
        if key not in self.usable:
            usable: dict[str, list[Macro]] = {}
            for macro, queue_ids in self.macros:
                if (macro.language == language and (not queue_ids or queue.pk in queue_ids)
                        and set(macro.add_tags) & set(tags)):  # fmt: skip
                    usable.setdefault(macro.set_status, []).append(macro)
            self.usable[key] = usable
        return self.usable[key]


# Scratch space for one seeding transaction: the tickets' rows before their search document
# is put together, and each text of a document stemmed once.
SEED_TABLES = (
    "DROP TABLE IF EXISTS pg_temp.seed_ticket, pg_temp.seed_text, pg_temp.seed_text_new",
    "CREATE TEMP TABLE seed_ticket (LIKE tickets_ticket INCLUDING DEFAULTS, search_texts int[]) "
    "ON COMMIT DROP",
    "CREATE TEMP TABLE seed_text (id int PRIMARY KEY, vec tsvector) ON COMMIT DROP",
    "CREATE TEMP TABLE seed_text_new (id int, config regconfig, body text) ON COMMIT DROP",
    "DROP AGGREGATE IF EXISTS pg_temp.tsvector_cat(tsvector)",
    # The services append each message's text to the document with ||.
    "CREATE AGGREGATE pg_temp.tsvector_cat(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, "
    "INITCOND = '')",
)
TICKET_COLUMNS = (
    "id", "reference", "subject", "requester_id", "queue_id", "status", "priority", "channel",
    "language", "category", "tags", "assignee_id", "created_at", "updated_at", "first_reply_at",
    "solved_at", "closed_at", "sla_due_at", "sla_warn_at", "sla_paused", "sla_breached",
    "metadata",
)  # fmt: skip


def seed_tickets(
    count: int,
    *,
    open_share: float = 0.1,
    seed: int | None = None,
    days: int = 365,
    spike: SpikeSpec | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    batch: int = 25_000,
) -> SeedStats:
    """Create ``count`` tickets across the demo queues, arriving over ``days`` days before
    ``now``, with their history; about ``open_share`` of them active (the youngest).
    ``spike``: some of them are a surge of one contact reason in one language just now."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    seeder = _Seeder(rng, count=count, open_share=open_share, days=days, spike=spike,
                     now=now or timezone.now())  # fmt: skip
    progress(f"arrivals over {days} days: {count} ({seeder.spiked} in the spike); the backlog "
             f"is the youngest (decay {seeder.decay / 86400:.1f} days)")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM tickets_ticket")
        seeder.seen.update(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_requester")
        seeder.requester_base = cursor.fetchone()[0]
    seeder.requester_count = requester_count = max(1, count // 3)
    big = count >= 50_000
    totals = SeedStats(tickets=0, messages=0, events=0, seconds=0.0, spike=seeder.spiked)
    tables = ["tickets_ticket", "tickets_message", "tickets_event", "tickets_slaclock"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        index_defs = _drop_secondary_indexes(cursor, tables) if big else []
        foreign_keys = _drop_foreign_keys(cursor, tables) if big else []
        progress(f"requesters: {requester_count}")
        with cursor.copy(
            "COPY tickets_requester (id, email, name, external_id, language, region, "
            "is_high_profile, created_at) FROM STDIN"
        ) as copy:
            regions = ["US", "MX", "BR", "ES", "FR", "DE", "EG", "SA", "JP", "RU", "GB", "IN"]
            seeder.high_profile = [rng.random() < 0.002 for _n in range(requester_count + 1)]
            for n in range(1, requester_count + 1):
                rid = seeder.requester_base + n
                copy.write_row((rid, f"user{rid}@example.net", f"Demo User {rid}", f"u-{rid}",
                                "", rng.choice(regions), seeder.high_profile[n],
                                seeder.now - timedelta(days=days + 35)))  # fmt: skip
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_requester', 'id'), %s)",
            [seeder.requester_base + requester_count],
        )
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")
        ticket_base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_message")
        next_message_id = cursor.fetchone()[0] + 1
        for statement in SEED_TABLES:
            cursor.execute(statement)
        writer = _Writer(connection.connection)
        writer.start()
        done = 0
        try:
            while done < count:
                size = min(batch, count - done)
                rows = Rows(next_message_id=next_message_id)
                lines = [seeder.ticket(i, ticket_base + i + 1, rows)
                         for i in range(done, done + size)]  # fmt: skip
                next_message_id = rows.next_message_id
                writer.put(lines, rows)
                done += size
                totals.tickets += size
                totals.messages += len(rows.messages)
                totals.events += len(rows.events)
                totals.clocks += len(rows.clocks)
                progress(f"tickets: {done}/{count} ({time.monotonic() - started:.0f}s)")
        finally:
            writer.finish()
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        if index_defs:
            # Django's foreign keys are deferred; their pending checks must fire before
            # CREATE INDEX may touch the tables in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            progress(f"rebuilding {len(index_defs)} indexes")
            for definition in index_defs:
                cursor.execute(definition)
        if foreign_keys:
            progress(f"checking {len(foreign_keys)} foreign keys")
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    # VACUUM sets the visibility map (index-only scans for counts); it cannot run
    # inside a transaction (as in tests), where ANALYZE alone does.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in ["tickets_requester", *tables]:
            cursor.execute(f"{command} {table}")
    totals.seconds = time.monotonic() - started
    return totals


class _Writer(threading.Thread):
    """Writes each batch of rows while the next is being played, so that the database and
    Python work at once (each takes about half of a big seed). It has the connection's
    psycopg connection to itself meanwhile: the seed makes no other query."""

    def __init__(self, raw: Any) -> None:
        super().__init__(name="seed-writer", daemon=True)
        self.raw = raw
        self.batches: queue.Queue[tuple[list[str], Rows] | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None

    def put(self, lines: list[str], rows: Rows) -> None:
        self._raise()
        self.batches.put((lines, rows))

    def finish(self) -> None:
        self.batches.put(None)
        self.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    self._write(*batch)
                except BaseException as exc:  # raised again in the seeding thread
                    self.error = exc

    def _write(self, lines: list[str], rows: Rows) -> None:
        columns = ", ".join(TICKET_COLUMNS)
        with self.raw.cursor() as cursor:
            _copy(cursor, "seed_text_new (id, config, body)", rows.texts)
            cursor.execute("INSERT INTO seed_text SELECT id, to_tsvector(config, body) "
                           "FROM seed_text_new")  # fmt: skip
            cursor.execute("TRUNCATE seed_text_new")
            _copy(cursor, f"seed_ticket ({columns}, search_texts)", lines)
            cursor.execute(
                f"INSERT INTO tickets_ticket ({columns}, search_vector) "  # noqa: S608
                f"SELECT {columns}, (SELECT pg_temp.tsvector_cat(t.vec ORDER BY u.n) "
                "FROM unnest(s.search_texts) WITH ORDINALITY AS u(id, n) "
                "JOIN seed_text t ON t.id = u.id) FROM seed_ticket s"
            )
            cursor.execute("TRUNCATE seed_ticket")
            _copy(cursor, f"tickets_message ({', '.join(MESSAGE_COLUMNS)})", rows.messages)
            _copy(cursor, f"tickets_event ({', '.join(EVENT_COLUMNS)})", rows.events)
            _copy(cursor, f"tickets_slaclock ({', '.join(CLOCK_COLUMNS)})", rows.clocks)


def _copy(cursor: Any, target: str, lines: list[str]) -> None:
    """COPY lines of text into ``target`` ("table (columns)"), a few megabytes at a time."""
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for start in range(0, len(lines), 20_000):
            copy.write("".join(lines[start : start + 20_000]))


def _reference(rng: random.Random, seen: set[str]) -> str:
    while True:
        ref = "".join(rng.choices(ALPHABET, k=10))
        if ref not in seen:
            seen.add(ref)
            return ref
