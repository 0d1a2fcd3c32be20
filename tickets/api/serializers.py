"""Shapes of the API's input and output. Serializers validate and shape; views call services."""

from rest_framework import serializers

from tickets.models import Channel, Message, Priority, Queue, Requester, Status, Ticket


class QueueOut(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "slug", "languages", "default_priority"]


class RequesterOut(serializers.ModelSerializer):
    class Meta:
        model = Requester
        fields = ["id", "email", "name", "external_id", "language", "region", "is_high_profile"]


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")


class TicketOut(serializers.ModelSerializer):
    queue = QueueOut()
    requester = RequesterOut()
    assignee = PersonOut(allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "reference", "subject", "status", "priority", "channel", "language", "category",
            "tags", "queue", "requester", "assignee", "created_at", "updated_at",
            "first_reply_at", "solved_at", "closed_at", "sla_due_at", "metadata",
        ]  # fmt: skip


class MessageOut(serializers.ModelSerializer):
    author = PersonOut(allow_null=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "author_type", "author", "body", "body_html", "channel",
                  "created_at"]  # fmt: skip


class RequesterIn(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=128)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    region = serializers.CharField(required=False, allow_blank=True, max_length=8)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("email") and not attrs.get("external_id"):
            raise serializers.ValidationError("Give the requester's email or external_id.")
        return attrs


class TicketCreateIn(serializers.Serializer):
    subject = serializers.CharField(max_length=250)
    body = serializers.CharField(max_length=100_000)
    queue = serializers.IntegerField(min_value=1)
    requester = RequesterIn()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    category = serializers.CharField(required=False, allow_blank=True, max_length=64)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                 max_length=30)  # fmt: skip
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    metadata = serializers.DictField(required=False)


class TicketUpdateIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    queue = serializers.IntegerField(min_value=1, required=False)
    assignee = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                 max_length=30)  # fmt: skip


class MessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    internal = serializers.BooleanField(default=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)


class TicketListQuery(serializers.Serializer):
    view = serializers.ChoiceField(choices=["mine", "unassigned", "pending", "all", "solved",
                                            "queue"], default="all")  # fmt: skip
    queue = serializers.IntegerField(min_value=1, required=False)
    status = serializers.MultipleChoiceField(choices=Status.choices, required=False)
    priority = serializers.MultipleChoiceField(choices=Priority.choices, required=False)
    language = serializers.CharField(max_length=16, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    tag = serializers.CharField(max_length=64, required=False)
    assignee = serializers.RegexField(r"^(me|none|\d{1,12})$", required=False)
    cursor = serializers.CharField(max_length=500, required=False)
    q = serializers.CharField(max_length=200, required=False)
