"""Before SLA clocks existed, ``sla_due_at`` held only demo stand-in values. Tickets that
have no live clock carry no SLA target: clear what is left of the stand-ins, so the queue
does not show them as overdue forever."""

from django.db import migrations


def clear_stand_ins(apps, schema_editor):  # type: ignore[no-untyped-def]
    Ticket = apps.get_model("tickets", "Ticket")
    SLAClock = apps.get_model("tickets", "SLAClock")
    live = SLAClock.objects.filter(state__in=["running", "paused"]).values("ticket_id")
    Ticket.objects.filter(sla_due_at__isnull=False).exclude(pk__in=live).update(
        sla_due_at=None, sla_warn_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_notification_enqueued_at")]

    operations = [migrations.RunPython(clear_stand_ins, migrations.RunPython.noop)]
