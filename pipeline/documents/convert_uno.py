"""UNO side of the warm converter; runs under Debian's /usr/bin/python3.

The project venv cannot import `uno` (it ships with LibreOffice's own
Python bindings, package python3-uno), so convert.py starts this script
with the system interpreter. It launches one headless soffice, connects
over a private pipe, then serves one JSON request per stdin line:

    {"src": "/abs/in.doc", "dst": "/abs/out.docx", "filter": "MS Word 2007 XML",
     "service": "com.sun.star.text.TextDocument"}

and answers one JSON line on stdout: {"ok": true} or {"ok": false, "error": "..."}.
On stdin EOF it shuts soffice down. It must stay importable without uno so
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
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"soffice exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _convert(desktop, request: dict) -> None:
    import uno

    # Hidden, read-only, macros never executed, links never updated.
    load = {
        "Hidden": True,
        "ReadOnly": True,
        "MacroExecutionMode": 0,
        "UpdateDocMode": 0,
        "RepairPackage": False,
    }
    if request.get("import_filter"):
        load["FilterName"] = request["import_filter"]
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["src"]), "_blank", 0, _props(**load))
    if doc is None:
        raise RuntimeError("could not be loaded")
    try:
        service = request.get("service")
        if service and not doc.supportsService(service):
            raise RuntimeError(f"loaded as another document type, not {service}")
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
        desktop = _connect(pipe, proc, wait=60)
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
                _convert(desktop, json.loads(line))
                reply = {"ok": True}
            except Exception as exc:
                text = f"{type(exc).__name__}: {exc}"
                # soffice crashed or the bridge died: the caller must start afresh.
                dead = proc.poll() is not None or "dispos" in text.lower()
                reply = {"ok": False, "error": text[:500], "restart": dead}
            out.write(json.dumps(reply) + "\n")
            out.flush()
            if reply.get("restart"):
                break
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
