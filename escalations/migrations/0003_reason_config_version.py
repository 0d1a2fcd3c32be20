from django.db import migrations


class Migration(migrations.Migration):
    """Escalation reasons are cached per process too (see tickets.config_cache)."""

    dependencies = [
        ("escalations", "0002_board_closed_index"),
        ("tickets", "0012_config_version"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER escalations_escalationreason_config_changed AFTER INSERT OR UPDATE "
            "OR DELETE OR TRUNCATE ON escalations_escalationreason FOR EACH STATEMENT "
            "EXECUTE FUNCTION tickets_config_changed()",
            "DROP TRIGGER IF EXISTS escalations_escalationreason_config_changed "
            "ON escalations_escalationreason",
        ),
    ]
