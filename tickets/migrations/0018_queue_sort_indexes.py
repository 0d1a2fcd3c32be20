# The queue's sorts other than urgency (newest, oldest, recently updated), each read in
# index order on every active view: all active tickets, one queue's, unassigned workable.
# And pending tickets in urgency order (paused clocks put them after every other active
# ticket in ticket_active_urgency_idx).

from django.db import migrations, models
from django.db.models.functions import Coalesce

import tickets.models

ACTIVE = models.Q(("status__in", ("new", "open", "pending", "on_hold")))
UNASSIGNED = models.Q(("assignee__isnull", True), ("status__in", ("new", "open")))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_ticket_sla_breached"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                Coalesce("sla_due_at", tickets.models._Infinity()),
                models.F("priority"),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(("status", "pending")),
                name="ticket_pending_urgency_idx",
            ),
        ),
        *(
            migrations.AddIndex(
                model_name="ticket",
                index=models.Index(condition=condition, fields=fields, name=name),
            )
            for name, fields, condition in [
                ("ticket_active_created_idx", ["created_at", "id"], ACTIVE),
                ("ticket_queue_created_idx", ["queue", "created_at", "id"], ACTIVE),
                ("ticket_unassigned_created_idx", ["created_at", "id"], UNASSIGNED),
                ("ticket_active_updated_idx", ["updated_at", "id"], ACTIVE),
                ("ticket_queue_updated_idx", ["queue", "updated_at", "id"], ACTIVE),
                ("ticket_unassigned_updated_idx", ["updated_at", "id"], UNASSIGNED),
            ]
        ),
    ]
