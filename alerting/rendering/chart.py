"""A small trend chart as a PNG (for the email's inline image) and a text sparkline.

Drawn with numpy and encoded with zlib: no plotting library, nothing fetched at run time.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_BARS = "▁▂▃▄▅▆▇█"
_VALUE = (31, 78, 121)  # dark blue
_TARGET = (150, 150, 150)
_LAST = (192, 0, 0)
_LIMIT = (230, 140, 30)  # SPC process limits
_MEAN = (90, 90, 90)
_SPECIAL = (240, 120, 0)  # SPC special-cause points
_BACKGROUND = (255, 255, 255)


def sparkline(values: Sequence[float | None]) -> str:
    """▁▃▅▇ style line; a missing value is a space."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            index = 0 if span == 0 else round((v - low) / span * (len(_BARS) - 1))
            out.append(_BARS[index])
    return "".join(out)


def trend_png(values: Sequence[float | None], targets: Sequence[float | None] = (), *,
              limits: tuple[float, float, float] | None = None,
              flagged: Sequence[bool] = (), width: int = 240,
              height: int = 64) -> bytes | None:
    """A line chart of the values (and the target as a grey line); None without two values.

    For an SPC chart, `limits` (lower limit, mean, upper limit) are drawn as dotted lines and
    the `flagged` points (special causes) are marked in orange."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return None
    known_targets = [t for t in targets if t is not None]
    everything = [v for _, v in points] + known_targets + list(limits or ())
    low, high = min(everything), max(everything)
    if math.isclose(low, high):
        low, high = low - 1, high + 1
    pad = 6
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(index: int, value: float) -> tuple[int, int]:
        y = height - pad - (value - low) / (high - low) * (height - 2 * pad)
        return round(pad + index * step), round(y)

    target_points = [(i, t) for i, t in enumerate(targets) if t is not None]
    for (i0, t0), (i1, t1) in itertools.pairwise(target_points):
        _line(image, xy(i0, t0), xy(i1, t1), _TARGET, dashed=True)
    if limits is not None:
        last = max(len(values) - 1, 1)
        for level, colour in zip(limits, (_LIMIT, _MEAN, _LIMIT), strict=True):
            _line(image, xy(0, level), xy(last, level), colour, dashed=True)
    for (i0, v0), (i1, v1) in itertools.pairwise(points):
        _line(image, xy(i0, v0), xy(i1, v1), _VALUE)
    for i, v in points:
        if i < len(flagged) and flagged[i]:
            x, y = xy(i, v)
            image[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = _SPECIAL
    last_x, last_y = xy(*points[-1])
    image[max(last_y - 2, 0):last_y + 3, max(last_x - 2, 0):last_x + 3] = _LAST
    return _png(image)


def _line(image: npt.NDArray[np.uint8], start: tuple[int, int], end: tuple[int, int],
          colour: tuple[int, int, int], *, dashed: bool = False) -> None:
    (x0, y0), (x1, y1) = start, end
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    height, width = image.shape[:2]
    for s in range(steps + 1):
        if dashed and (s // 4) % 2:
            continue
        x = round(x0 + (x1 - x0) * s / steps)
        y = round(y0 + (y1 - y0) * s / steps)
        image[max(y - 1, 0):min(y + 1, height), max(x - 1, 0):min(x + 1, width)] = colour


def _png(image: npt.NDArray[np.uint8]) -> bytes:
    height, width = image.shape[:2]
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
