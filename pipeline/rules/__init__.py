"""Validation and decision rules (one small named unit each)."""

from .base import ActiveSubmission, Context, FormFound, Outcome, Rule, account_key, replaced_by, versions_of
from .catalog import RULES
from .engine import Decision, decide, recheck

__all__ = [
    "RULES",
    "ActiveSubmission",
    "Context",
    "Decision",
    "FormFound",
    "Outcome",
    "Rule",
    "account_key",
    "decide",
    "recheck",
    "replaced_by",
    "versions_of",
]
