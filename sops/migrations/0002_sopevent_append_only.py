from django.db import migrations

# The SOP audit trail is append-only: the database refuses to change or delete an event.
FORWARD = """
CREATE FUNCTION sops_sopevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sops_sopevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sops_sopevent_append_only
BEFORE UPDATE OR DELETE ON sops_sopevent
FOR EACH ROW EXECUTE FUNCTION sops_sopevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS sops_sopevent_append_only ON sops_sopevent;
DROP FUNCTION IF EXISTS sops_sopevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("sops", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
