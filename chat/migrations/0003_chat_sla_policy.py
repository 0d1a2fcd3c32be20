from django.db import migrations

from chat import defaults


def seed_sla(apps, schema_editor):
    defaults.seed_sla(apps.get_model("tickets", "Queue"), apps.get_model("tickets", "SLAPolicy"),
                      apps.get_model("tickets", "SLATarget"))  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_statuses_queue"), ("tickets", "0021_sla_target_seconds")]

    operations = [migrations.RunPython(seed_sla, migrations.RunPython.noop)]
