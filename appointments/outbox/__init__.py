"""The email outbox below the tasks: delivering notifications (delivery), what each email says
and carries (emails, calendar_files), and creating visit reminders (reminders).

Nothing here queues a task: the tasks in appointments/tasks.py call these functions and decide
what to queue next (a retry, the reminders' deliveries).
"""
