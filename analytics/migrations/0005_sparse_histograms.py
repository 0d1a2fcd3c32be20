# The rollups' histograms, sparse, for reads: each dense int[] of HIST_SIZE buckets
# (kept for the fold's merges) gets a generated column of its non-zero buckets only, each
# packed in one bigint as bucket × 10⁹ + (count + 5 × 10⁸) (bucket 1-based, as unnest's
# ordinality). A row holds a handful of durations, so a read unnests a few values a row
# instead of 150: the 365-day table by queue × language went from 650 ms to ~40 ms at
# 100k tickets (bench/analytics.py). PostgreSQL keeps the column with each write.

from django.db import migrations

# Only the histogram the pages read (analytics.metrics.TILE_HISTOGRAMS): each generated
# column costs every write of a rollup row (the backfill of 100k tickets took 667 s with
# four, against 400 s with none). Reads of the others pack them on the fly.
KINDS = ("first_reply",)
TABLES = ("analytics_hourlyrollup", "analytics_dailyrollup")

FUNCTION = """
CREATE OR REPLACE FUNCTION analytics_hist_sparse(h int[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(u.i * 1000000000 + (u.v + 500000000) ORDER BY u.i)
      FROM unnest(h) WITH ORDINALITY AS u (v, i) WHERE u.v <> 0
$$;
"""

FORWARD = FUNCTION + "".join(
    f"ALTER TABLE {table} "
    + ", ".join(
        f"ADD COLUMN {kind}_sparse bigint[] "
        f"GENERATED ALWAYS AS (analytics_hist_sparse({kind}_hist)) STORED"
        for kind in KINDS
    )
    + ";\n"
    for table in TABLES
)

BACKWARD = (
    "".join(
        f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN {kind}_sparse" for kind in KINDS) + ";\n"
        for table in TABLES
    )
    + "DROP FUNCTION IF EXISTS analytics_hist_sparse(int[]);\n"
)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_scheduled_reports")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
