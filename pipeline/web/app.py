"""The staff console: a Starlette app serving server-rendered Jinja2 pages.

Every action calls the same staff functions as the command line
(pipeline/staff/), so a decision made here changes the ledger, writes the
audit row and composes the unit's notice exactly as `run.py decide` does.

The app is the areas of routers/ (overview, cases, correspondence,
reminders, packet, scoring, accounts), each route declaring who may use it
(accounts/roles.py), behind the guard (guard.py: sessions, sign-in, CSRF,
security headers), with the static files and the error pages.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ..config import Config
from ..ledger import Ledger
from .console import Console
from .guard import Guard
from .http import http_error, server_error
from .routers import AREAS

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "web" / "static"


def create_app(config: Config, ledger: Ledger | None = None) -> Starlette:
    console = Console(config, ledger)
    routes: list[BaseRoute] = [route for area in AREAS for route in area.routes]
    routes.append(Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"))
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.console = console
    app.add_middleware(Guard, console=console)
    return app
