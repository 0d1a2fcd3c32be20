"""The protected version of a file: a small blurred greyscale JPEG of an image, or of a
video's first frame (PyAV, with its own FFmpeg), made by a task when the file arrives.

An image is decoded reduced (JPEG's DCT scaling through ``Image.draft``, then
``thumbnail``'s reduce) to at most ``MAX_SIDE`` pixels, turned as its EXIF orientation
says, made greyscale and blurred with a radius of a twentieth of its longer side: shapes
and colours stay, faces, text and detail do not. A greyscale copy without the blur is
kept beside it for people whose protection level is "Greyscale". Anything else (a PDF,
an SVG, a file that does not decode) gets no preview: state NONE or FAILED, and the
reveal path still shows the original on request."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageFilter

from safety.models import Derivative
from tickets.models import Attachment

logger = logging.getLogger(__name__)

MAX_SIDE = 640
# A file bigger than this is not decoded for a preview (state NONE): the reveal path
# still shows it.
MAX_IMAGE_PIXELS = 60_000_000
# Vector and animated formats a browser would run or that Pillow cannot reduce safely.
_NOT_PREVIEWED = {"image/svg+xml"}


class NoPreview(Exception):
    """The file is of a kind that gets no preview (not an error)."""


@dataclass(frozen=True)
class Rendered:
    data: bytes  # blurred and greyscale
    width: int
    height: int
    grey: bytes = b""  # greyscale only (the "Greyscale" protection level)


def kind_of(content_type: str) -> str:
    """ "image", "video" or "file" (an exposure's kind, and what the preview shows)."""
    if content_type.startswith("image/") and content_type not in _NOT_PREVIEWED:
        return "image"
    if content_type.startswith("video/"):
        return "video"
    return "file"


# EXIF orientation → the turn that shows the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def protect(image: Image.Image) -> Rendered:
    """A decoded image of any size: reduced to at most MAX_SIDE, upright, greyscale,
    blurred."""
    orientation = image.getexif().get(0x0112)
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    factor = max(image.size) // MAX_SIDE
    if factor >= 2:
        # Box-average by a whole factor first: a third of thumbnail()'s time on 12 MP.
        image = image.reduce(factor)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    grey = image.convert("L")
    radius = max(grey.size) / 20
    blurred = grey.filter(ImageFilter.GaussianBlur(radius))
    out, grey_out = io.BytesIO(), io.BytesIO()
    blurred.save(out, "JPEG", quality=70, optimize=False)
    grey.save(grey_out, "JPEG", quality=70, optimize=False)
    return Rendered(out.getvalue(), blurred.width, blurred.height, grey_out.getvalue())


def render_image(stream: IO[bytes]) -> Rendered:
    with Image.open(stream) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise NoPreview(f"{image.width}x{image.height} is too large to preview")
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 straight from the DCT: most of the time saved.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
        return protect(image)


def render_video(stream: IO[bytes]) -> Rendered:
    """The first decodable frame of a video, protected."""
    import av  # PyAV: imported here, only workers making a video's poster need it

    with av.open(stream, "r") as container:
        if not container.streams.video:
            raise NoPreview("no video stream")
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        for frame in container.decode(video):
            return protect(frame.to_image())
    raise NoPreview("no frame could be decoded")


def make(attachment: Attachment) -> Derivative:
    """Make (or remake) one attachment's derivative; never raises for a bad file."""
    derivative, _created = Derivative.objects.get_or_create(attachment=attachment)
    if derivative.state == Derivative.State.READY:
        return derivative
    kind = kind_of(attachment.content_type)
    if kind == "file":
        derivative.state = Derivative.State.NONE
        derivative.save(update_fields=["state"])
        return derivative
    started = time.perf_counter()
    try:
        with attachment.file.open("rb") as stream:
            rendered = render_image(stream) if kind == "image" else render_video(stream)
    except NoPreview as reason:
        logger.info("No preview for attachment %s: %s", attachment.pk, reason)
        derivative.state = Derivative.State.NONE
        derivative.save(update_fields=["state"])
        return derivative
    except Exception:  # a file that does not decode is the sender's, not our error
        logger.warning("Attachment %s could not be previewed", attachment.pk, exc_info=True)
        derivative.state = Derivative.State.FAILED
        derivative.save(update_fields=["state"])
        return derivative
    derivative.file.save(f"{attachment.pk}.jpg", ContentFile(rendered.data), save=False)
    if rendered.grey:
        derivative.grey_file.save(f"{attachment.pk}-grey.jpg", ContentFile(rendered.grey),
                                  save=False)  # fmt: skip
    derivative.width, derivative.height = rendered.width, rendered.height
    derivative.made_in_ms = round((time.perf_counter() - started) * 1000)
    derivative.state = Derivative.State.READY
    derivative.save(update_fields=["file", "grey_file", "width", "height", "made_in_ms", "state"])
    return derivative


def make_many(attachment_ids: Iterable[int]) -> dict[str, int]:
    """Each attachment's derivative, unless it is already READY; counts by state."""
    made: dict[str, int] = {}
    for attachment in Attachment.objects.filter(pk__in=list(attachment_ids)).order_by("id"):
        state = make(attachment).state
        made[state] = made.get(state, 0) + 1
    return made


def pending_for(*, ticket_id: int | None = None, message_id: int | None = None,
                attachment_id: int | None = None) -> list[int]:  # fmt: skip
    """Mark the attachments of a ticket (or one message, or one file) that have no
    derivative yet as PENDING, and return their ids (for the task)."""
    attachments = Attachment.objects.filter(safety_derivative__isnull=True)
    if attachment_id is not None:
        attachments = attachments.filter(pk=attachment_id)
    elif message_id is not None:
        attachments = attachments.filter(message_id=message_id)
    elif ticket_id is not None:
        attachments = attachments.filter(message__ticket_id=ticket_id)
    else:
        return []
    ids = list(attachments.values_list("pk", flat=True)[:200])
    if ids:
        with transaction.atomic():
            Derivative.objects.bulk_create(
                [Derivative(attachment_id=pk) for pk in ids], ignore_conflicts=True
            )
    return ids
