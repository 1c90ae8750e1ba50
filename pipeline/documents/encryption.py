"""Detect password-protected Office and PDF files before trying to read them.

An encrypted file makes every reader fail with a misleading error
(python-docx says "package not found", LibreOffice exits 0 with no output),
so we look first and tell the sender plainly to send an unprotected copy.
"""

from __future__ import annotations

import io

import msoffcrypto

from .sniff import OLE_MAGIC


def office_is_encrypted(data: bytes) -> bool:
    """True for a password-protected doc/xls/docx/xlsx (OLE container)."""
    if not data.startswith(OLE_MAGIC):
        return False  # OOXML with a password is always wrapped in OLE
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        return bool(office.is_encrypted())
    except Exception:
        # msoffcrypto does not know every OLE flavour (WPS, Works);
        # an unknown container is the dispatcher's problem, not encryption.
        return False


def pdf_needs_password(data: bytes) -> bool:
    """True when a PDF cannot be opened without a user password."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return "password" in str(exc).lower()
    except Exception:
        return False
    pdf.close()
    return False
