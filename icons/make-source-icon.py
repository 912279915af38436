#!/usr/bin/env python3
"""Draws icons/source.png (1024x1024): a court-red rounded square with white scales.

Pure standard library so it runs anywhere; `npx tauri icon icons/source.png -o icons`
turns it into every size and format the bundles need.
"""
import struct
import sys
import zlib

N = 1024
RED = (138, 28, 28, 255)
WHITE = (250, 247, 242, 255)
CLEAR = (0, 0, 0, 0)


def inside_rounded_square(x, y, r=200, m=40):
    lo, hi = m, N - m
    if not (lo <= x < hi and lo <= y < hi):
        return False
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def scales(x, y):
    if 497 <= x <= 527 and 250 <= y <= 760:  # pillar
        return True
    if 300 <= x <= 724 and 280 <= y <= 306:  # beam
        return True
    if 392 <= x <= 632 and 740 <= y <= 780:  # base
        return True
    if (x - 512) ** 2 + (y - 240) ** 2 <= 30 ** 2:  # finial
        return True
    for px in (322, 702):  # pans: strings as a triangle outline, bowl as a half disc
        if 480 <= y <= 560 and (x - px) ** 2 + (y - 480) ** 2 <= 95 ** 2 and y >= 480:
            return True
        if 306 <= y <= 480:
            t = (y - 306) / (480 - 306)
            for sx in (px - 95 * t, px + 95 * t):
                if abs(x - sx) <= 7:
                    return True
    return False


def pixel(x, y):
    if not inside_rounded_square(x, y):
        return CLEAR
    return WHITE if scales(x, y) else RED


def png(path):
    rows = bytearray()
    for y in range(N):
        rows.append(0)
        for x in range(N):
            rows.extend(pixel(x, y))
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(rows), 9)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    png(sys.argv[1] if len(sys.argv) > 1 else "icons/source.png")
