# The rollups' histograms (analytics.measures): a dense int[] of HIST_SIZE buckets.
# analytics_hist_agg builds one from (bucket, signed count) pairs while folding facts;
# analytics_hist_add merges two when a fold meets an existing rollup row. Reads never
# merge arrays row by row: they sum each bucket with the built-in sum() (selectors).
#
# HIST_SIZE is written out (150) rather than imported: a migration must not change when
# the code does; tests/analytics/test_measures.py checks they agree.

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION analytics_hist_step(state int[], bucket smallint, n integer)
RETURNS int[] LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF bucket IS NULL OR n IS NULL THEN
        RETURN state;
    END IF;
    IF state IS NULL THEN
        state := array_fill(0, ARRAY[150]);
    END IF;
    state[bucket + 1] := state[bucket + 1] + n;
    RETURN state;
END
$$;

CREATE AGGREGATE analytics_hist_agg(smallint, integer) (
    SFUNC = analytics_hist_step,
    STYPE = int[]
);

CREATE OR REPLACE FUNCTION analytics_hist_add(a int[], b int[])
RETURNS int[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a IS NULL THEN b
        WHEN b IS NULL THEN a
        ELSE (SELECT array_agg(x + y ORDER BY i)
                FROM unnest(a, b) WITH ORDINALITY AS u (x, y, i))
    END
$$;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS analytics_hist_add(int[], int[]);
DROP AGGREGATE IF EXISTS analytics_hist_agg(smallint, integer);
DROP FUNCTION IF EXISTS analytics_hist_step(int[], smallint, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
