"""The backlog's index holds what the backlog reads (the slice's value, the queue, the
open count), so an index-only scan answers it (the table is visited only for pages
changed since the last vacuum); built concurrently, since the table is big."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("analytics", "0007_sparse_strict")]

    operations = [
        AddIndexConcurrently(
            model_name="hourlyrollup",
            index=models.Index(
                condition=models.Q(("open", 0), _negated=True),
                fields=["dim", "value", "hour"],
                include=["queue_id", "open"],
                name="analytics_hourly_open_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="hourlyrollup", name="analytics_hourly_backlog_idx"),
    ]
