"""Recording what happened: a request's status steps and a visit's changes (who and when).

Plain inserts inside the caller's transaction, shared by the other services.
"""

from ..models import StatusChange, VisitChange


def record_request_status(appointment_request, to_status: str, *, by) -> StatusChange:
    """Move the (locked) request to `to_status` and keep the step in its history."""
    change = StatusChange.objects.create(
        appointment_request=appointment_request,
        from_status=appointment_request.status,
        to_status=to_status,
        changed_by=by,
    )
    appointment_request.status = to_status
    appointment_request.status_changed_at = change.changed_at
    appointment_request.save(
        update_fields=["status", "status_changed_at", "updated_at"]
    )
    return change


def record_visit_change(visit, action: str, *, by, note="", was=None) -> VisitChange:
    return VisitChange.objects.create(
        visit=visit,
        action=action,
        from_starts_at=was,
        to_starts_at=visit.starts_at if was is not None else None,
        note=note[:500],
        changed_by=by,
    )
