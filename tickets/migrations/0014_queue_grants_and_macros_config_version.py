from django.db import migrations

from core.config_cache import watch_tables_sql

# Who may see which queue (the queue's team and vendor grants) and the macros are read
# on every agent page and cached per process (core.config_cache).
WATCHED = ["tickets_queue_teams", "tickets_queue_vendors", "tickets_macro", "tickets_macro_queues"]


class Migration(migrations.Migration):
    dependencies = [("tickets", "0013_email_routing_config_version")]

    operations = [migrations.RunSQL(*watch_tables_sql(WATCHED))]
