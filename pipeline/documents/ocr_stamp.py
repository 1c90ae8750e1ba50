"""Find the unit's round 公章 on a page and take its ink off the print.

Every 推荐表 is stamped, and the stamp lands on the table: over 推荐单位 and
the date, its ring crossing the last rows, or right over a value. On a colour
page the red says which pixels are stamp (scan_prep.drop_red removes them).
An office copier's grey or black-and-white copy has no colour left, so we use
what does remain (research/ocr.md): a 公章 is a ring of known size (≈ 40 mm,
three to six text heights in radius) that a Hough transform finds, and on a
grey copy its ink is a mid grey while print is near black. With the stamp's
circle known we

- erase the stamp's grey ink inside its disc (grey pages), or its ring and
  star (1-bit pages, where ink is ink) so that table rules and cells survive;
- tell the cell reader which cells lie under the stamp: their values are read
  from the print that remains but always go to staff as uncertain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Radius of a 公章 in text-line heights (a 40 mm stamp, 10.5-14 pt print).
MIN_RADIUS, MAX_RADIUS = 2.0, 6.5
RING_COVERAGE = 0.55  # share of the circle that must be inked (stamp ink is patchy)
RING_CONTRAST = 0.3  # the ring is inked clearly more than just inside and outside it


@dataclass(frozen=True)
class Stamp:
    """A round stamp: centre, outer radius and ring width, in page pixels."""

    cx: float
    cy: float
    r: float
    ring: float

    def covers(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """Share of the box x0..x1, y0..y1 that lies inside the stamp's disc (approximate)."""
        if x1 <= x0 or y1 <= y0:
            return 0.0
        xs = np.linspace(x0, x1, 9)
        ys = np.linspace(y0, y1, 7)
        gx, gy = np.meshgrid(xs, ys)
        inside = (gx - self.cx) ** 2 + (gy - self.cy) ** 2 <= self.r**2
        return float(inside.mean())

    def holds(self, x: float, y: float, margin: float = 0.0) -> bool:
        return (x - self.cx) ** 2 + (y - self.cy) ** 2 <= (self.r + margin) ** 2

    def in_ring_text(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether a piece of ink lies wholly in the band of the stamp's own lettering
        (between the star and the ring): the unit's name along the arc."""
        corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        far = max(math.hypot(x - self.cx, y - self.cy) for x, y in corners)
        return far <= self.r + self.ring and self.holds((x0 + x1) / 2, (y0 + y1) / 2)


def find_stamps(img: np.ndarray, text_height: float) -> list[Stamp]:
    """Round stamps on an upright page (BGR or grey), largest first.

    Red where the page has colour; otherwise circles from the page's ink that
    pass the ring test (_ring)."""
    th = max(6.0, text_height)
    if img.ndim == 3 and _has_colour(img):
        found = _red_stamps(img, th)
        if found:
            return found
    return _grey_stamps(_grey(img), th)


def erase(img: np.ndarray, stamps: list[Stamp], text_height: float) -> np.ndarray:
    """The page without the stamps' ink, as far as the page lets us tell it from print.

    Grey: inside each disc, pixels lighter than the print's black (the stamp's
    mid grey, and paper) become paper unless they touch print; print under the
    stamp is darker still and stays, and so do the table's rules (thin rules
    print as grey as the stamp). 1-bit: the ring and the star go, with the
    bits of print they cross (this copy is for finding the table's rules; the
    cells are read from the page as it was and those under a stamp are flagged).
    """
    if not stamps:
        return img
    out = img.copy()
    grey = _grey(img)
    binary = _is_binary(grey)
    paper = float(np.percentile(grey[::5, ::5], 90))
    sample = grey[::3, ::3]
    inked = sample[sample < paper - 60]
    black = float(np.percentile(inked, 10)) if len(inked) > 100 else 0.0
    for s in stamps:
        x0, x1 = int(max(0, s.cx - s.r - 3)), int(min(grey.shape[1], s.cx + s.r + 4))
        y0, y1 = int(max(0, s.cy - s.r - 3)), int(min(grey.shape[0], s.cy + s.r + 4))
        yy, xx = np.mgrid[y0:y1, x0:x1]
        dist = np.hypot(xx - s.cx, yy - s.cy)
        patch = grey[y0:y1, x0:x1]
        if binary:  # ink is ink: the ring and the star go, print crossing them with it
            ring = (dist >= s.r - s.ring - 2) & (dist <= s.r + 2)
            wipe = ring | _star(patch, dist, s)
        else:
            disc = dist <= s.r + 2
            level = _stamp_level(patch[disc], black, paper)
            cut = black + 0.55 * (level - black)
            core = (patch < black + 0.3 * (level - black)).astype(np.uint8)
            near_print = cv2.dilate(core, np.ones((3, 3), np.uint8)) > 0
            wipe = disc & (patch > cut) & ~near_print & ~_rules(patch < paper - 40, text_height)
        target = out[y0:y1, x0:x1]
        target[wipe] = paper if out.ndim == 2 else (paper, paper, paper)
    return out


# ---------------------------------------------------------------- colour


def _has_colour(img: np.ndarray) -> bool:
    hsv = cv2.cvtColor(img[::4, ::4], cv2.COLOR_BGR2HSV)
    return bool((hsv[..., 1] >= 70).mean() > 0.0005)


def red_mask(img: np.ndarray) -> np.ndarray:
    """Stamp red (as scan_prep.drop_red sees it), dark red included."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return (((hue <= 10) | (hue >= 165)) & (sat >= 70) & (val >= 50)).astype(np.uint8)


def _red_stamps(img: np.ndarray, th: float) -> list[Stamp]:
    mask = red_mask(img)
    if mask.sum() < 50:
        return []
    merged = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=max(1, int(th / 4)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(merged)
    out = []
    for i in range(1, count):
        x, y, w, h, _area = stats[i]
        if (
            not (2 * MIN_RADIUS * th <= max(w, h) <= 2 * MAX_RADIUS * th + 4 * th / 4)
            or not 0.7 < w / h < 1.4
        ):
            continue
        ys, xs = np.nonzero((labels[y : y + h, x : x + w] == i) & (mask[y : y + h, x : x + w] > 0))
        if len(xs) < 30:
            continue
        (cx, cy), r = cv2.minEnclosingCircle(np.column_stack([xs + x, ys + y]).astype(np.float32))
        fill = len(xs) / (np.pi * r * r)
        if not MIN_RADIUS * th <= r <= MAX_RADIUS * th or not 0.04 < fill < 0.7:
            continue  # a red title or a red picture, not a round stamp
        # Any round red mark of a stamp's size is one; the ring test only measures
        # it (on a photo JPEG's colour is coarse and the ring is often patchy).
        ring = _ring(
            cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32), cx, cy, r, th, ink_is=1.0
        )
        out.append(Stamp(cx, cy, ring[0], ring[1]) if ring else Stamp(cx, cy, r, max(2.0, 0.07 * r)))
    return sorted(out, key=lambda s: -s.r)


# ---------------------------------------------------------------- grey and 1-bit


def _grey_stamps(grey: np.ndarray, th: float) -> list[Stamp]:
    """Hough circles of a stamp's size on a reduced copy, kept when the ring test passes."""
    factor = min(1.0, 12.0 / th)  # text ~12 px high is plenty to see a 40 mm ring
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    sth = th * factor
    blurred = cv2.GaussianBlur(small, (0, 0), 1.2)
    circles = cv2.HoughCircles(
        blurred,
        cv2.HOUGH_GRADIENT,
        dp=1.5,
        minDist=2 * MIN_RADIUS * sth,
        param1=120,
        param2=max(20, int(2.2 * MIN_RADIUS * sth)),
        minRadius=int(MIN_RADIUS * sth),
        maxRadius=int(MAX_RADIUS * sth),
    )
    if circles is None:
        return []
    ink = _ink(grey)
    out: list[Stamp] = []
    for cx, cy, r in circles[0][:12]:
        ring = _ring(ink, cx / factor, cy / factor, r / factor, th, ink_is=1.0)
        if ring is None:
            continue
        stamp = Stamp(float(cx / factor), float(cy / factor), ring[0], ring[1])
        if not any(stamp.holds(o.cx, o.cy) or o.holds(stamp.cx, stamp.cy) for o in out):
            out.append(stamp)
    return sorted(out, key=lambda s: -s.r)


def _ink(grey: np.ndarray) -> np.ndarray:
    """1.0 where the page is inked (print or stamp), else 0."""
    paper = float(np.percentile(grey[::5, ::5], 90))
    return (grey < paper - max(40.0, 0.3 * paper)).astype(np.float32)


def _ring(
    ink: np.ndarray, cx: float, cy: float, r: float, th: float, ink_is: float
) -> tuple[float, float] | None:
    """(outer radius, ring width) when a stamp's ring lies near radius r around
    (cx, cy): most of the circle inked, much more than just inside and outside it.
    Table rules cross a circle at a few points only; text is inked in patches."""
    h, w = ink.shape[:2]
    angles = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    cos, sin = np.cos(angles), np.sin(angles)

    def coverage(radius: float) -> np.ndarray:
        xs = np.clip((cx + radius * cos).round().astype(int), 0, w - 1)
        ys = np.clip((cy + radius * sin).round().astype(int), 0, h - 1)
        inside = (
            (cx + radius * cos >= 0)
            & (cx + radius * cos < w)
            & (cy + radius * sin >= 0)
            & (cy + radius * sin < h)
        )
        return np.where(inside, ink[ys, xs] == ink_is, False)

    step = max(1.0, r / 120)
    radii = np.arange(max(2.0, r * 0.8), r * 1.12, step)
    scores = np.array([coverage(rr).mean() for rr in radii])
    best = int(np.argmax(scores))
    if scores[best] < RING_COVERAGE:
        return None
    inked = radii[scores >= 0.5 * scores[best]]
    inked = inked[np.abs(inked - radii[best]) <= 0.12 * r]
    outer, inner = float(inked.max()), float(inked.min())
    width = max(step, outer - inner + step)
    inside = coverage(inner - 1.5 * width - 2).mean()
    outside = coverage(outer + 1.5 * width + 2).mean()
    if scores[best] - max(inside, outside) < RING_CONTRAST:
        return None
    if width > 0.25 * r:
        return None
    return outer, width


def _rules(ink: np.ndarray, th: float) -> np.ndarray:
    """Long straight runs of ink (table rules), slightly widened."""
    ink = ink.astype(np.uint8)
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, int(max(25, 2 * th))), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((int(max(15, 1.2 * th)), 1), np.uint8))
    return cv2.dilate(cv2.bitwise_or(across, down), np.ones((3, 3), np.uint8)) > 0


def _star(patch: np.ndarray, dist: np.ndarray, s: Stamp) -> np.ndarray:
    """The stamp's central star: the ink blob at the centre, if blob-sized."""
    ink = (patch < np.percentile(patch, 50) if not _is_binary(patch) else patch < 128).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    cy, cx = np.unravel_index(np.argmin(dist), dist.shape)
    label = labels[cy, cx]
    if label == 0:
        return np.zeros_like(ink, dtype=bool)
    x, y, w, h, _area = stats[label]
    if max(w, h) > 0.8 * s.r or max(w, h) < 0.15 * s.r:
        return np.zeros_like(ink, dtype=bool)
    return labels == label


def _stamp_level(pixels: np.ndarray, black: float, paper: float) -> float:
    """The grey of the stamp's ink inside its disc: the commonest level between print and paper."""
    mid = pixels[(pixels > black + 15) & (pixels < paper - 25)]
    if len(mid) < 20:
        return (black + paper) / 2
    hist, edges = np.histogram(mid, bins=32)
    i = int(np.argmax(hist))
    return float((edges[i] + edges[i + 1]) / 2)


def _is_binary(grey: np.ndarray) -> bool:
    sample = grey[::7, ::7]
    return bool(((sample < 30) | (sample > 225)).mean() > 0.995)


def _grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
