"""Mail processing as named steps (store raw → parse → read attachments → read
the form → file the case → apply rules → record → answer), each a small unit
in steps/, applied in order by the runner (runner.py) with the durability rules.

    intake = Intake(config, ledger)
    intake.handle(raw_mail)      # keep, claim, process one fetched message
    intake.resume_stale()        # finish the claims of a worker that died
"""

from __future__ import annotations

from .runner import MAX_ATTEMPTS, MAX_UNFINISHED, Intake
from .state import MailState
from .step import Step, StepFailed
from .steps import PIPELINE, step

__all__ = ["MAX_ATTEMPTS", "MAX_UNFINISHED", "PIPELINE", "Intake", "MailState", "Step", "StepFailed", "step"]
