"""Cache invalidation that must follow any write, the admin's included."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tickets import selectors
from tickets.models import EmailRoute, Mailbox, Queue


@receiver([post_save, post_delete], sender=Mailbox)
@receiver([post_save, post_delete], sender=EmailRoute)
@receiver([post_save, post_delete], sender=Queue)
def _email_routing_changed(**_kwargs: object) -> None:
    # Now, and again at commit: a reader may refill the cache before the write commits.
    selectors.forget_email_routing()
    transaction.on_commit(selectors.forget_email_routing)
