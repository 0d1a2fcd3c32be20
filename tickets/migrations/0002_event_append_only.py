from django.db import migrations

# The audit trail is append-only: the database itself refuses to change or
# delete an event row, whatever the code path (ORM, admin, raw SQL).
FORWARD = """
CREATE FUNCTION tickets_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tickets_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_event_append_only
BEFORE UPDATE OR DELETE ON tickets_event
FOR EACH ROW EXECUTE FUNCTION tickets_event_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS tickets_event_append_only ON tickets_event;
DROP FUNCTION IF EXISTS tickets_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
