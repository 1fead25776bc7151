#!/usr/bin/env python3
"""Reads a PNG (8-bit RGB or RGBA, as browsers write screenshots) with the standard library and
prints: WIDTH HEIGHT DISTINCT_COLOURS PIXELS_OF_COLOUR for the colour given as RRGGBB.

Usage: png_check.py FILE RRGGBB
"""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, width, height, colour_type = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour_type not in (2, 6):
                raise SystemExit(f"{path}: only 8-bit RGB(A) is read here")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    at = 0
    for _ in range(height):
        kind = raw[at]
        line = bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        previous = line
    return width, height, channels, rows


def main():
    path, colour = sys.argv[1], bytes.fromhex(sys.argv[2])
    width, height, channels, rows = pixels(path)
    seen = set()
    matching = 0
    for line in rows:
        for x in range(0, len(line), channels):
            rgb = bytes(line[x:x + 3])
            seen.add(rgb)
            matching += rgb == colour
    print(width, height, len(seen), matching)


main()
