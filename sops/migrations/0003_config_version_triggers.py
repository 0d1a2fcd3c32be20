from django.db import migrations

# The published SOPs, their steps and links are cached per process for the ticket
# page's panel (tickets.config_cache); any write to these tables moves the version.
WATCHED = ["sops_sop", "sops_sopversion", "sops_sopstep", "sops_sop_queues", "sops_sop_vendors",
           "sops_sopversion_macros"]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("sops", "0002_sopevent_append_only"),
        ("tickets", "0012_config_version"),
    ]

    operations = [
        migrations.RunSQL(
            [
                f"CREATE TRIGGER {table}_config_changed AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION tickets_config_changed()"
                for table in WATCHED
            ],
            [f"DROP TRIGGER IF EXISTS {table}_config_changed ON {table}" for table in WATCHED],
        ),
    ]
