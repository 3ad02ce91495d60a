"""Reading a chart PNG as an image (Pillow): its size, whether anything is drawn, and bars counted by pixel.

Bars are drawn without anti-aliasing in exact palette colours (bot.charts.draw), so a pixel either is a bar's
colour or is not; lines, text and the grid never are.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable

from PIL import Image

RGB = tuple[int, int, int]


def rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _pixels(img: Image.Image) -> list[RGB]:
    width, height = img.size
    px = img.load()
    return [px[x, y] for y in range(height) for x in range(width)]


def ink_share(img: Image.Image) -> float:
    """The share of pixels that are not the white background."""
    pixels = _pixels(img)
    return sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)


def _runs(line: Iterable[RGB], colours: set[RGB]) -> int:
    runs, inside = 0, False
    for pixel in line:
        hit = pixel in colours
        if hit and not inside:
            runs += 1
        inside = hit
    return runs


def bars_across_rows(img: Image.Image, colours: Iterable[str]) -> int:
    """Vertical bars: the most common number of bar-coloured runs along a row, over the rows that cross any.

    A row through the bars crosses each once; the few rows a line or the legend crosses count otherwise.
    """
    wanted = {rgb(c) for c in colours}
    width, height = img.size
    px = img.load()
    counts = Counter(_runs((px[x, y] for x in range(width)), wanted) for y in range(height))
    counts.pop(0, None)
    return counts.most_common(1)[0][0] if counts else 0


def bars_across_columns(img: Image.Image, colours: Iterable[str]) -> int:
    """Horizontal bars: the most bar-coloured runs any column crosses (the one just beside the zero line)."""
    wanted = {rgb(c) for c in colours}
    width, height = img.size
    px = img.load()
    return max(_runs((px[x, y] for y in range(height)), wanted) for x in range(width))


def colour_pixels(img: Image.Image, colour: str, tolerance: int = 40) -> int:
    target = rgb(colour)
    return sum(1 for p in _pixels(img) if all(abs(a - b) <= tolerance for a, b in zip(p, target, strict=True)))
