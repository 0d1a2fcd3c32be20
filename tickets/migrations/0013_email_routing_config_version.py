from django.db import migrations

from core.config_cache import watch_tables_sql

# Mailboxes, routing rules and queues (a queue's name is the From of its mail) are read
# for every inbound and outbound email and cached per process (core.config_cache).
WATCHED = ["tickets_mailbox", "tickets_emailroute", "tickets_queue"]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_config_version")]

    operations = [migrations.RunSQL(*watch_tables_sql(WATCHED))]
