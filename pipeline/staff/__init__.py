"""The staff-facing layer: decisions, notices to units, digest, reminders,
scoring and the upstream packet. The command line and the web console both
call these functions, so an action taken in either place changes the ledger,
the audit log and the unit's notice in the same way."""
