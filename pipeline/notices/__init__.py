"""Mail the system writes about a case or a mailbox: notices to units (receipts and the
notice after each staff decision, composed from the case's state) and alerts to staff.

They sit below intake and staff, which both send them, and above the outbox that
queues them: composing a notice never depends on who decided.
"""
