"""Writes with side effects, each in one transaction, queueing their tasks once it commits:
`intake` (what the public forms store), `frontdesk` (the staff's steps: statuses, booking,
cancelling, the audit trail), `outbox` (putting emails in the outbox, sending again) and
`retention` (what the retention period deletes, and what names it)."""
