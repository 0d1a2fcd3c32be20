from django.db import migrations

# Mailboxes, routing rules and queues (a queue's name is the From of its mail) are read
# for every inbound and outbound email and cached per process (tickets.config_cache).
WATCHED = ["tickets_mailbox", "tickets_emailroute", "tickets_queue"]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_config_version")]

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
