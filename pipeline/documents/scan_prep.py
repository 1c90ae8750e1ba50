"""Image clean-up before OCR: decode, red stamp, perspective, rotation, size.

A unit's scan or phone photo of the 推荐表 arrives as a 12 MP JPEG taken at an
angle on a desk, a HEIC from an iPhone, a page fed sideways, with a red
公章 pressed over the values. Each step here is plain OpenCV/Pillow (no
OCR): decoding with the EXIF orientation applied, dropping strongly red
pixels to the paper colour (black text under the ink stays black), finding
the page or the table's outline and warping it flat, and turning/levelling
the page once ocr_survey has said how.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

MAX_SIDE = 3000  # working size of a decoded photo (12 MP phones: 4032 px)
MAX_PIXELS = 60_000_000  # refuse decompression bombs outright
MAX_FRAMES = 20  # pages of a multi-page TIFF


def image_frames(data: bytes, max_side: int = MAX_SIDE) -> Iterator[np.ndarray]:
    """Decode a photo/scan (JPEG, PNG, GIF, BMP, TIFF, WebP, HEIC) into upright BGR pages.

    EXIF orientation is applied, transparency is laid on white, and big
    photos are decoded at a reduced size (JPEG DCT scaling) and bounded to
    `max_side`. A multi-page TIFF yields one array per page.
    """
    from PIL import Image, ImageOps, ImageSequence

    _register_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":
            img.draft("RGB", (max_side, max_side))
        frames = [img] if img.format == "GIF" else ImageSequence.Iterator(img)  # an animation is one picture
        for index, frame in enumerate(frames):
            if index >= MAX_FRAMES:
                break
            page = ImageOps.exif_transpose(frame)
            if page.mode in ("RGBA", "LA", "P", "PA"):
                rgba = page.convert("RGBA")
                page = Image.new("RGB", rgba.size, "white")
                page.paste(rgba, mask=rgba.getchannel("A"))
            yield fit(np.asarray(page.convert("RGB"))[:, :, ::-1], max_side, enlarge=False)


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # HEIC then fails to open like any unknown image
        return
    register_heif_opener()


def fit(img: np.ndarray, long_side: int, enlarge: bool = True) -> np.ndarray:
    """Scale so the longer side is `long_side` (area filter when shrinking)."""
    h, w = img.shape[:2]
    factor = long_side / max(h, w)
    if abs(factor - 1) < 0.01 or (factor > 1 and not enlarge):
        return np.ascontiguousarray(img)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


# ---------------------------------------------------------------- red stamp


def drop_red(img: np.ndarray) -> np.ndarray:
    """Paint strongly red pixels (公章 ink, red 红头 titles) in the paper colour.

    Stamp ink multiplies with the print, so text under a stamp is still dark
    and keeps its pixels; only the red around it goes. A grey image has no
    red to tell apart and is returned as is.
    """
    if img.ndim == 2:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    red = ((hue <= 10) | (hue >= 165)) & (sat >= 70) & (val >= 80)
    if not red.any():
        return img
    # Pinkish fringes of the ink: lighter, less saturated red next to the mask.
    near = cv2.dilate(red.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    fringe = near & ((hue <= 12) | (hue >= 160)) & (sat >= 35) & (val >= 120)
    out = img.copy()
    out[red | fringe] = paper_colour(img, hsv)
    return out


def paper_colour(img: np.ndarray, hsv: np.ndarray | None = None) -> tuple[int, int, int]:
    """The page's background colour: the median of bright, unsaturated pixels."""
    hsv = hsv if hsv is not None else cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    sample = (hsv[::7, ::7, 2] >= 150) & (hsv[::7, ::7, 1] <= 60)
    pixels = img[::7, ::7][sample]
    if len(pixels) < 50:
        return (255, 255, 255)
    b, g, r = np.median(pixels, axis=0)
    return (int(b), int(g), int(r))


# ---------------------------------------------------------------- perspective


def flatten(img: np.ndarray) -> np.ndarray:
    """Warp a photographed page flat: crop to the page if its edges show on a
    darker desk, else straighten by the table's outline; unchanged when the
    page is already square to the image (a flatbed scan)."""
    warp = flatten_warp(img)
    return img if warp is None else warp.apply(img)


def flatten_warp(img: np.ndarray) -> Warp | None:
    """The perspective correction flatten() applies, or None for a square page."""
    small_side = 900
    factor = max(img.shape[:2]) / small_side
    small = grey(fit(img, small_side, enlarge=False)) if factor > 1 else grey(img)
    factor = max(factor, 1.0)
    page = _page_quad(small)
    table = _table_quad(small)
    if page is not None:
        warp = _warp_to(img, page * factor, crop=True)
        if table is None or warp is None:
            return warp
        # A shadow across the paper bends its outline; the table's ruled border
        # does not. When the page's warp leaves the table askew, trust the table.
        moved = cv2.perspectiveTransform((table * factor).reshape(-1, 1, 2).astype(np.float64), warp.matrix)
        if max(abs(a) for a in _side_angles(moved.reshape(4, 2))) < 1.0:
            return warp
    if table is not None and not _square(table):
        return _warp_to(img, table * factor, crop=False)
    return None


def _page_quad(small: np.ndarray) -> np.ndarray | None:
    """The paper as a bright quadrilateral on a darker background."""
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    quad = _largest_quad(mask, min_area=0.25, max_area=0.97)
    if quad is None:
        return None
    inside = cv2.fillConvexPoly(np.zeros_like(mask), quad.astype(np.int32), 1).astype(bool)
    # The paper must be clearly brighter than what surrounds it.
    if (~inside).sum() == 0 or small[inside].mean() - small[~inside].mean() < 40:
        return None
    return quad


def _table_quad(small: np.ndarray) -> np.ndarray | None:
    """The outline of the largest ruled table: its rules are one connected blob
    of ink, the largest on the page; its hull, cut to four corners, is the quad."""
    ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    ink = cv2.dilate(ink, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]))
    blob = (labels == biggest).astype(np.uint8) * 255
    quad = _largest_quad(blob, min_area=0.12, max_area=0.99)
    if quad is None or not _ruled_sides(blob, quad):
        return None  # a stamp or a signature stuck to the outline, not a border in perspective
    return quad


def _ruled_sides(blob: np.ndarray, quad: np.ndarray, share: float = 0.85) -> bool:
    """Whether ink runs along every side of `quad`, as a table's border does. A
    stamp pressed on the table's corner joins its blob and bends the hull: the
    side from the stamp's edge to the next corner crosses blank paper."""
    near = cv2.dilate(blob, np.ones((5, 5), np.uint8)) > 0
    h, w = blob.shape
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.05, 0.95, 60)[:, None]
        pts = (a + (b - a) * t).round().astype(int)
        xs, ys = pts[:, 0].clip(0, w - 1), pts[:, 1].clip(0, h - 1)
        if near[ys, xs].mean() < share:
            return False
    return True


def _largest_quad(mask: np.ndarray, min_area: float, max_area: float) -> np.ndarray | None:
    """The largest blob's convex hull simplified to four corners, if it has them."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    total = mask.shape[0] * mask.shape[1]
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    area = cv2.contourArea(hull)
    if not min_area * total <= area <= max_area * total:
        return None
    for tolerance in (0.02, 0.03, 0.045):  # a blob touching the outline (a stamp) adds corners
        approx = cv2.approxPolyDP(hull, tolerance * cv2.arcLength(hull, True), True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            quad = _order(approx.reshape(4, 2).astype(np.float32))
            return quad if _plausible(quad) else None
    return None


def _order(pts: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32
    )


def _side_angles(quad: np.ndarray) -> list[float]:
    """How far each side leans from the horizontal/vertical, in degrees."""
    out = []
    for i, horizontal in ((0, True), (1, False), (2, True), (3, False)):
        dx, dy = quad[(i + 1) % 4] - quad[i]
        angle = np.degrees(np.arctan2(dy, dx)) if horizontal else np.degrees(np.arctan2(-dx, dy))
        out.append(float((angle + 90) % 180 - 90))
    return out


def _plausible(quad: np.ndarray) -> bool:
    """A page or table seen at an angle, not a stray blob: sides lean ≤ 25°,
    opposite sides of similar length."""
    if max(abs(a) for a in _side_angles(quad)) > 25:
        return False
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    return min(sides) > 20 and 0.6 < sides[0] / sides[2] < 1.67 and 0.6 < sides[1] / sides[3] < 1.67


def _square(quad: np.ndarray) -> bool:
    return max(abs(a) for a in _side_angles(quad)) < 0.4


def _warp_to(img: np.ndarray, quad: np.ndarray, crop: bool) -> Warp | None:
    """The warp mapping `quad` to an upright rectangle; with crop=False it keeps the
    whole image around it (the title and signature lines outside the table)."""
    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    origin = np.array([0, 0], dtype=np.float32) if crop else tl
    rect = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32) + origin
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), rect)
    h, w = img.shape[:2]
    size = (round(width), round(height))
    if not crop:
        corners = cv2.perspectiveTransform(
            np.array([[[0, 0], [w, 0], [w, h], [0, h]]], dtype=np.float32), matrix
        )[0]
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        if x1 - x0 > 2 * w or y1 - y0 > 2 * h:
            return None  # a wild homography: leave the page alone
        matrix = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64) @ matrix
        size = (round(x1 - x0), round(y1 - y0))
    return Warp(np.asarray(matrix, np.float64), size)


@dataclass(frozen=True)
class Warp:
    """A projective map from one image to the next (3x3 matrix) and the result's
    (width, height). Steps compose, so a box found on the prepared page can be
    mapped back onto the image as decoded (for staff's crop of the original)."""

    matrix: np.ndarray
    size: tuple[int, int]

    def apply(self, img: np.ndarray) -> np.ndarray:
        fill = paper_colour(img) if img.ndim == 3 else int(np.median(img[::7, ::7]))
        flags = cv2.INTER_LINEAR
        if _is_affine(self.matrix):
            return cv2.warpAffine(img, self.matrix[:2], self.size, flags=flags, borderValue=fill)
        return cv2.warpPerspective(
            img, self.matrix, self.size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
        )

    def then(self, other: Warp) -> Warp:
        """This warp followed by `other`."""
        return Warp(other.matrix @ self.matrix, other.size)

    def back(self, points: np.ndarray) -> np.ndarray:
        """Points of the result (N x 2) on the source image."""
        pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, np.linalg.inv(self.matrix)).reshape(-1, 2)

    @staticmethod
    def identity(width: int, height: int) -> Warp:
        return Warp(np.eye(3), (width, height))

    @staticmethod
    def scale(factor: float, width: int, height: int) -> Warp:
        """Resizing by `factor` (the result's size is given)."""
        return Warp(np.diag([factor, factor, 1.0]), (width, height))


def _is_affine(matrix: np.ndarray) -> bool:
    return abs(matrix[2, 0]) < 1e-12 and abs(matrix[2, 1]) < 1e-12 and abs(matrix[2, 2] - 1) < 1e-12


# ---------------------------------------------------------------- rotation


def turn(img: np.ndarray, quarter: int, skew: float = 0.0) -> np.ndarray:
    """Rotate by `quarter` counter-clockwise quarter turns, then by `skew` degrees
    counter-clockwise (small angles, canvas grown, new corners in paper colour)."""
    out = np.ascontiguousarray(np.rot90(img, quarter % 4)) if quarter % 4 else img
    warp = skew_warp(out.shape, skew)
    return out if warp is None else warp.apply(out)


def quarter_warp(shape: tuple[int, ...], quarter: int) -> Warp:
    """np.rot90(img, quarter) as a Warp (exact: rot90 itself turns the pixels)."""
    h, w = shape[:2]
    matrix = np.eye(3)
    for _ in range(quarter % 4):  # one counter-clockwise quarter: (x, y) -> (y, w - 1 - x)
        matrix = np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], np.float64) @ matrix
        w, h = h, w
    return Warp(matrix, (w, h))


def skew_warp(shape: tuple[int, ...], skew: float) -> Warp | None:
    """A small counter-clockwise rotation by `skew` degrees on a grown canvas; None below 0.15°."""
    if abs(skew) < 0.15:
        return None
    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return Warp(np.vstack([matrix, [0, 0, 1]]).astype(np.float64), (nw, nh))
