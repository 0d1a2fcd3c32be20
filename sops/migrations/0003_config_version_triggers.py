from django.db import migrations

from core.config_cache import watch_tables_sql

# The published SOPs, their steps and links are cached per process for the ticket
# page's panel (core.config_cache); any write to these tables moves the version.
WATCHED = ["sops_sop", "sops_sopversion", "sops_sopstep", "sops_sop_queues", "sops_sop_vendors",
           "sops_sopversion_macros"]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("sops", "0002_sopevent_append_only"),
        ("tickets", "0012_config_version"),
    ]

    operations = [migrations.RunSQL(*watch_tables_sql(WATCHED))]
