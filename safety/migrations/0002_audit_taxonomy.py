from django.db import migrations

from core.config_cache import watch_tables_sql
from safety import taxonomy

# The safety audit is append-only, with the same one privileged path as the tickets'
# timeline (privacy's erasure, which may null a deleted person's keys).
AUDIT = """
CREATE FUNCTION safety_safetyevent_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('helpdesk.erasure', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'safety_safetyevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER safety_safetyevent_append_only
BEFORE UPDATE OR DELETE ON safety_safetyevent
FOR EACH ROW EXECUTE FUNCTION safety_safetyevent_append_only();
"""
AUDIT_REVERSE = """
DROP TRIGGER IF EXISTS safety_safetyevent_append_only ON safety_safetyevent;
DROP FUNCTION IF EXISTS safety_safetyevent_append_only();
"""

# Cached per process (core.config_cache): the taxonomy and clearances decide who sees
# which queue on every request; protection and the word lists are read on every
# protected ticket page.
WATCHED = ["safety_harmcategory", "safety_clearance", "safety_protection", "safety_maskword"]


def seed(apps, schema_editor):
    taxonomy.seed(apps.get_model("tickets", "Queue"), apps.get_model("safety", "HarmCategory"),
                  apps.get_model("safety", "Protection"))  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial"), ("tickets", "0012_config_version")]

    operations = [
        migrations.RunSQL(AUDIT, AUDIT_REVERSE),
        migrations.RunSQL(*watch_tables_sql(WATCHED)),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
