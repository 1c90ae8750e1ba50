"""One mail, several accounts: which files belong to which nomination.

A unit may nominate up to its quota of accounts, and the level below sends
its whole packet (one folder per account) in one mail. Each account is then
its own submission, with the materials that sit in the same folder as its
推荐表. When the files are not in separate folders, every account gets all
the materials (staff see them; the checks count them for each).
"""

from __future__ import annotations

from ..model import Attachment, AttachmentKind, Document
from .base import FormFound

FileItem = tuple[Attachment, AttachmentKind, Document | None]


def _folder(att: Attachment) -> str:
    return att.origin.rpartition("/")[0] if att.origin else ""


def split_by_account(
    forms: list[FormFound], files: list[FileItem], quota: int
) -> list[tuple[list[FormFound], list[FileItem]]]:
    """[(forms, files)] per account; a single part when there is nothing to split.

    Nothing is split when there is one account, or more accounts than the unit
    may nominate (the several_accounts rule then tells the unit).
    """
    best: dict[str, FormFound] = {}
    # A name read from a scan and still to be checked is no account of its own beside
    # a name read for sure (rules.versions_of): the photo goes with the Word file.
    named = [f for f in forms if f.account_key and not f.unsure] or [f for f in forms if f.account_key]
    for f in named:
        key = f.account_key
        score = (f.form.score, f.form.labels_found)
        if key not in best or score > (best[key].form.score, best[key].form.labels_found):
            best[key] = f
    if len(best) <= 1 or len(best) > quota:
        return [(forms, files)]
    chosen = list(best.values())
    folders = [_folder(f.attachment) for f in chosen]
    by_folder = len(set(folders)) == len(folders)
    chosen_atts = {id(f.attachment) for f in chosen}

    def owner(att: Attachment) -> int | None:
        """Index of the account whose folder holds `att`; None = shared by all."""
        if not by_folder:
            return None
        here = _folder(att)
        for i, folder in enumerate(folders):
            if here == folder or here.startswith(folder + "/"):
                return i
        return None

    parts = []
    for i, form in enumerate(chosen):
        mine = []
        for item in files:
            att = item[0]
            if id(att) in chosen_atts:
                if att is form.attachment:
                    mine.append(item)
            elif owner(att) in (i, None):
                mine.append(item)
        parts.append(([form], mine))
    return parts
