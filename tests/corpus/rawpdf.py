"""A ruled 推荐表 PDF whose text layer pdfminer reads as "(cid:N)" but PDFium decodes.

Some PDF printers write CJK text with a Type0 font, Identity-H encoding and
two-byte codes that are the characters' Unicode values, and leave out the
ToUnicode map (and the font file). pdfminer then has no map for the codes
and prints "(cid:20013)"; PDFium falls back to the code itself, which is the
character. The file is written by hand (no PDF library) so the structure is
exactly that and nothing else.
"""

from __future__ import annotations

PAGE_W, PAGE_H = 595, 842
LEFT, LABEL_W, VALUE_W = 70, 110, 345
ROW_H = 26
SIZE = 10.5


def _hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text)


def _text(x: float, y: float, text: str) -> str:
    return f"BT /F1 {SIZE} Tf 1 0 0 1 {x:.1f} {y:.1f} Tm <{_hex(text)}> Tj ET\n"


def cid_form_pdf(rows: list[tuple[str, str]], title: str = "推荐表") -> bytes:
    """One page: a title and a two-column ruled table of (label, value) rows."""
    ops = [_text(PAGE_W / 2 - 24, PAGE_H - 80, title)]
    top = PAGE_H - 110
    bottom = top - ROW_H * len(rows)
    right = LEFT + LABEL_W + VALUE_W
    lines = []
    for i in range(len(rows) + 1):
        y = top - ROW_H * i
        lines.append(f"{LEFT} {y} m {right} {y} l S")
    for x in (LEFT, LEFT + LABEL_W, right):
        lines.append(f"{x} {top} m {x} {bottom} l S")
    ops.append("0.8 w 0 0 0 RG\n" + "\n".join(lines) + "\n")
    for i, (label, value) in enumerate(rows):
        base = top - ROW_H * (i + 1) + 9
        ops.append(_text(LEFT + 6, base, label))
        if value:
            ops.append(_text(LEFT + LABEL_W + 6, base, value))
    content = "".join(ops).encode("ascii")
    widths = " ".join(["500"] * 95)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        (
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor 7 0 R /DW 1000 /W [32 [{widths}]] >>"
        ).encode(),
        (
            b"<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [-8 -145 1000 859] "
            b"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 683 /StemV 80 >>"
        ),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
