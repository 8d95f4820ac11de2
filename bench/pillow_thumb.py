"""Pillow reference worker: the previous Python implementation's thumbnail step, speaking bench/src/protocol.ts.

Usage: pillow_thumb.py PASSES WARMUP_PASSES FILE...
Image.thumbnail() uses JPEG draft mode (DCT scaling) by itself; like the old service, no EXIF transpose and no
CMYK conversion, and an animated GIF keeps only its first frame.
"""
import io
import os
import sys
import time

from PIL import Image


def thumbnail(path):
    with Image.open(path) as im:
        fmt = im.format
        im.thumbnail((100, 100))
        out = io.BytesIO()
        im.save(out, format=fmt)
        return out.getvalue()


def main():
    passes, warmup, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    for _ in range(warmup):
        for path in files:
            thumbnail(path)
    print("ready", flush=True)
    sys.stdin.readline()
    lines = []
    start = time.time() * 1000
    cpu = time.process_time()
    for _ in range(passes):
        for path in files:
            t, c = time.perf_counter(), time.process_time()
            thumbnail(path)
            wall, cpu_ms = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            lines.append(f"img {os.path.basename(path)} {wall:.3f} {cpu_ms:.3f}")
    cpu_ms = (time.process_time() - cpu) * 1000
    end = time.time() * 1000
    print(f"start {start:.3f}\n" + "\n".join(lines) + f"\ncpu {cpu_ms:.1f}\nend {end:.3f}", flush=True)


if __name__ == "__main__":
    main()
