"""Protected previews: small, greyscale, turned upright, blurred past recognition; a
video's first frame; no preview for other files; and a real Celery worker makes them
when a file arrives."""

import io
import statistics
from fractions import Fraction

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from safety import derivatives
from safety.models import Derivative
from tests import processes
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Attachment


def checkerboard(width: int, height: int, square: int = 40) -> Image.Image:
    """Sharp black and white squares: after the blur only grey remains."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for y in range(0, height, square):
        for x in range((y // square) % 2 * square, width, square * 2):
            draw.rectangle([x, y, x + square - 1, y + square - 1], fill="black")
    return image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def spread(data: bytes) -> float:
    with Image.open(io.BytesIO(data)) as image:
        return statistics.pstdev(image.get_flattened_data())


def test_a_12_megapixel_jpeg_becomes_a_small_grey_blur():
    data = encoded(checkerboard(4000, 3000), "JPEG", quality=90)
    rendered = derivatives.render_image(io.BytesIO(data))
    assert (rendered.width, rendered.height) == (640, 480)
    with Image.open(io.BytesIO(rendered.data)) as image:
        assert image.format == "JPEG" and image.mode == "L"
    # The squares (pixel values 0 and 255, a spread of ~127) are gone: near-uniform grey.
    assert spread(rendered.data) < 10


def test_a_greyscale_copy_keeps_the_shapes_the_blur_takes_away():
    data = encoded(checkerboard(1200, 900, square=150), "JPEG", quality=90)
    rendered = derivatives.render_image(io.BytesIO(data))
    with Image.open(io.BytesIO(rendered.grey)) as grey:
        assert grey.mode == "L" and grey.size == (rendered.width, rendered.height)
    assert spread(rendered.grey) > 100 and spread(rendered.data) < 40


def test_a_png_with_large_shapes_loses_them_too():
    data = encoded(checkerboard(1200, 900, square=150), "PNG")
    rendered = derivatives.render_image(io.BytesIO(data))
    assert max(rendered.width, rendered.height) == 640
    assert spread(rendered.data) < 40
    with Image.open(io.BytesIO(data)) as original:
        assert statistics.pstdev(original.convert("L").get_flattened_data()) > 120


def test_exif_orientation_turns_the_preview_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown rotated 90°
    data = encoded(checkerboard(800, 600), "JPEG", exif=exif.tobytes())
    rendered = derivatives.render_image(io.BytesIO(data))
    assert (rendered.width, rendered.height) == (480, 640)


def _video() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 320, 240
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 10)
        for n in range(5):
            frame = av.VideoFrame.from_image(checkerboard(320, 240, square=20 + n))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_a_video_gets_a_blurred_poster_frame():
    rendered = derivatives.render_video(io.BytesIO(_video()))
    assert (rendered.width, rendered.height) == (320, 240)
    assert spread(rendered.data) < 40


@pytest.fixture
def message(desk):
    return tf.ticket(desk["queues"]["inhouse"]).messages.get()


def _attach(message, name: str, data: bytes, content_type: str) -> Attachment:  # type: ignore[no-untyped-def]
    item = Attachment(message=message, filename=name, content_type=content_type, size=len(data))
    item.file.save(name, SimpleUploadedFile(name, data), save=False)
    item.save()
    return item


@pytest.mark.django_db
def test_kinds_of_file_and_their_states(message):
    image = _attach(message, "a.png", encoded(checkerboard(300, 200), "PNG"), "image/png")
    video = _attach(message, "v.mp4", _video(), "video/mp4")
    pdf = _attach(message, "r.pdf", b"%PDF-1.4 nothing", "application/pdf")
    broken = _attach(message, "b.jpg", b"\xff\xd8\xff not really", "image/jpeg")
    svg = _attach(message, "s.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    made = {item.pk: derivatives.make(item) for item in (image, video, pdf, broken, svg)}
    assert made[image.pk].state == Derivative.State.READY
    assert (made[image.pk].width, made[image.pk].height) == (300, 200)
    assert made[image.pk].made_in_ms is not None and made[image.pk].file.name.endswith(".jpg")
    assert made[video.pk].state == Derivative.State.READY
    assert made[pdf.pk].state == Derivative.State.NONE
    assert made[svg.pk].state == Derivative.State.NONE
    assert made[broken.pk].state == Derivative.State.FAILED
    # Made once: a second delivery keeps the first.
    first = made[image.pk].file.name
    assert derivatives.make(image).file.name == first


@pytest.mark.django_db
def test_pending_rows_for_a_message_only_once(message):
    item = _attach(message, "a.png", encoded(checkerboard(300, 200), "PNG"), "image/png")
    assert derivatives.pending_for(message_id=message.pk) == [item.pk]
    assert Derivative.objects.get(attachment=item).state == Derivative.State.PENDING
    assert derivatives.pending_for(ticket_id=message.ticket_id) == []


@pytest.fixture
def files(tmp_path, settings):
    """The test and its worker share one storage on disk (tests/exports' worker settings
    put the default storage at TEST_EXPORTS_ROOT)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return {
        "TEST_EXPORTS_ROOT": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.exports.tasks.worker_settings",
    }


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_preview_of_a_file_in_an_agents_reply(desk, files):
    from safety import taxonomy

    taxonomy.ensure_defaults()
    ticket = tf.ticket(desk["queues"]["inhouse"])
    upload = SimpleUploadedFile("photo.jpg", encoded(checkerboard(1600, 1200), "JPEG"))
    worker = processes.start_worker("safety-derivatives", env=files)
    try:
        services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket,
                              body="Here it is", files=[upload])  # fmt: skip
        item = Attachment.objects.get(message__ticket=ticket)

        def ready() -> bool:
            return Derivative.objects.filter(attachment=item, state=Derivative.State.READY).exists()

        assert processes.wait_for(ready, timeout=60, interval=0.1)
    finally:
        processes.stop(worker)
    made = Derivative.objects.get(attachment=item)
    assert (made.width, made.height) == (640, 480)
    with made.file.open("rb") as stream:
        assert spread(stream.read()) < 10
