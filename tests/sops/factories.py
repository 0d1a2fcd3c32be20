"""SOPs for tests, written through the SOP services like real ones."""

from __future__ import annotations

import itertools

from accounts.models import User
from sops import services
from sops.models import SOP, SOPVersion

_seq = itertools.count(1)


def draft(admin: User, *, title: str | None = None, body: str = "1. Do the thing.",
          steps: tuple[str, ...] = ("Check", "Act"), **fields) -> SOPVersion:  # type: ignore[no-untyped-def]  # fmt: skip
    return services.sop_create(actor=admin, title=title or f"SOP {next(_seq)}", body=body,
                               steps=list(steps), **fields)  # fmt: skip


def published(admin: User, **fields) -> SOP:  # type: ignore[no-untyped-def]
    version = draft(admin, **fields)
    services.sop_version_submit(actor=admin, version=version)
    services.sop_version_publish(actor=admin, version=version)
    return SOP.objects.get(pk=version.sop_id)


def new_version(admin: User, sop: SOP, *, body: str, steps: tuple[str, ...] = ("Check", "Act"),
                summary: str = "Changed", publish: bool = True) -> SOPVersion:  # fmt: skip
    version = services.sop_draft_start(actor=admin, sop=sop)
    version = services.sop_draft_save(
        actor=admin, version=version, expected_revision=version.revision, body=body,
        steps=list(steps), macros=[], change_summary=summary, effective_on=None,
        requires_acknowledgement=True,
    )  # fmt: skip
    if publish:
        services.sop_version_submit(actor=admin, version=version)
        version = services.sop_version_publish(actor=admin, version=version)
    return version
