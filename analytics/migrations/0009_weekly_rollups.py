# Weekly rollups (analytics.models.WeeklyRollup): the first-reply histogram kept sparse
# as on the other rollups (0005), and the weeks filled from the daily rows already
# there (a week is the sum of its days, histograms bucket by bucket), so reads may use
# them at once without a backfill.

import django.contrib.postgres.fields
from django.db import migrations, models

SPARSE = """
ALTER TABLE analytics_weeklyrollup ADD COLUMN first_reply_sparse bigint[]
    GENERATED ALWAYS AS (analytics_hist_sparse(first_reply_hist)) STORED;
CREATE AGGREGATE analytics_hist_sum(int[]) (SFUNC = analytics_hist_add, STYPE = int[]);
"""
UNSPARSE = """
DROP AGGREGATE IF EXISTS analytics_hist_sum(int[]);
ALTER TABLE analytics_weeklyrollup DROP COLUMN first_reply_sparse;
"""


def fill_weeks(apps, schema_editor):  # type: ignore[no-untyped-def]
    weekly = apps.get_model("analytics", "WeeklyRollup")
    keys = {"id", "zone", "day", "queue_id", "dim", "value"}
    columns = [field.column for field in weekly._meta.concrete_fields if field.column not in keys]
    sums = [f"analytics_hist_sum({c})" if c.endswith("_hist") else f"sum({c})" for c in columns]
    into = ", ".join(["zone", "day", "queue_id", "dim", "value", *columns])
    picked = ", ".join(["zone", "date_trunc('week', day)::date", "queue_id", "dim", "value", *sums])
    # The model's own columns, no input:
    sql = f"INSERT INTO analytics_weeklyrollup ({into}) SELECT {picked} FROM analytics_dailyrollup"  # noqa: S608
    sql += " GROUP BY 1, 2, 3, 4, 5"
    # No fold meanwhile (0x616E616C: analytics.fold's lock): a fold between the read and
    # the commit would be in the days and missing from the weeks. Workers still running
    # the code before this migration fold into days only until they restart: restart them
    # with the migration, as every upgrade should (the daily check, check_weeks in
    # analytics.fold, rebuilds the last three weeks from their days where they differ).
    schema_editor.execute("SELECT pg_advisory_xact_lock(1634623852)")
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0008_open_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="WeeklyRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("queue_id", models.BigIntegerField(blank=True, null=True)),
                ("dim", models.CharField(blank=True, max_length=12)),
                ("value", models.CharField(blank=True, max_length=96)),
                ("created", models.BigIntegerField(default=0)),
                ("solved", models.BigIntegerField(default=0)),
                ("reopened", models.BigIntegerField(default=0)),
                ("open", models.BigIntegerField(default=0)),
                ("reopened_7d", models.BigIntegerField(default=0)),
                ("replies", models.BigIntegerField(default=0)),
                ("one_touch", models.BigIntegerField(default=0)),
                ("escalated", models.BigIntegerField(default=0)),
                ("incident_linked", models.BigIntegerField(default=0)),
                ("sla_met_first_reply", models.BigIntegerField(default=0)),
                ("sla_breached_first_reply", models.BigIntegerField(default=0)),
                ("sla_met_next_reply", models.BigIntegerField(default=0)),
                ("sla_breached_next_reply", models.BigIntegerField(default=0)),
                ("sla_met_resolution", models.BigIntegerField(default=0)),
                ("sla_breached_resolution", models.BigIntegerField(default=0)),
                ("csat_sent", models.BigIntegerField(default=0)),
                ("replies_per_solved_n", models.BigIntegerField(default=0)),
                ("replies_per_solved_sum", models.FloatField(default=0)),
                ("csat_n", models.BigIntegerField(default=0)),
                ("csat_sum", models.FloatField(default=0)),
                ("qa_n", models.BigIntegerField(default=0)),
                ("qa_sum", models.FloatField(default=0)),
                ("first_reply_n", models.BigIntegerField(default=0)),
                ("first_reply_sum", models.FloatField(default=0)),
                (
                    "first_reply_hist",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), blank=True, null=True, size=None
                    ),
                ),
                ("first_reply_business_n", models.BigIntegerField(default=0)),
                ("first_reply_business_sum", models.FloatField(default=0)),
                (
                    "first_reply_business_hist",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), blank=True, null=True, size=None
                    ),
                ),
                ("resolution_n", models.BigIntegerField(default=0)),
                ("resolution_sum", models.FloatField(default=0)),
                (
                    "resolution_hist",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), blank=True, null=True, size=None
                    ),
                ),
                ("wait_n", models.BigIntegerField(default=0)),
                ("wait_sum", models.FloatField(default=0)),
                (
                    "wait_hist",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), blank=True, null=True, size=None
                    ),
                ),
                ("zone", models.CharField(max_length=64)),
                ("day", models.DateField()),
            ],
            options={
                "verbose_name": "weekly rollup",
                "verbose_name_plural": "weekly rollups",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("zone", "dim", "day", "queue_id", "value"),
                        name="analytics_weekly_key",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunSQL(SPARSE, UNSPARSE),
        migrations.RunPython(fill_weeks, migrations.RunPython.noop),
    ]
