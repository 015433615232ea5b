"""Patient records: found or created from what a patient gives us, and merged by staff."""

from django.db import transaction

from ..models import (
    AccessRecord,
    AppointmentRequest,
    ContactMessage,
    Patient,
    Visit,
    VisitSeries,
)


class PatientMergeError(Exception):
    """A merge staff cannot make; the message says why."""


def find_or_create_patient(
    *, name: str, phone="", email: str = "", preferred_contact_method: str = ""
) -> Patient:
    """The record of the person who wrote: theirs if it exists (same name with the same phone
    or email), else a new one. What they gave now fills what the record lacks."""
    patient = Patient.objects.matching(name=name, phone=phone, email=email)
    if patient is None:
        return Patient.objects.create(
            name=name,
            phone=phone or "",
            email=email,
            preferred_contact_method=preferred_contact_method,
        )
    changed = []
    for field, value in [
        ("phone", phone),
        ("email", email),
        ("preferred_contact_method", preferred_contact_method),
    ]:
        if value and not getattr(patient, field):
            setattr(patient, field, value)
            changed.append(field)
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
    return patient


@transaction.atomic
def merge_patients(*, keep: Patient, duplicate: Patient, by) -> Patient:
    """Move everything of `duplicate` to `keep`, fill `keep`'s gaps, then delete `duplicate`."""
    if keep.pk == duplicate.pk:
        raise PatientMergeError("A patient record cannot be merged into itself.")
    # Lock both, always in the same order, so that two merges cannot deadlock.
    locked = {
        patient.pk: patient
        for patient in Patient.objects.select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise PatientMergeError("One of the two records no longer exists.")
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    for model in (AppointmentRequest, ContactMessage, Visit, VisitSeries):
        model.objects.filter(patient=duplicate).update(patient=keep)
    for field in ("phone", "email", "preferred_contact_method"):
        if not getattr(keep, field) and getattr(duplicate, field):
            setattr(keep, field, getattr(duplicate, field))
    if duplicate.notes.strip():
        keep.notes = "\n\n".join(
            part for part in [keep.notes.strip(), duplicate.notes.strip()] if part
        )
    keep.save()
    AccessRecord.objects.create(
        user=by,
        username=by.get_username(),
        action=AccessRecord.Action.MERGED_PATIENTS,
        references=[duplicate.audit_label, keep.audit_label],
    )
    duplicate.delete()
    return keep
