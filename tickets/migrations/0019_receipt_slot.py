"""One statement to take a sender's receipt lock and count their recent receipts.

Intake counts a sender's receipts before sending another (EMAIL_ACK_LIMIT), one sender
at a time: an advisory lock held to the end of the transaction, then the count. In a
VOLATILE PL/pgSQL function the count is a query of its own with a snapshot taken after
the lock was granted, so it sees every receipt committed by whoever held it; a single
SELECT doing both would count from a snapshot taken before waiting."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tickets_receipts_since(address text, since timestamptz,
                                                  kinds text[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ack:' || address));
    RETURN (SELECT count(*) FROM tickets_notification
             WHERE recipient = address AND kind = ANY(kinds) AND created_at >= since);
END
$$;
"""
BACKWARD = "DROP FUNCTION IF EXISTS tickets_receipts_since(text, timestamptz, text[]);"


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_queue_sort_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
