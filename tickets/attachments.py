"""Accepting files: size limit, a safe file name, and a content type sniffed from the bytes."""

from __future__ import annotations

import os
import re
import unicodedata

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_FILES_PER_MESSAGE = 10
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


class AttachmentError(ValueError):
    pass


def safe_filename(name: str) -> str:
    """A name that is safe to show and to put in Content-Disposition: no paths, no controls."""
    name = unicodedata.normalize("NFKC", os.path.basename(name.replace("\\", "/")))
    name = _UNSAFE.sub("_", name).strip(" ._") or "attachment"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:120]}.{ext}"
    return name[:130]


def sniff_content_type(head: bytes) -> str:
    """What the bytes are, never what the sender claims; unknown binary is octet-stream."""
    guessed = filetype.guess_mime(head)
    if guessed:
        return guessed
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def check(upload: UploadedFile) -> tuple[str, str]:
    """(safe file name, sniffed content type), or AttachmentError saying what is wrong."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise AttachmentError(
            _("%(name)s is too large (%(size)d MB at most).")
            % {"name": upload.name, "size": limit // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    return safe_filename(upload.name or "attachment"), sniff_content_type(head)
