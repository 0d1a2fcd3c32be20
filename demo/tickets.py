"""Realistic demo and benchmark tickets, written fast with COPY.

``seed_demo --tickets N`` uses this. It writes rows directly (not through the
services) because a million tickets through the ORM would take hours; it
writes what the services would write: tickets with their search document, a
conversation of 1–4 messages, the "created" audit event, and for active
tickets the SLA clocks of the policy they match, with due times worked out on
the policy's calendar. Warnings and breaches already past are marked as fired
(as if the sweep had run), but without their audit events and notifications.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts.models import User
from tickets.events import EventKind
from tickets.models import Queue, SLAClock, SLAPolicy
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
AGENT_REPLIES = {
    "en": "Thanks for reaching out. I've looked into this and {action}. Reply here if anything else comes up.",
    "es": "Gracias por escribirnos. Lo he revisado y {action}. Responde aquí si necesitas algo más.",
}
ACTIONS = ["issued the refund", "restored access to your account", "removed the reported profile",
           "escalated it to our specialists", "reset your two-factor settings"]  # fmt: skip
FOLLOW_UPS = ["Thank you, that worked!", "It still doesn't work, same error.",
              "Any update on this?", "Thanks for the quick help."]  # fmt: skip
NOTES = ["Checked payment logs: duplicate charge confirmed.", "Requester verified via email.",
         "Possible fraud ring; see linked tickets.", "Following the account-recovery SOP."]  # fmt: skip
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class SeedStats:
    tickets: int
    messages: int
    events: int
    seconds: float
    clocks: int = 0


def _reference(seen: set[str]) -> str:
    while True:
        ref = "".join(secrets.choice(ALPHABET) for _ in range(10))
        if ref not in seen:
            seen.add(ref)
            return ref


def _pick_language(rng: random.Random, queue_languages: list[str]) -> str:
    options = [lang for lang in LANGUAGE_WEIGHTS if not queue_languages or lang in queue_languages]
    options = options or ["en"]
    return rng.choices(options, weights=[LANGUAGE_WEIGHTS[o] for o in options])[0]


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


CLOCK_COLUMNS = (
    "ticket_id", "policy_id", "metric", "state", "target_seconds", "warn_seconds",
    "started_at", "running_since", "used_seconds", "due_at", "warn_at", "next_check_at",
    "warned_at", "breached_at",
)  # fmt: skip


def _clocks(
    tid: int, policy: SLAPolicy, priority: int, status: str, created: datetime,
    first_reply: datetime | None, now: datetime,
) -> list[tuple]:  # fmt: skip
    """The SLA clock rows of one active ticket, as the services would have left them."""
    schedule = sla.schedule_for(policy.calendar)  # cached: no query inside the COPY
    rows: list[tuple] = []
    for metric in ("first_reply", "resolution") if first_reply is None else ("resolution",):
        target = sla.target_seconds(policy, priority, metric)
        if target is None:
            continue
        warn = sla.warn_seconds(policy, target)
        if status in ("pending", "on_hold"):
            paused_at = first_reply or created + (now - created) / 2
            used = schedule.between(created, paused_at)
            rows.append((tid, policy.pk, metric, "paused", target, warn, created, None, used,
                         None, None, None, None, None))  # fmt: skip
            continue
        clock = SLAClock(target_seconds=target, warn_seconds=warn, running_since=created,
                         used_seconds=0.0, state=SLAClock.State.RUNNING)  # fmt: skip
        sla.clock_arm(clock, schedule)
        # What the sweep would have recorded by now (without its events).
        clock.warned_at = clock.warn_at if clock.warn_at and clock.warn_at <= now else None
        clock.breached_at = clock.due_at if clock.due_at and clock.due_at <= now else None
        rows.append((tid, policy.pk, metric, "running", target, warn, created, created, 0.0,
                     clock.due_at, clock.warn_at, sla.clock_next_check(clock), clock.warned_at,
                     clock.breached_at))  # fmt: skip
    return rows


def seed_tickets(
    count: int,
    *,
    open_share: float = 0.1,
    seed: int | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    batch: int = 50_000,
) -> SeedStats:
    """Create ``count`` tickets across the demo queues; about ``open_share`` of them active."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    queues = list(Queue.objects.filter(is_active=True).prefetch_related("teams", "vendors"))
    if not queues:
        raise ValueError("No queues: run seed_demo first (it creates them).")
    agents = list(User.objects.filter(is_active=True, role__in=["agent", "lead"]))
    agents_by_queue: dict[int, list[User | None]] = {
        queue.pk: [agent for agent in agents if queue.pk in visible_queue_ids(agent)] or [None]
        for queue in queues
    }
    now = timezone.now()
    policies = sla.active_policies()
    for loaded in policies:  # load calendars now; no query may run during a COPY
        sla.schedule_for(loaded.calendar)
    seen: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM tickets_ticket")
        seen.update(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_requester")
        requester_base = cursor.fetchone()[0]
    requester_count = max(1, count // 3)
    big = count >= 50_000
    totals = SeedStats(tickets=0, messages=0, events=0, seconds=0.0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        index_defs = (
            _drop_secondary_indexes(
                cursor, ["tickets_ticket", "tickets_message", "tickets_event", "tickets_slaclock"]
            )
            if big
            else []
        )
        progress(f"requesters: {requester_count}")
        with cursor.copy(
            "COPY tickets_requester (id, email, name, external_id, language, region, "
            "is_high_profile, created_at) FROM STDIN"
        ) as copy:
            regions = ["US", "MX", "BR", "ES", "FR", "DE", "EG", "SA", "JP", "RU", "GB", "IN"]
            high_profile = [rng.random() < 0.002 for _n in range(requester_count + 1)]
            for n in range(1, requester_count + 1):
                rid = requester_base + n
                copy.write_row((rid, f"user{rid}@example.net", f"Demo User {rid}", f"u-{rid}",
                                "", rng.choice(regions), high_profile[n],
                                now - timedelta(days=400)))  # fmt: skip
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_requester', 'id'), %s)",
            [requester_base + requester_count],
        )
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")
        ticket_base = cursor.fetchone()[0]
        cursor.execute("DROP TABLE IF EXISTS pg_temp.seed_ticket")
        cursor.execute(
            "CREATE TEMP TABLE seed_ticket (LIKE tickets_ticket INCLUDING DEFAULTS, "
            "search_config regconfig, search_text text) ON COMMIT DROP"
        )
        done = 0
        while done < count:
            size = min(batch, count - done)
            messages: list[tuple] = []
            events: list[tuple] = []
            clocks: list[tuple] = []
            with cursor.copy(
                "COPY seed_ticket (id, reference, subject, requester_id, queue_id, status, "
                "priority, channel, language, category, tags, assignee_id, created_at, updated_at, "
                "first_reply_at, solved_at, closed_at, sla_due_at, sla_warn_at, sla_paused, metadata, "
                "search_config, search_text) FROM STDIN"
            ) as copy:
                for i in range(size):
                    tid = ticket_base + done + i + 1
                    queue = rng.choice(queues)
                    language = _pick_language(rng, queue.languages)
                    subject, body, category, tags = rng.choice(SAMPLES[language])
                    active = rng.random() < open_share
                    priority = rng.choices([1, 2, 3, 4], weights=[3, 12, 70, 15])[0]
                    if active:
                        status = rng.choices(["new", "open", "pending", "on_hold"],
                                             weights=[25, 40, 25, 10])[0]  # fmt: skip
                        created = now - timedelta(minutes=rng.randint(1, 4 * 24 * 60))
                    else:
                        status = rng.choices(["solved", "closed"], weights=[15, 85])[0]
                        created = now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
                    assignee = None
                    if status != "new" and (not active or rng.random() < 0.6):
                        agent = rng.choice(agents_by_queue[queue.pk])
                        assignee = agent.pk if agent else None
                    replied = status not in ("new",) and rng.random() < 0.9
                    first_reply = (
                        created + timedelta(minutes=rng.randint(5, 600)) if replied else None
                    )
                    solved = created + timedelta(hours=rng.randint(1, 72)) if not active else None
                    if (
                        status == "solved"
                        and solved
                        and solved < now - timedelta(hours=settings.TICKET_AUTO_CLOSE_HOURS)
                    ):
                        status = "closed"  # what the auto-close would have done by now
                    closed = solved + timedelta(days=4) if status == "closed" and solved else None
                    requester_n = rng.randint(1, requester_count)
                    requester_id = requester_base + requester_n
                    channel = rng.choice(["email", "email", "web", "api", "chat"])
                    sla_due = sla_warn = None
                    sla_paused = False
                    policy = sla.sla_policy_for(SimpleNamespace(  # type: ignore[arg-type]
                        priority=priority, channel=channel, queue_id=queue.pk, queue=queue,
                        requester=SimpleNamespace(is_high_profile=high_profile[requester_n]),
                    ), policies) if active else None  # fmt: skip
                    if policy is not None:
                        rows = _clocks(tid, policy, priority, status, created, first_reply, now)
                        clocks.extend(rows)
                        running = sorted((r[9], r[10]) for r in rows if r[3] == "running")
                        sla_due, sla_warn = running[0] if running else (None, None)
                        sla_paused = bool(rows) and not running
                    texts = [subject, body]
                    at = created
                    messages.append((tid, "public", "requester", None, body, "email", at))
                    if replied and first_reply:
                        reply = AGENT_REPLIES.get(language, AGENT_REPLIES["en"]).format(
                            action=rng.choice(ACTIONS))  # fmt: skip
                        messages.append(
                            (tid, "public", "agent", assignee, reply, "email", first_reply)
                        )
                        texts.append(reply)
                        if rng.random() < 0.3:
                            note = rng.choice(NOTES)
                            messages.append((tid, "internal", "agent", assignee, note, "web",
                                             first_reply + timedelta(minutes=1)))  # fmt: skip
                            texts.append(note)
                        if rng.random() < 0.4:
                            follow = rng.choice(FOLLOW_UPS)
                            messages.append((tid, "public", "requester", None, follow, "email",
                                             first_reply + timedelta(hours=2)))  # fmt: skip
                            texts.append(follow)
                    events.append((tid, None, EventKind.CREATED.value, "{}",
                                   f'{{"queue": "{queue.slug}", "priority": {priority}}}', created))  # fmt: skip
                    updated = max(m[-1] for m in messages[-4:] if m[0] == tid)
                    copy.write_row((
                        tid, _reference(seen), subject, requester_id, queue.pk, status, priority,
                        channel, language, category,
                        "{" + ",".join(tags) + "}", assignee, created, closed or solved or updated,
                        first_reply, solved, closed, sla_due, sla_warn, sla_paused, "{}",
                        config_for(language),
                        "\n".join(texts),
                    ))  # fmt: skip
            cursor.execute(
                "INSERT INTO tickets_ticket (id, reference, subject, requester_id, queue_id, status,"
                " priority, channel, language, category, tags, assignee_id, created_at, updated_at,"
                " first_reply_at, solved_at, closed_at, sla_due_at, sla_warn_at, sla_paused, metadata,"
                " search_vector) "
                "SELECT id, reference, subject, requester_id, queue_id, status, priority, channel,"
                " language, category, tags, assignee_id, created_at, updated_at, first_reply_at,"
                " solved_at, closed_at, sla_due_at, sla_warn_at, sla_paused, metadata,"
                " to_tsvector(search_config, search_text)"
                " FROM seed_ticket"
            )
            cursor.execute("TRUNCATE seed_ticket")
            with cursor.copy(
                "COPY tickets_message (ticket_id, kind, author_type, author_id, body, channel, "
                "created_at, body_html, channel_message_id) FROM STDIN"
            ) as copy:
                for row in messages:
                    copy.write_row((*row, "", ""))
            with cursor.copy(
                "COPY tickets_event (ticket_id, actor_id, kind, before, after, created_at) FROM STDIN"
            ) as copy:
                for row in events:
                    copy.write_row(row)
            with cursor.copy(
                f"COPY tickets_slaclock ({', '.join(CLOCK_COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in clocks:
                    copy.write_row(row)
            done += size
            totals.clocks += len(clocks)
            totals.tickets += size
            totals.messages += len(messages)
            totals.events += len(events)
            progress(f"tickets: {done}/{count} ({time.monotonic() - started:.0f}s)")
        for table in ("tickets_ticket", "tickets_message", "tickets_event", "tickets_slaclock"):
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
    # VACUUM sets the visibility map (index-only scans for counts); it cannot run
    # inside a transaction (as in tests), where ANALYZE alone does.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in (
            "tickets_requester",
            "tickets_ticket",
            "tickets_message",
            "tickets_event",
            "tickets_slaclock",
        ):
            cursor.execute(f"{command} {table}")
    totals.seconds = time.monotonic() - started
    return totals
