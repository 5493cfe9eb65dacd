"""Draw the two app icons with the standard library only (no Pillow): a speech bubble that is also
a puzzle piece (a knob on its right side, a socket in its top edge) with three dots in it.

* ``color.png``: 192×192, the calm municipal violet (#7B3F98) behind a white bubble, violet dots.
* ``outline.png``: 32×32, transparent, the bubble as a 2-pixel white line and white dots; every
  pixel is either fully transparent or opaque white, as Teams asks of outline icons.

``python manifest/icons.py`` rewrites both files next to this script; the output is deterministic
(the tests compare it byte for byte with the committed icons). ``read_png`` decodes the PNGs this
module writes (8-bit RGBA, any filter), for the tests.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
VIOLET = (0x7B, 0x3F, 0x98)
WHITE = (0xFF, 0xFF, 0xFF)
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SUPERSAMPLE = 4

Shape = Callable[[float, float], bool]


# --- the motif, in unit coordinates (0..1, y downwards) -------------------------------------


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

    return inside


def _circle(cx: float, cy: float, r: float) -> Shape:
    return lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        d1, d2, d3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))

    return inside


_BODY = _rounded_rect(0.14, 0.24, 0.76, 0.68, 0.11)
_TAIL = _triangle((0.24, 0.62), (0.44, 0.62), (0.20, 0.84))
_KNOB = _circle(0.835, 0.46, 0.09)
_SOCKET = _circle(0.45, 0.265, 0.085)
_DOTS = [_circle(x, 0.47, 0.048) for x in (0.30, 0.45, 0.60)]


def bubble(x: float, y: float) -> bool:
    """The speech bubble with its puzzle knob and socket."""
    return (_BODY(x, y) or _TAIL(x, y) or _KNOB(x, y)) and not _SOCKET(x, y)


def dots(x: float, y: float) -> bool:
    return any(dot(x, y) for dot in _DOTS)


def coverage(shape: Shape, size: int) -> list[list[float]]:
    """The share (0..1) of each pixel inside ``shape``, from SUPERSAMPLE² samples per pixel."""
    n = SUPERSAMPLE
    step = 1.0 / (size * n)
    grid = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = 0
            for sy in range(n):
                y = (py * n + sy + 0.5) * step
                for sx in range(n):
                    hits += shape((px * n + sx + 0.5) * step, y)
            row.append(hits / (n * n))
        grid.append(row)
    return grid


# --- drawing ------------------------------------------------------------------------------


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return r, g, bl


def draw_color(size: int = COLOR_SIZE) -> list[list[tuple[int, int, int, int]]]:
    shape = coverage(bubble, size)
    spots = coverage(dots, size)
    pixels = []
    for row_shape, row_spots in zip(shape, spots, strict=True):
        row = []
        for s, d in zip(row_shape, row_spots, strict=True):
            rgb = _mix(_mix(VIOLET, WHITE, s), VIOLET, d)
            row.append((*rgb, 255))
        pixels.append(row)
    return pixels


def draw_outline(
    size: int = OUTLINE_SIZE, stroke: int = 2
) -> list[list[tuple[int, int, int, int]]]:
    """The bubble's edge as a white line; the puzzle knob and the dots drawn solid."""

    def body(x: float, y: float) -> bool:
        return (_BODY(x, y) or _TAIL(x, y)) and not _SOCKET(x, y)

    inside = [[c >= 0.5 for c in row] for row in coverage(body, size)]
    solid = [
        [c >= 0.5 for c in row] for row in coverage(lambda x, y: dots(x, y) or _KNOB(x, y), size)
    ]

    def interior(x: int, y: int) -> bool:
        """Inside the bubble and at least ``stroke`` pixels from its edge."""
        for dy in range(-stroke, stroke + 1):
            for dx in range(-stroke, stroke + 1):
                if abs(dx) + abs(dy) > stroke:
                    continue
                nx, ny = x + dx, y + dy
                if not (0 <= nx < size and 0 <= ny < size and inside[ny][nx]):
                    return False
        return True

    pixels = []
    for y in range(size):
        row = []
        for x in range(size):
            on = (inside[y][x] and not interior(x, y)) or solid[y][x]
            row.append((*WHITE, 255 if on else 0))
        pixels.append(row)
    return pixels


# --- PNG ----------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """8-bit RGBA, no interlace, filter 0 on every row: small enough and always deterministic."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int, int]]]]:
    """Decode an 8-bit RGBA (colour type 6) or RGB (type 2) PNG: (width, height, rows of RGBA)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if (
            zlib.crc32(kind + body)
            != struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        ):
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            corner = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 0xFF
            elif kind != 0:
                raise ValueError(f"bad filter {kind}")
        rows.append(line)
        prev = line
    pixels = [
        [
            (*row[x * bpp : x * bpp + 3], row[x * bpp + 3] if bpp == 4 else 255)  # type: ignore[misc]
            for x in range(width)
        ]
        for row in rows
    ]
    return width, height, pixels


def render() -> dict[str, bytes]:
    return {"color.png": encode_png(draw_color()), "outline.png": encode_png(draw_outline())}


def main(folder: Path = HERE) -> None:
    for name, data in render().items():
        (folder / name).write_bytes(data)
        print(f"wrote {folder / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
