from django.db import migrations

from core.config_cache import watch_tables_sql


class Migration(migrations.Migration):
    """Escalation reasons are cached per process too (see core.config_cache)."""

    dependencies = [
        ("escalations", "0002_board_closed_index"),
        ("tickets", "0012_config_version"),
    ]

    operations = [migrations.RunSQL(*watch_tables_sql(["escalations_escalationreason"]))]
