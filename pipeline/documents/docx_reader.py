"""Read .docx/.docm into the shared Document model with lxml.

python-docx repeats merged cells, drops content controls, insertions and
text boxes, and refuses .docm (see research/form_extraction.md), so we walk
word/document.xml ourselves. Every merged cell appears once with its spans;
deleted/moved-away text (runs, and rows deleted as a whole), field codes and
mc:Fallback duplicates are skipped. A content control showing its
placeholder reads as empty; a legacy drop-down field reads as its chosen
entry, which Word keeps only in w:ffData. A floating text box is read where
it prints, not where it is anchored (docx_layout.py); a row that shows only
deleted text is a deleted row (what a .doc round trip leaves of one).
Macros are never run: we only read XML.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from lxml import etree

from ..config import Limits
from ..model import Cell, Document, Table
from .docx_boxes import VML_SHAPES, Measure, drawing_geometry, vml_geometry
from .docx_layout import CELL_PAD, Anchor, Block, Box, Frame, Layout, place
from .errors import DocumentError
from .safe_zip import has_member, open_zip, parse_xml, read_member

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
V = "urn:schemas-microsoft-com:vml"
R_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
WP_ANCHOR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}anchor"

# Cap on spans so a hostile gridSpan cannot blow up the grid.
MAX_SPAN = 64
MAX_ROWS = 2000
MAX_CELLS_PER_ROW = 200


def read_docx(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Parse a .docx/.docm; raises DocumentError for corrupt or hostile files."""
    zf = open_zip(data, name, limits)
    main = _main_part(zf, name, limits)
    root = parse_xml(read_member(zf, main, name, limits), name)
    rels = _rels(zf, main, name, limits)
    ext = PurePosixPath(name.lower()).suffix.lstrip(".")
    doc = Document(file=name, format=ext if ext in ("docx", "docm") else "docx")
    walk_document(root, lambda: _styles(zf, main, name, limits), doc)
    doc.image_count = _count_images(root, rels)
    return doc


def walk_document(root: etree._Element, styles: Callable[[], etree._Element | None], doc: Document) -> None:
    """Read a WordprocessingML main part (its w:body) into `doc`'s tables and paragraphs.

    The page layout is estimated only when the body has text boxes to place; `styles`
    then gives the w:styles part (default font size and spacing)."""
    walker = _Walker(root, doc)
    body = root.find(f"{{{walker.w}}}body")
    try:
        if body is not None:
            walker.measuring = next(body.iter(walker.t["txbxContent"]), None) is not None
            if walker.measuring:
                walker.measure = Measure(walker.w, body, styles())
                walker.layout.page = walker.measure.page
            walker.blocks(body, top=True)
        walker.finish()
    except (RecursionError, ValueError, TypeError) as exc:  # absurd nesting or attribute values
        raise DocumentError("corrupt", f"文件“{doc.file}”结构异常，无法读取，请重新保存后发送。") from exc


def _main_part(zf, name: str, limits: Limits | None) -> str:
    """Find the main document part via _rels/.rels (falls back to word/document.xml)."""
    if has_member(zf, "_rels/.rels"):
        rels = parse_xml(read_member(zf, "_rels/.rels", name, limits), name)
        for rel in rels.iter(f"{{{PKG_REL}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target and has_member(zf, target):
                    return target
    return "word/document.xml"


def _rels(zf, main: str, name: str, limits: Limits | None, kind: str = "") -> dict[str, str]:
    """rId -> target for internal relationships of the main part (of one `kind`, e.g. "/styles")."""
    folder, base = posixpath.split(main)
    path = posixpath.join(folder, "_rels", base + ".rels")
    if not has_member(zf, path):
        return {}
    root = parse_xml(read_member(zf, path, name, limits), name)
    out = {}
    for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
        if rel.get("TargetMode") == "External" or not rel.get("Type", "").endswith(kind):
            continue
        out[rel.get("Id", "")] = posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
    return out


def _styles(zf, main: str, name: str, limits: Limits | None) -> etree._Element | None:
    """The styles part (default font size and spacing, for the layout estimate); None if absent."""
    for target in _rels(zf, main, name, limits, "/styles").values():
        if has_member(zf, target):
            return parse_xml(read_member(zf, target, name, limits), name)
    return None


def _count_images(root: etree._Element, rels: dict[str, str]) -> int:
    """Distinct embedded pictures referenced by the body (Fallback copies ignored)."""
    targets: set[str] = set()
    for el in root.iter(f"{{{A}}}blip", f"{{{V}}}imagedata"):
        if any(anc.tag == f"{{{MC}}}Fallback" for anc in el.iterancestors()):
            continue
        rid = None
        for ns in R_NS:
            rid = el.get(f"{{{ns}}}embed") or el.get(f"{{{ns}}}id")
            if rid:
                break
        if rid and rid in rels:
            targets.add(rels[rid])
        elif rid and not rels:
            targets.add(rid)
    return len(targets)


@dataclass
class _CellPlace:
    """A cell being walked: boxes anchored in its paragraphs start from here."""

    anchor: Anchor
    width: float  # text width inside the cell (twips)
    y: float = 0.0  # height of the paragraphs walked so far


class _Walker:
    """Turns body XML into paragraphs and tables (numbered in document order).

    Floating text boxes are collected with their anchor and position, and placed
    by `finish` where a printed page shows them (docx_layout.py)."""

    def __init__(self, root: etree._Element, doc: Document) -> None:
        ns = etree.QName(root).namespace
        self.w = ns if ns in (W_MAIN, W_STRICT) else W_MAIN
        self.doc = doc
        self.t = {
            k: f"{{{self.w}}}{k}"
            for k in (
                "p r t tab br cr tbl tr tc sdt sdtContent sdtPr showingPlcHdr customXml del moveFrom "
                "instrText delText delInstrText txbxContent gridSpan vMerge gridBefore tcPr trPr val "
                "hMerge noBreakHyphen smartTag hyperlink ins moveTo fldSimple fldChar ffData ddList result "
                "listEntry default checkBox checked cellDel tcW w"
            ).split()
        }
        self.field_depth = 0  # fields opened inside a legacy drop-down (its result runs are skipped)
        self.leaves = {self.t[k] for k in ("t", "tab", "br", "cr", "noBreakHyphen", "txbxContent")}
        self.skip = {
            self.t["del"],
            self.t["moveFrom"],
            self.t["instrText"],
            self.t["delText"],
            self.t["delInstrText"],
            f"{{{MC}}}Fallback",
            self.t["sdtPr"],
            self.t["tcPr"],
            self.t["trPr"],
        }
        self.measure = Measure(self.w, None, None)
        self.measuring = False  # estimate the layout (only when there are text boxes to place)
        self.layout = Layout(self.measure.page)
        self.boxes: list[Box] = []
        self.anchor = Anchor(block=0)  # where a box met now is anchored
        self.body_texts: list[str | None] = []  # per layout block: a paragraph's text, None for a table
        self.grids: dict[int, dict[tuple[int, int], Cell]] = {}  # id(Table) -> grid position -> Cell
        self.table_height = 0.0  # estimated height of the table walked last

    # ---------------------------------------------------------- blocks

    def blocks(self, parent: etree._Element, top: bool, place: _CellPlace | None = None) -> list[str]:
        """Walk block-level content; return its text lines (for cells/text boxes)."""
        lines: list[str] = []
        for child in parent:
            tag = child.tag
            if tag == self.t["p"]:
                if top:
                    self.anchor = Anchor(block=len(self.layout.blocks))
                    text = self.para_text(child)
                    height = (
                        self.measure.paragraph(child, text, self.measure.page.text_width)
                        if self.measuring
                        else 0.0
                    )
                    self.layout.blocks.append(Block(height))
                    self.body_texts.append(text)
                elif place is not None:
                    if self.measuring:
                        self.anchor = replace(place.anchor, y=place.y)
                    text = self.para_text(child)
                    if self.measuring:
                        place.y += self.measure.paragraph(child, text, place.width)
                else:
                    text = self.para_text(child)
                lines.append(text)
            elif tag == self.t["tbl"]:
                lines.extend(self.table(child, top, place))
                if place is not None:
                    place.y += self.table_height
            elif tag == self.t["sdt"]:
                if self._placeholder(child):
                    continue
                content = child.find(self.t["sdtContent"])
                if content is not None:
                    lines.extend(self.blocks(content, top, place))
            elif tag in (self.t["customXml"], self.t["ins"], self.t["moveTo"]):
                lines.extend(self.blocks(child, top, place))
        return lines

    def _placeholder(self, sdt: etree._Element) -> bool:
        pr = sdt.find(self.t["sdtPr"])
        return pr is not None and pr.find(self.t["showingPlcHdr"]) is not None

    def finish(self) -> None:
        """Put each floating box's text where it shows, then list the body paragraphs."""
        empty = {id(c) for t in self.doc.tables for c in t.cells if not c.text.strip()}
        for box in self.boxes:
            _, where = place(box, self.layout, empty) or self._home(box.anchor)
            if isinstance(where, Cell):
                where.text = f"{where.text}\n{box.text}".strip()
            elif isinstance(where, int) and self.body_texts[where] is not None:
                self.body_texts[where] = f"{self.body_texts[where]}\n{box.text}"
            else:
                self.body_texts.append(box.text)
        self.doc.paragraphs.extend(t.strip() for t in self.body_texts if t is not None and t.strip())

    def _home(self, anchor: Anchor) -> tuple[str, Cell | int | None]:
        """The anchor's own cell or paragraph: where a box goes when the layout cannot tell."""
        if anchor.table is not None:
            cell = self.grids.get(id(anchor.table), {}).get((anchor.row, anchor.col))
            if cell is not None:
                return ("cell", cell)
        return ("block", anchor.block) if anchor.block < len(self.body_texts) else ("end", None)

    # ---------------------------------------------------------- text

    def para_text(self, p: etree._Element) -> str:
        out: list[str] = []
        self._inline(p, out)
        self.field_depth = 0  # a drop-down field never spans paragraphs; a broken one must not hide the rest
        return "".join(out)

    def _inline(self, el: etree._Element, out: list[str]) -> None:
        t = self.t
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in self.skip:
                continue
            if tag == t["fldChar"]:
                self._field_char(child, out)
            elif self.field_depth and tag in self.leaves:
                continue  # a drop-down field's own result: its entry is already written
            elif tag == t["t"]:
                out.append(child.text or "")
            elif tag == t["tab"]:
                out.append("\t")
            elif tag in (t["br"], t["cr"]):
                out.append("\n")
            elif tag == t["noBreakHyphen"]:
                out.append("-")
            elif tag == t["sdt"]:
                if not self._placeholder(child):
                    content = child.find(t["sdtContent"])
                    if content is not None:
                        self._inline(content, out)
            elif tag == t["txbxContent"]:
                text = self._box_text(child)
                if text:
                    if out and not out[-1].endswith("\n"):
                        out.append("\n")
                    out.append(text)
                    out.append("\n")
            elif tag == WP_ANCHOR:
                if not self._floating_drawing(child):
                    self._inline(child, out)
            elif tag in VML_SHAPES:
                if not self._floating_vml(child, el):
                    self._inline(child, out)
            elif tag == f"{{{MC}}}AlternateContent":
                choice = child.find(f"{{{MC}}}Choice")
                if choice is not None:
                    self._inline(choice, out)
                else:
                    fallback = child.find(f"{{{MC}}}Fallback")
                    if fallback is not None:
                        self._inline(fallback, out)
            elif tag == t["tbl"]:
                out.append("\n".join(self.table(child, top=False, place=None)))
            else:
                self._inline(child, out)

    def _box_text(self, content: etree._Element) -> str:
        anchor = self.anchor
        lines = [x for x in self.blocks(content, top=False) if x.strip()]
        self.anchor = anchor  # a table inside the box must not move the box's own anchor
        return "\n".join(lines)

    def _floating_drawing(self, anchor: etree._Element) -> bool:
        """A floating DrawingML text box: collected for placement. False for pictures and groups."""
        contents = list(anchor.iter(self.t["txbxContent"]))
        if len(contents) != 1:
            return False  # a picture (nothing to read) or a group of boxes: read where anchored
        h, v, width, height, in_cell, insets = drawing_geometry(anchor)
        self._collect(contents[0], h, v, width, height, in_cell, insets)
        return True

    def _floating_vml(self, shape: etree._Element, parent: etree._Element) -> bool:
        """An absolutely positioned VML text box (Word 2003-style files, LibreOffice's fallback)."""
        if parent.tag == f"{{{V}}}group":
            return False
        textbox = shape.find(f"{{{V}}}textbox")
        content = textbox.find(self.t["txbxContent"]) if textbox is not None else None
        if content is None:
            return False
        geometry = vml_geometry(shape, textbox)
        if geometry is None:
            return False
        self._collect(content, *geometry)
        return True

    def _collect(self, content, h, v, width, height, in_cell, insets) -> None:
        anchor = self.anchor
        text = self._box_text(content)
        if text.strip():
            self.boxes.append(Box(text, anchor, h, v, width, height, in_cell, insets))

    def _field_char(self, fld: etree._Element, out: list[str]) -> None:
        """Legacy form fields: a drop-down's chosen entry, a check box as ☑/☐."""
        kind = fld.get(f"{{{self.w}}}fldCharType", "")
        if self.field_depth:
            if kind == "begin":
                self.field_depth += 1
            elif kind == "end":
                self.field_depth -= 1
            return
        if kind != "begin":
            return
        ff = fld.find(self.t["ffData"])
        if ff is None:
            return
        dd = ff.find(self.t["ddList"])
        if dd is not None:
            entries = [e.get(self.t["val"], "") for e in dd.findall(self.t["listEntry"])]
            chosen = dd.find(self.t["result"])
            if chosen is None:
                chosen = dd.find(self.t["default"])
            try:
                index = int(chosen.get(self.t["val"], "0")) if chosen is not None else 0
            except ValueError:
                index = 0
            if 0 <= index < len(entries):
                out.append(entries[index])
            self.field_depth = 1
            return
        box = ff.find(self.t["checkBox"])
        if box is not None:
            state = box.find(self.t["checked"])
            if state is None:
                state = box.find(self.t["default"])
            on = state is not None and state.get(self.t["val"], "1") not in ("0", "false", "off")
            out.append("☑" if on else "☐")

    # ---------------------------------------------------------- tables

    def _unwrap(self, parent: etree._Element, tag: str, placeholder: bool = False):
        """Yield (element, in_placeholder) for `tag` children, unwrapping sdt/customXml."""
        for child in parent:
            if child.tag == tag:
                yield child, placeholder
            elif child.tag == self.t["sdt"]:
                content = child.find(self.t["sdtContent"])
                if content is not None:
                    yield from self._unwrap(content, tag, placeholder or self._placeholder(child))
            elif child.tag in (self.t["customXml"], self.t["ins"], self.t["moveTo"]):
                yield from self._unwrap(child, tag, placeholder)

    def _int(self, parent: etree._Element | None, tag: str, default: int) -> int:
        if parent is None:
            return default
        el = parent.find(self.t[tag])
        if el is None:
            return default
        try:
            return max(1 if tag == "gridSpan" else 0, min(int(el.get(self.t["val"], default)), MAX_SPAN))
        except ValueError:
            return default

    def table(self, tbl: etree._Element, top: bool, place: _CellPlace | None) -> list[str]:
        """Add `tbl` as a Table (nested ones after it); return its text lines.

        Its layout (column edges, estimated row heights) is recorded so floating
        boxes can be placed over a top-level table's cells."""
        table = Table(name=f"表格{sum(1 for _ in self.doc.tables) + 1}")
        self.doc.tables.append(table)
        left, edges = self.measure.table_columns(tbl)
        frame = Frame(table, left, edges)
        self.grids[id(table)] = frame.at
        if top:
            block = len(self.layout.blocks)
            self.layout.blocks.append(Block(0.0, frame))
            self.layout.frames[id(table)] = frame
            self.body_texts.append(None)
        else:
            block = place.anchor.block if place is not None else self.anchor.block
        open_v: dict[int, Cell] = {}  # column -> cell still open for vMerge
        lines: list[str] = []
        r = -1
        for tr, _ in self._unwrap(tbl, self.t["tr"]):
            trpr = tr.find(self.t["trPr"])
            if trpr is not None and trpr.find(self.t["del"]) is not None:
                continue  # a row deleted with Track Changes on: accepting the changes removes it
            if self._deleted_row(tr):
                continue  # the same, after a .doc round trip kept only its text's deletion
            r += 1
            if r >= MAX_ROWS:
                break
            col = self._int(trpr, "gridBefore", 0)
            row_texts: list[str] = []
            still_open: dict[int, Cell] = {}
            prev: Cell | None = None
            content = 0.0
            for k, (tc, placeholder) in enumerate(self._unwrap(tr, self.t["tc"])):
                if k >= MAX_CELLS_PER_ROW:
                    break
                tcpr = tc.find(self.t["tcPr"])
                span = self._int(tcpr, "gridSpan", 1)
                vmerge = tcpr.find(self.t["vMerge"]) if tcpr is not None else None
                hmerge = tcpr.find(self.t["hMerge"]) if tcpr is not None else None
                deleted_cell = tcpr is not None and tcpr.find(self.t["cellDel"]) is not None
                cell_place = (
                    _CellPlace(
                        Anchor(block, table, r, col, placed=top), self._cell_width(edges, col, span, tcpr)
                    )
                    if self.measuring
                    else None
                )
                text = (
                    ""
                    if placeholder or deleted_cell
                    else "\n".join(self.blocks(tc, top=False, place=cell_place)).strip()
                )
                if vmerge is None and cell_place is not None:
                    content = max(content, cell_place.y)
                if hmerge is not None and hmerge.get(self.t["val"]) != "restart" and prev is not None:
                    prev.col_span += span
                    if text:
                        prev.text = f"{prev.text}\n{text}".strip()
                elif vmerge is not None and vmerge.get(self.t["val"]) != "restart" and col in open_v:
                    cell = open_v[col]
                    cell.row_span = r - cell.row + 1
                    if text:
                        cell.text = f"{cell.text}\n{text}".strip()
                    still_open[col] = cell
                    prev = cell
                else:
                    cell = Cell(row=r, col=col, text=text, col_span=span)
                    table.cells.append(cell)
                    if vmerge is not None:
                        still_open[col] = cell
                    prev = cell
                    if text:
                        row_texts.append(text)
                if self.measuring:
                    for c in range(col, col + span):
                        frame.at.setdefault((r, c), prev)
                col += span
            open_v = still_open
            frame.row_heights.append(self.measure.row_height(tr, content) if self.measuring else 0.0)
            lines.append("\t".join(row_texts))
        self.table_height = sum(frame.row_heights)
        if top:
            self.layout.blocks[block].height = self.table_height
        return [x for x in lines if x]

    def _deleted_row(self, tr: etree._Element) -> bool:
        """True when all the row shows is deleted text: Word deleted the row with Track Changes
        on, and LibreOffice's .doc round trip kept the deletion of its text but not of the row."""
        if not any((d.text or "").strip() for d in tr.iter(self.t["delText"])):
            return False
        gone = (self.t["del"], self.t["moveFrom"])
        for t in tr.iter(self.t["t"]):
            if not (t.text or "").strip():
                continue
            for ancestor in t.iterancestors():
                if ancestor is tr:
                    return False  # live text
                if ancestor.tag in gone:
                    break
        return True

    def _cell_width(self, edges: list[float], col: int, span: int, tcpr: etree._Element | None) -> float:
        """The text width of a cell: its grid columns, else its w:tcW, less the cell margins."""
        if col + span < len(edges):
            width = edges[col + span] - edges[col]
        else:
            tcw = tcpr.find(self.t["tcW"]) if tcpr is not None else None
            try:
                width = float(tcw.get(self.t["w"], "0")) if tcw is not None else 0.0
            except ValueError:
                width = 0.0
        return max(width - 2 * CELL_PAD, 200.0)
