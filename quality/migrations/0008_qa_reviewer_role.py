"""The QA reviewer becomes an added role (accounts.roles): its holders are the members of
the group "qa_reviewer". The active reviewers move into the group, then the table goes."""

from django.db import migrations

GROUP = "qa_reviewer"


def to_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Reviewer = apps.get_model("quality", "Reviewer")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.user_set.add(*Reviewer.objects.filter(is_active=True).values_list("user_id", flat=True))


def from_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Reviewer = apps.get_model("quality", "Reviewer")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        Reviewer.objects.bulk_create(
            [Reviewer(user_id=pk) for pk in group.user_set.values_list("pk", flat=True)]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("quality", "0007_decision_surveys"),
    ]

    operations = [
        migrations.RunPython(to_group, from_group),
        migrations.DeleteModel(name="Reviewer"),
    ]
