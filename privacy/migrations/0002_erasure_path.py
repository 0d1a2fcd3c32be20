from django.db import migrations

# The one privileged path through the append-only audits: a transaction that has said
# SET LOCAL helpdesk.erasure = 'on' (only privacy.erasure does) may rewrite or delete the
# timeline of a ticket being erased and the quality audit of its reviews and ratings.
# Anything else is refused as before. The privacy audit itself is append-only, with no
# such path.
GUARDED = [
    ("tickets_event_append_only", "tickets_event"),
    ("quality_qualityevent_append_only", "quality_qualityevent"),
]

BODY = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF {escape} THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{table} is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
ESCAPE = "coalesce(current_setting('helpdesk.erasure', true), '') = 'on'"

FORWARD = (
    "".join(BODY.format(function=f, table=t, escape=ESCAPE) for f, t in GUARDED)
    + """
CREATE FUNCTION privacy_privacyevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'privacy_privacyevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER privacy_privacyevent_append_only
BEFORE UPDATE OR DELETE ON privacy_privacyevent
FOR EACH ROW EXECUTE FUNCTION privacy_privacyevent_append_only();
"""
)

REVERSE = (
    "".join(BODY.format(function=f, table=t, escape="false") for f, t in GUARDED)
    + """
DROP TRIGGER IF EXISTS privacy_privacyevent_append_only ON privacy_privacyevent;
DROP FUNCTION IF EXISTS privacy_privacyevent_append_only();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("tickets", "0002_event_append_only"),
        ("quality", "0002_audit_and_config_cache"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
