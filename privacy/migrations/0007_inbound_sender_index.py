from django.db import migrations

# Erasure finds the raw mail a person sent by its sender (privacy.erasure._raw_emails): an
# index of the lower-cased From address, owned by this app. tickets_inboundemail has no
# other index on it, and raw mail is kept for years.
FORWARD = """
CREATE INDEX IF NOT EXISTS privacy_inbound_sender_idx ON tickets_inboundemail
    (lower(from_address));
"""
REVERSE = "DROP INDEX IF EXISTS privacy_inbound_sender_idx;"


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_retention")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
