#!/usr/bin/env python
"""Protected previews (safety.derivatives): the time to make one from a 12-megapixel
file (issue target: ≤ 300 ms per image on 2 cores). No database: the rendering alone,
from bytes in memory, as the task does after reading the file.

The inputs are --count photo-like 4000×3000 images (smooth gradients, shapes and noise,
so they compress like photographs, not like flat colour), as JPEG (quality 90, some with
an EXIF orientation) and as PNG. Prints p50/p95/mean per format in one process, then the
throughput with two processes working at once (the 2-core box: a worker per core)."""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

# Run as a script, its folder comes first on the path, and bench/queue.py would hide the
# standard library's queue (which multiprocessing needs): ProcessPoolExecutor is imported
# after this.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.common import percentiles  # noqa: E402

WIDTH, HEIGHT = 4000, 3000


def photo(seed: int, fmt: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    image = Image.merge("RGB", (base, base.rotate(90).resize((WIDTH, HEIGHT)), base))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        r = rng.randrange(40, 600)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    noise = Image.effect_noise((WIDTH, HEIGHT), 40).convert("RGB")
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x0112] = 6 if seed % 2 else 1
        image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    else:
        image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def render(data: bytes) -> float:
    from safety import derivatives

    started = time.perf_counter()
    derivatives.render_image(io.BytesIO(data))
    return (time.perf_counter() - started) * 1000


def main() -> None:
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=6, help="images per format")
    parser.add_argument("--rounds", type=int, default=5, help="renders of each image")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings_test")
    import django

    django.setup()
    print(f"cores: {os.cpu_count()}, images: {args.count} per format, {WIDTH}×{HEIGHT}")
    for fmt in ("JPEG", "PNG"):
        inputs = [photo(seed, fmt) for seed in range(args.count)]
        size = sum(map(len, inputs)) / len(inputs) / 1e6
        render(inputs[0])  # warm-up: imports, codec set-up
        samples = [render(data) for _ in range(args.rounds) for data in inputs]
        figures = percentiles(samples)
        print(f"{fmt:4} ({size:.1f} MB each) one process: p50 {figures['p50']:.0f} ms, "
              f"p95 {figures['p95']:.0f} ms, mean {figures['mean']:.0f} ms, "
              f"n={len(samples)}")  # fmt: skip
        work = inputs * args.rounds
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(render, inputs[:2]))  # warm both workers
            started = time.perf_counter()
            times = list(pool.map(render, work))
            wall = time.perf_counter() - started
        both = percentiles(times)
        print(f"{fmt:4} two processes at once: p50 {both['p50']:.0f} ms, p95 {both['p95']:.0f} "
              f"ms per image, {len(work) / wall:.1f} images/s")  # fmt: skip


if __name__ == "__main__":
    main()
