"""The staff console (a back office on the ledger): `run.py web`.

- app.py      the application: the areas below, the guard, static files, error pages
- guard.py    sessions, sign-in, CSRF and security headers for every request
- http.py     what every router shares: `Area` (routes with their permission), the
              signed-in person, pages, forms, CSRF, cookies, redirects, errors
- console.py  per-app state (configuration, ledger, renderer) and sending what an action queued
- routers/    one module per area: overview, cases, correspondence, reminders,
              packet, scoring, accounts
- data.py     what the pages show, read from the ledger (plain functions)
- previews.py originals rendered as page images
- render.py   Jinja2 (templates/web/) with the campaign's form and scoring rules
- server.py   uvicorn, for `run.py web` and `run.py serve`

Accounts, roles, passwords, sessions and the sign-in limit are pipeline/accounts/.
"""
