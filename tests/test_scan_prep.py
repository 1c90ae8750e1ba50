"""Image clean-up before OCR, each step on pictures drawn here.

Red stamp removal, perspective flattening, quarter turns and the first look
(ocr_survey) that decides them, the quick ruled-page test, HEIC/AVIF
sniffing and decoding with EXIF orientation.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import scan_corpus
from PIL import Image

from pipeline.documents import scan_prep, sniff
from pipeline.documents.ocr_survey import SIDE, survey
from pipeline.documents.table_grid import looks_ruled


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """The filled form as scanned (grey paper, noise), RGB."""
    return scan_corpus.scanned(scan_corpus.render_form(), gray=False)


def bgr(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])


def test_drop_red_keeps_black_text_under_the_stamp(page):
    stamped = bgr(scan_corpus.scanned(scan_corpus.stamped(scan_corpus.render_form()), gray=False))
    clean = scan_prep.drop_red(stamped)
    hsv = cv2.cvtColor(clean, cv2.COLOR_BGR2HSV)
    reddish = ((hsv[..., 0] <= 10) | (hsv[..., 0] >= 165)) & (hsv[..., 1] >= 70)
    # No visible red is left; what stays reddish is dark: print mixed with ink.
    assert (reddish & (hsv[..., 2] >= 80)).sum() == 0
    assert reddish.sum() < 0.02 * 330 * 330
    # The stamp lies over 邮编's value 230001: its black strokes are all still there.
    x0, y0, x1, y1 = 1030, 1640, 1200, 1700
    before = (bgr(page)[y0:y1, x0:x1].max(axis=2) < 90).sum()
    after = (clean[y0:y1, x0:x1].max(axis=2) < 90).sum()
    assert before > 300 and abs(after - before) < 0.1 * before


def test_drop_red_leaves_grey_images_alone():
    grey = np.full((50, 50), 200, np.uint8)
    assert scan_prep.drop_red(grey) is grey


@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
def test_survey_finds_the_turn_that_makes_text_upright(page, quarter):
    turned = scan_prep.fit(np.ascontiguousarray(np.rot90(bgr(page), quarter)), SIDE)
    look = survey(turned, enough=None)
    assert look.quarter == (4 - quarter) % 4
    assert abs(look.skew) < 0.5
    assert len(look.labels) >= 12  # the labels are read even on a ~85 dpi copy
    assert look.may_hold_form
    # The first look stops reading once two labels, one of this form's own, show the form.
    assert 2 <= len(survey(turned).labels) < len(look.labels)


def test_survey_measures_skew(page):
    tilted = scan_prep.turn(bgr(page), 0, -3.0)  # turned 3° clockwise
    look = survey(scan_prep.fit(tilted, SIDE))
    assert look.quarter == 0
    assert 2.5 < look.skew < 3.5  # a 3° counter-clockwise turn levels it


def test_survey_of_a_blank_page():
    look = survey(np.full((1000, 700, 3), 255, np.uint8))
    assert look.lines == 0 and not look.may_hold_form


def test_flatten_undoes_a_photo_perspective(page):
    photo = bgr(scan_corpus.phone_photo(page.copy(), size=(1512, 2016)))
    flat = scan_prep.flatten(photo)
    h, w = flat.shape[:2]
    assert 1.3 < h / w < 1.5  # A4 is 1.414; the photo's frame was 1.333
    # The table's top rule is level again: its ends are at the same height.
    look = survey(scan_prep.fit(flat, SIDE))
    assert abs(look.skew) < 1.0


def test_flatten_leaves_a_straight_scan_alone(page):
    img = bgr(page)
    assert scan_prep.flatten(img) is img


def test_looks_ruled_tells_a_form_from_running_text(page):
    assert looks_ruled(scan_prep.grey(scan_prep.fit(bgr(page), SIDE)))
    text = np.asarray(scan_corpus.government_page(3))
    assert not looks_ruled(scan_prep.fit(text, SIDE))
    sideways = np.ascontiguousarray(np.rot90(scan_prep.grey(bgr(page))))
    assert looks_ruled(scan_prep.fit(sideways, SIDE))


def test_turn_by_quarters_is_exact():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert (scan_prep.turn(img, 1) == np.rot90(img)).all()
    assert (scan_prep.turn(img, 4) == img).all()


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (300, 100), "white")  # wide
    data = scan_corpus.jpeg(img, orientation=6)  # stored tall, EXIF says turn it back
    stored = Image.open(io.BytesIO(data))
    assert stored.size == (100, 300)
    (frame,) = scan_prep.image_frames(data)
    assert frame.shape[:2] == (100, 300)


def test_heic_is_decoded():
    img = Image.new("RGB", (320, 240), (200, 30, 40))
    data = scan_corpus.heic(img)
    assert sniff.sniff(data, "IMG_0001.HEIC").label == "heic"
    (frame,) = scan_prep.image_frames(data)
    assert frame.shape == (240, 320, 3)
    b, g, r = frame[120, 160]
    assert r > 150 and g < 90 and b < 90


def test_avif_is_not_taken_for_heic():
    ftyp = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
    assert sniff.sniff(ftyp + b"\x00" * 64, "photo.avif").label == "avif"
    ftyp = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"
    assert sniff.sniff(ftyp + b"\x00" * 64, "photo.heic").label == "heic"


def test_huge_photo_is_decoded_small():
    img = Image.new("RGB", (6000, 4500), "white")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=50)
    (frame,) = scan_prep.image_frames(buf.getvalue())
    assert max(frame.shape[:2]) == scan_prep.MAX_SIDE


def test_multipage_tiff_gives_pages():
    pages = [Image.new("L", (200, 300), v) for v in (255, 128)]
    buf = io.BytesIO()
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    frames = list(scan_prep.image_frames(buf.getvalue()))
    assert [int(f[0, 0, 0]) for f in frames] == [255, 128]
