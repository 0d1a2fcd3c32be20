from typing import ClassVar

from django.contrib.auth.models import User
from django.db import models


class Profile(models.Model):
    """What a test gives a user beyond Django's fields: a display name and extra claims."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="idp_profile")
    name = models.CharField(max_length=200, blank=True)
    claims = models.JSONField(default=dict, blank=True)

    # Spelt out: mypy's Django plugin reads the helpdesk's settings, where this app is not.
    objects: ClassVar[models.Manager["Profile"]] = models.Manager()

    def __str__(self) -> str:
        return self.name or self.user.username
