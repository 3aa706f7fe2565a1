"""The recipient's name as it came out on a label, compared by its ink with the name it should show.

The expected name is drawn here with NanumSquare, the font file the labels print Hangul with, at the size the
label sets it; both are cut to the bounding box of their ink and laid on each other. The name is then read in
one window per character, so one syllable out of three changed counts as a third of the name, not as a
smudge spread over all of it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFont

from batchtrack.documents.fonts import FONT_DIR
from batchtrack.labels.layouts import TextElement, dots

# Share of a character's window that may differ: the same name, drawn from the same font at the same size, differs
# by nothing or by a dot at an edge; another syllable changes a large part of its window.
THRESHOLD = 0.08
# Inked area whose width or height differs by more dots than this is another text, or the same text at another
# size.
SIZE_TOLERANCE = 2
_FACES = {False: "NanumSquareR.ttf", True: "NanumSquareB.ttf"}
_HANGUL_FIRST, _HANGUL_COUNT, _MEDIALS, _FINALS = 0xAC00, 11172, 21, 28
_O, _U = 8, 13  # the medial vowels ㅗ and ㅜ, which differ by where one short stroke sits


def field(image: Image.Image, element: TextElement, dpi: int) -> Image.Image:
    """The area the layout gives the text element, cut from a label drawn at `dpi` (one pixel per dot)."""
    box = (element.x, element.y, element.x + element.width, element.y + element.height)
    return image.crop(tuple(dots(v, dpi) for v in box))


@lru_cache(maxsize=16)
def _font(pixels: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / _FACES[bold]), pixels)


def drawn(text: str, *, pixels: int, bold: bool) -> Image.Image:
    """`text` in NanumSquare at `pixels` per em, black on white, thresholded to black and white."""
    font = _font(pixels, bold)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    image = Image.new("L", (int(right - left) + 4, int(bottom - top) + 4), 255)
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=font, fill=0, anchor="ls")
    return image.point(lambda v: 0 if v < 128 else 255)


def _ink(image: Image.Image) -> Image.Image | None:
    """The image cut to its ink (dark pixels) as a mask, 255 = ink; None when there is no ink."""
    mask = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = mask.getbbox()
    return None if box is None else mask.crop(box)


def difference(printed: Image.Image, expected: Image.Image, characters: int) -> float:
    """The largest share of differing pixels in any of `characters` windows, after aligning the two inks' boxes.

    1.0 when either has no ink or their inked areas differ in size beyond SIZE_TOLERANCE dots.
    """
    a, b = _ink(printed), _ink(expected)
    if a is None or b is None:
        return 1.0
    if abs(a.width - b.width) > SIZE_TOLERANCE or abs(a.height - b.height) > SIZE_TOLERANCE:
        return 1.0
    width, height = max(a.width, b.width), max(a.height, b.height)
    best = 1.0
    # The boxes' corners are aligned, then shifted by a dot each way: rounding may place either ink a dot apart.
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            canvas_a = Image.new("L", (width + 2, height + 2), 0)
            canvas_b = Image.new("L", (width + 2, height + 2), 0)
            canvas_a.paste(a, (1, 1))
            canvas_b.paste(b, (1 + dx, 1 + dy))
            best = min(best, _worst_window(canvas_a, canvas_b, characters))
    return best


def _worst_window(a: Image.Image, b: Image.Image, characters: int) -> float:
    differs = ImageChops.difference(a, b)
    inked = ImageChops.lighter(a, b)
    worst = 0.0
    for index in range(characters):
        box = (a.width * index // characters, 0, a.width * (index + 1) // characters, a.height)
        ink = inked.crop(box).histogram()[255]
        if ink:
            worst = max(worst, differs.crop(box).histogram()[255] / ink)
    return worst


def one_syllable_off(name: str) -> str:
    """`name` with the vowel of its last Hangul syllable turned (ㅗ <-> ㅜ, else to ㅜ): one syllable differs."""
    name = unicodedata.normalize("NFC", name)
    for position in range(len(name) - 1, -1, -1):
        offset = ord(name[position]) - _HANGUL_FIRST
        if 0 <= offset < _HANGUL_COUNT:
            initial, rest = divmod(offset, _MEDIALS * _FINALS)
            medial, final = divmod(rest, _FINALS)
            turned = _O if medial == _U else _U
            syllable = chr(_HANGUL_FIRST + (initial * _MEDIALS + turned) * _FINALS + final)
            return name[:position] + syllable + name[position + 1 :]
    raise ValueError(f"{name!r} holds no Hangul syllable")
