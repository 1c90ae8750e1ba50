"""The XML side of floating text boxes: their position, and the sizes of what they float over.

`box_geometry` reads a DrawingML anchor (wp:anchor) or a VML shape into the
position, size and insets docx_layout.py places; `Measure` estimates how
tall a paragraph prints (font size, spacing, the document grid) and reads
the page and a table's grid, so the layout can find the cell under a box.
"""

from __future__ import annotations

import math

from lxml import etree

from .docx_layout import (
    BOX_INSETS,
    DEFAULT_SIZE,
    LINE_FACTOR,
    TWIPS_PER_EMU,
    Page,
    Position,
    text_width,
    vml_insets,
    vml_length,
    vml_style,
)

WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
V = "urn:schemas-microsoft-com:vml"
OFFICE = "urn:schemas-microsoft-com:office:office"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

VML_SHAPES = {f"{{{V}}}{k}" for k in ("shape", "rect", "roundrect", "oval")}
GRID_TYPES = ("lines", "linesAndChars", "snapToChars")
MAX_LENGTH = 10_000_000  # twips; anything larger is not a real position


def _int(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number) or abs(number) > MAX_LENGTH * 635:
        return None
    return number


def _position(axis: etree._Element | None) -> Position:
    if axis is None:
        return Position()
    out = Position(relative=axis.get("relativeFrom", ""))
    offset = axis.find(f"{{{WP}}}posOffset")
    align = axis.find(f"{{{WP}}}align")
    if offset is not None:
        emu = _int((offset.text or "").strip())
        out.offset = emu * TWIPS_PER_EMU if emu is not None else None
    elif align is not None:
        out.align = (align.text or "").strip()
    return out


def drawing_geometry(anchor: etree._Element) -> tuple[Position, Position, float, float, bool, tuple]:
    """(h, v, width, height, layoutInCell, insets) of a wp:anchor."""
    if anchor.get("simplePos") in ("1", "true", "on"):
        simple = anchor.find(f"{{{WP}}}simplePos")
        x = _int(simple.get("x")) if simple is not None else None
        y = _int(simple.get("y")) if simple is not None else None
        h = Position("page", x * TWIPS_PER_EMU if x is not None else None)
        v = Position("page", y * TWIPS_PER_EMU if y is not None else None)
    else:
        h = _position(anchor.find(f"{{{WP}}}positionH"))
        v = _position(anchor.find(f"{{{WP}}}positionV"))
    extent = anchor.find(f"{{{WP}}}extent")
    cx = _int(extent.get("cx")) if extent is not None else None
    cy = _int(extent.get("cy")) if extent is not None else None
    body = next(anchor.iter(f"{{{WPS}}}bodyPr"), None)
    insets = BOX_INSETS
    if body is not None:
        left, top = _int(body.get("lIns")), _int(body.get("tIns"))
        insets = (
            left * TWIPS_PER_EMU if left is not None else BOX_INSETS[0],
            top * TWIPS_PER_EMU if top is not None else BOX_INSETS[1],
        )
    in_cell = anchor.get("layoutInCell", "1") not in ("0", "false", "off")
    return (
        h,
        v,
        (cx or 0) * TWIPS_PER_EMU,
        (cy or 0) * TWIPS_PER_EMU,
        in_cell,
        insets,
    )


_VML_ALIGN = {"left", "center", "right", "inside", "outside", "top", "bottom"}


def vml_geometry(shape: etree._Element, textbox: etree._Element):
    """The same for an absolutely positioned VML shape; None when it is inline."""
    style = vml_style(shape.get("style", ""))
    if style.get("position") != "absolute":
        return None
    h = Position(relative=style.get("mso-position-horizontal-relative", "text"))
    v = Position(relative=style.get("mso-position-vertical-relative", "text"))
    h_align = style.get("mso-position-horizontal", "")
    v_align = style.get("mso-position-vertical", "")
    if h_align in _VML_ALIGN:
        h.align = h_align
    else:
        h.offset = vml_length(style.get("margin-left", style.get("left", "0")))
    if v_align in _VML_ALIGN:
        v.align = v_align
    else:
        v.offset = vml_length(style.get("margin-top", style.get("top", "0")))
    width = vml_length(style.get("width", "0")) or 0.0
    height = vml_length(style.get("height", "0")) or 0.0
    in_cell = shape.get(f"{{{OFFICE}}}allowincell", "t") not in ("f", "false")
    return h, v, width, height, in_cell, vml_insets(textbox.get("inset", ""))


class Measure:
    """Printed sizes, estimated: the page, a table's columns, a paragraph's height."""

    def __init__(self, w: str, body: etree._Element | None, styles: etree._Element | None) -> None:
        self.w = w
        self.page = Page()
        self.size: float = DEFAULT_SIZE
        self.spacing: dict[str, float] = {}
        if styles is not None:
            self._styles(styles)
        sect = body.find(self._q("sectPr")) if body is not None else None
        if sect is not None:
            self._section(sect)

    def _q(self, tag: str) -> str:
        return f"{{{self.w}}}{tag}"

    def _val(self, el: etree._Element | None, attr: str = "val") -> float | None:
        if el is None:
            return None
        number = _int(el.get(self._q(attr)))
        return number if number is not None and abs(number) < MAX_LENGTH else None

    def _styles(self, styles: etree._Element) -> None:
        defaults = styles.find(self._q("docDefaults"))
        places = []
        if defaults is not None:
            places.append(defaults)
        for style in styles.findall(self._q("style")):
            if style.get(self._q("type")) == "paragraph" and style.get(self._q("default")) in ("1", "true"):
                places.append(style)
        for place in places:
            size = self._val(next(place.iter(self._q("sz")), None))
            if size:
                self.size = size
            spacing = next(place.iter(self._q("spacing")), None)
            if spacing is not None:
                self.spacing.update(self._spacing(spacing))

    def _spacing(self, el: etree._Element) -> dict[str, float]:
        out = {}
        for key in ("before", "after", "line"):
            value = self._val(el, key)
            if value is not None:
                out[key] = value
        rule = el.get(self._q("lineRule"))
        if rule:
            out["rule"] = {"auto": 0.0, "exact": 1.0, "atLeast": 2.0}.get(rule, 0.0)
        return out

    def _section(self, sect: etree._Element) -> None:
        size = sect.find(self._q("pgSz"))
        margins = sect.find(self._q("pgMar"))
        page = self.page
        for attr, key in (("width", "w"), ("height", "h")):
            value = self._val(size, key)
            if value and value > 0:
                setattr(page, attr, value)
        for attr in ("left", "right", "top", "bottom"):
            value = self._val(margins, attr)
            if value is not None and value >= 0:
                setattr(page, attr, abs(value))
        grid = sect.find(self._q("docGrid"))
        if grid is not None and grid.get(self._q("type")) in GRID_TYPES:
            page.pitch = self._val(grid, "linePitch") or 0.0

    # ---------------------------------------------------------- tables

    def table_columns(self, tbl: etree._Element) -> tuple[float, list[float]]:
        """(left of the table from the margin, cumulative column edges) from w:tblGrid."""
        widths = [
            self._val(col, "w") or 0.0 for col in tbl.findall(f"{self._q('tblGrid')}/{self._q('gridCol')}")
        ]
        edges = [0.0]
        for width in widths:
            edges.append(edges[-1] + max(width, 0.0))
        total = edges[-1]
        pr = tbl.find(self._q("tblPr"))
        left = 0.0
        if pr is not None:
            jc = pr.find(self._q("jc"))
            where = jc.get(self._q("val")) if jc is not None else ""
            if where == "center":
                left = (self.page.text_width - total) / 2
            elif where in ("right", "end"):
                left = self.page.text_width - total
            else:
                left = self._val(pr.find(self._q("tblInd")), "w") or 0.0
        return left, edges

    def row_height(self, tr: etree._Element, content: float) -> float:
        pr = tr.find(self._q("trPr"))
        height = pr.find(self._q("trHeight")) if pr is not None else None
        value = self._val(height) or 0.0
        if height is not None and height.get(self._q("hRule")) == "exact" and value:
            return value
        return max(value, content)

    # ---------------------------------------------------------- paragraphs

    def paragraph(self, p: etree._Element, text: str, width: float) -> float:
        """Estimated printed height of a paragraph (twips) in a column `width` twips wide."""
        size = self._font_size(p)
        spacing = dict(self.spacing)
        ppr = p.find(self._q("pPr"))
        snap = True
        if ppr is not None:
            own = ppr.find(self._q("spacing"))
            if own is not None:
                spacing.update(self._spacing(own))
            snap_el = ppr.find(self._q("snapToGrid"))
            snap = snap_el is None or snap_el.get(self._q("val")) not in ("0", "false", "off")
        line = size * 10 * LINE_FACTOR
        rule, value = spacing.get("rule", 0.0), spacing.get("line")
        if value:
            if rule == 1.0:
                line = value
            elif rule == 2.0:
                line = max(line, value)
            else:
                line *= value / 240
        if snap and self.page.pitch and rule != 1.0:
            line = math.ceil(line / self.page.pitch - 0.01) * self.page.pitch
        usable = max(width, 500.0)
        lines = sum(max(1, math.ceil(text_width(part, size) / usable)) for part in text.split("\n"))
        return lines * line + spacing.get("before", 0.0) + spacing.get("after", 0.0)

    def _font_size(self, p: etree._Element) -> float:
        sizes = []
        txbx = self._q("txbxContent")
        for el in p.iter(self._q("sz")):
            if any(a.tag == txbx for a in el.iterancestors()):
                continue
            value = self._val(el)
            if value and 2 <= value <= 400:
                sizes.append(value)
        return max(sizes) if sizes else self.size
