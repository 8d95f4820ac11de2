"""The DCT-scaled decode floor: `djpeg -scale 1/8` per image (decode only, to /dev/null), speaking
bench/src/protocol.ts, with each djpeg's own CPU time from wait4 (microsecond resolution).

Usage: djpeg_floor.py PASSES WARMUP_PASSES FILE...
"""
import os
import sys
import time


def djpeg(path):
    pid = os.posix_spawnp("djpeg", ["djpeg", "-scale", "1/8", "-outfile", "/dev/null", path], os.environ)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"djpeg failed on {path}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def main():
    passes, warmup, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    for _ in range(warmup):
        for path in files:
            djpeg(path)
    print("ready", flush=True)
    sys.stdin.readline()
    lines = []
    cpu_total = 0.0
    start = time.time() * 1000
    for _ in range(passes):
        for path in files:
            t = time.perf_counter()
            cpu = djpeg(path)
            cpu_total += cpu
            lines.append(f"img {os.path.basename(path)} {(time.perf_counter() - t) * 1000:.3f} {cpu:.3f}")
    end = time.time() * 1000
    print(f"start {start:.3f}\n" + "\n".join(lines) + f"\ncpu {cpu_total:.1f}\nend {end:.3f}", flush=True)


if __name__ == "__main__":
    main()
