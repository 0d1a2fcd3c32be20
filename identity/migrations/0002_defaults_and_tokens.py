"""The role policies' defaults (a second factor for admins and leads), and each API
token of the old one-per-person kind (rest_framework.authtoken) as a named read-and-write
token with the same key, which keeps working; the old rows are deleted."""

import hashlib

from django.db import migrations

DEFAULTS = [
    ("admin", True, 30, 12),
    ("lead", True, 60, 12),
    ("agent", False, 120, 12),
]


def forwards(apps, schema_editor):
    RolePolicy = apps.get_model("identity", "RolePolicy")
    for role, required, idle, lifetime in DEFAULTS:
        RolePolicy.objects.get_or_create(
            role=role,
            defaults={
                "require_second_factor": required,
                "idle_minutes": idle,
                "lifetime_hours": lifetime,
            },
        )
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("identity", "ApiToken")
    for token in Token.objects.all():
        ApiToken.objects.create(
            user_id=token.user_id,
            name="API token",
            prefix=token.key[:8],
            digest=hashlib.sha256(token.key.encode()).hexdigest(),
            scope="write",
            created_at=token.created,
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
