from django.db import migrations

from chat import defaults
from core.config_cache import watch_tables_sql

# The record of agents' statuses is append-only: reports of handled time read it.
AUDIT = """
CREATE FUNCTION chat_statuschange_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('helpdesk.erasure', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'chat_statuschange is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER chat_statuschange_append_only
BEFORE UPDATE OR DELETE ON chat_statuschange
FOR EACH ROW EXECUTE FUNCTION chat_statuschange_append_only();
"""
AUDIT_REVERSE = """
DROP TRIGGER IF EXISTS chat_statuschange_append_only ON chat_statuschange;
DROP FUNCTION IF EXISTS chat_statuschange_append_only();
"""

# Read per process (core.config_cache) on every status change and offer.
WATCHED = ["chat_agentstatus"]


def seed(apps, schema_editor):
    defaults.seed(apps.get_model("chat", "AgentStatus"), apps.get_model("tickets", "Queue"))


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("tickets", "0012_config_version")]

    operations = [
        migrations.RunSQL(AUDIT, AUDIT_REVERSE),
        migrations.RunSQL(*watch_tables_sql(WATCHED)),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
