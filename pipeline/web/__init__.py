"""The staff console (a back office on the ledger): `run.py web`.

app.py holds the application and its security middleware; auth.py accounts,
sessions and CSRF; data.py what each page shows; previews.py the originals
rendered as page images; staffwork.py reminders, packet, scoring and audit.
"""
