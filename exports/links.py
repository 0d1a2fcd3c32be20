"""Signed download links: a job's id and its owner's, signed and timestamped
(``django.core.signing``), valid for the export's lifetime (EXPORT_EXPIRY_HOURS). The
download view also wants the owner signed in, so a forwarded link opens for nobody else."""

from __future__ import annotations

import binascii
import json
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from exports.models import ExportJob

_SALT = "exports.download"


@dataclass(frozen=True)
class Link:
    job_id: int
    owner_id: int
    fresh: bool  # False once older than the export's lifetime


def token(job: ExportJob) -> str:
    return signing.dumps({"j": job.pk, "o": job.owner_id}, salt=_SALT)


def url(job: ExportJob) -> str:
    return reverse("exports:download", args=[token(job)])


def read(value: str) -> Link | None:
    """The link's job and owner, and whether it is still within its lifetime; None for
    anything this site did not sign. Never raises."""
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        payload = signer.unsign_object(value)
    except (signing.BadSignature, binascii.Error, json.JSONDecodeError, ValueError, TypeError,
            zlib.error):  # fmt: skip
        return None
    if not isinstance(payload, dict):
        return None
    job_id, owner_id = payload.get("j"), payload.get("o")
    if not (type(job_id) is int and type(owner_id) is int):
        return None
    try:
        signer.unsign_object(value, max_age=settings.EXPORT_EXPIRY_HOURS * 3600)
    except signing.SignatureExpired:
        return Link(job_id, owner_id, fresh=False)
    return Link(job_id, owner_id, fresh=True)
