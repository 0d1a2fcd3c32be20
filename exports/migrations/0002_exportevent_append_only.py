from django.db import migrations

# The export audit trail is append-only: the database refuses to change or delete an event.
FORWARD = """
CREATE FUNCTION exports_exportevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'exports_exportevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER exports_exportevent_append_only
BEFORE UPDATE OR DELETE ON exports_exportevent
FOR EACH ROW EXECUTE FUNCTION exports_exportevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS exports_exportevent_append_only ON exports_exportevent;
DROP FUNCTION IF EXISTS exports_exportevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("exports", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
