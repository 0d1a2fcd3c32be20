from django.db import migrations

from core.config_cache import watch_tables_sql

# The quality audit is append-only: the database refuses to change or delete an event.
FORWARD = """
CREATE FUNCTION quality_qualityevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'quality_qualityevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER quality_qualityevent_append_only
BEFORE UPDATE OR DELETE ON quality_qualityevent
FOR EACH ROW EXECUTE FUNCTION quality_qualityevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS quality_qualityevent_append_only ON quality_qualityevent;
DROP FUNCTION IF EXISTS quality_qualityevent_append_only();
"""


class Migration(migrations.Migration):
    """The audit's guarantee, and the survey settings cached per process (core.config_cache)."""

    dependencies = [("quality", "0001_initial"), ("tickets", "0012_config_version")]

    operations = [
        migrations.RunSQL(FORWARD, REVERSE),
        migrations.RunSQL(*watch_tables_sql(["quality_surveysettings"])),
    ]
