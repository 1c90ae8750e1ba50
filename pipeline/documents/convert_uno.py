"""UNO side of the warm converter; runs under Debian's /usr/bin/python3.

The project venv cannot import `uno` (it ships with LibreOffice's own
Python bindings, package python3-uno), so convert.py starts this script
with the system interpreter. It launches one headless soffice, connects
over a private pipe, then serves one JSON request per stdin line:

    {"src": "/abs/in.doc", "dst": "/abs/out.docx", "filter": "MS Word 2007 XML",
     "service": "com.sun.star.text.TextDocument"}

and answers one JSON line on stdout: {"ok": true} or {"ok": false, "error": "..."}.
On stdin EOF it exits; convert.py kills the whole process group (soffice,
oosplash, soffice.bin) through its lifeline. It must stay importable without uno so
ruff/pytest collection in the venv do not fail, hence the lazy import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time


def _props(**values):
    from com.sun.star.beans import PropertyValue

    out = []
    for key, value in values.items():
        prop = PropertyValue()
        prop.Name = key
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _connect(pipe: str, proc: subprocess.Popen, wait: float):
    import uno

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + wait
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"soffice exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _create(ctx, service: str):
    return ctx.ServiceManager.createInstanceWithContext(service, ctx)


def _answers(ctx) -> bool:
    """Whether soffice still answers over the bridge. After soffice.bin is killed the
    failed call's exception does not always say "disposed", and its launcher (our
    `proc`) may not be reaped yet: ask once more before calling the file bad."""
    try:
        _create(ctx, "com.sun.star.frame.Desktop")
    except Exception:
        return False
    return True


def _import_filter(ctx, url: str, forced: str) -> tuple[str, str]:
    """(import filter, document service) for `url`, by LibreOffice's own deep detection."""
    filters = _create(ctx, "com.sun.star.document.FilterFactory")
    name = forced
    if not name:
        detection = _create(ctx, "com.sun.star.document.TypeDetection")
        type_name, descriptor = detection.queryTypeByDescriptor(_props(URL=url), True)
        found = {p.Name: p.Value for p in descriptor}
        name = found.get("FilterName") or ""
        if not name and type_name:
            name = {p.Name: p.Value for p in detection.getByName(type_name)}.get("PreferredFilter") or ""
        if not name:
            raise RuntimeError(f"no import filter detected (type {type_name!r})")
    service = {p.Name: p.Value for p in filters.getByName(name)}.get("DocumentService") or ""
    return name, service


def _convert(ctx, request: dict) -> None:
    """Load the file as a bare document model and store it with the export filter.

    No frame, no view: loadComponentFromURL builds a Writer view even when
    hidden, and on the *-nogui packages (no modules/swriter/ui/*.ui) views of
    documents with footnotes, fields, comments or floating frames abort
    soffice (NoSuchElementException from InterimItemWindow) or return None.
    A model loaded through XLoadable has no UI at all, which is also cheaper.
    """
    import uno

    url = uno.systemPathToFileUrl(request["src"])
    filter_name, service = _import_filter(ctx, url, request.get("import_filter") or "")
    wanted = request.get("service")
    if wanted and service != wanted:
        raise RuntimeError(f"is a {service or 'unknown'} document, not {wanted}")
    doc = _create(ctx, service)
    # Read-only, macros never executed, links never updated, no repair prompts.
    doc.load(
        _props(
            URL=url,
            FilterName=filter_name,
            ReadOnly=True,
            Hidden=True,
            MacroExecutionMode=0,
            UpdateDocMode=0,
            RepairPackage=False,
        )
    )
    try:
        doc.storeToURL(
            uno.systemPathToFileUrl(request["dst"]),
            _props(FilterName=request["filter"], Overwrite=True),
        )
    finally:
        try:
            doc.close(True)
        except Exception:
            doc.dispose()


def main(argv: list[str]) -> int:
    soffice, profile_url, pipe = argv[1:4]
    proc = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "--nofirststartwizard",
            f"-env:UserInstallation={profile_url}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = sys.stdout
    try:
        ctx = _connect(pipe, proc, wait=60)
    except Exception as exc:
        out.write(json.dumps({"ready": False, "error": str(exc)}) + "\n")
        out.flush()
        proc.kill()
        return 1
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                _convert(ctx, json.loads(line))
                reply: dict[str, object] = {"ok": True}
            except Exception as exc:
                text = f"{type(exc).__name__}: {exc}"
                # soffice crashed or the bridge died: the caller must start afresh.
                dead = proc.poll() is not None or "dispos" in text.lower() or not _answers(ctx)
                reply = {"ok": False, "error": text[:500], "restart": dead}
            out.write(json.dumps(reply) + "\n")
            out.flush()
            if reply.get("restart"):
                break
    finally:
        # No polite desktop.terminate() and wait: the caller SIGKILLs our whole
        # process group (lifeline.py) right after closing our stdin, which is
        # instant; the profile and temp files are throw-away.
        proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
