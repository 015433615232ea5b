import secrets

from django.db import migrations

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(taken):
    while True:
        reference = "KEN-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))
        if reference not in taken:
            taken.add(reference)
            return reference


def _same_name(first, second):
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


def fill_in(apps, schema_editor):
    """The schedule, step 2 of 3: the records the new columns point at.

    - A practitioner record for every staff account that had visits or was in the
      Practitioners group, linked to that account.
    - A patient record for every request and message (one per person: the same name with the
      same phone or email), and each visit given its request's patient.
    - Each visit's reference, state (cancelled or booked), source (web) and blocked time.
    """
    User = apps.get_model("auth", "User")
    Practitioner = apps.get_model("appointments", "Practitioner")
    Patient = apps.get_model("appointments", "Patient")
    Visit = apps.get_model("appointments", "Visit")
    AppointmentRequest = apps.get_model("appointments", "AppointmentRequest")
    ContactMessage = apps.get_model("appointments", "ContactMessage")

    user_ids = set(Visit.objects.values_list("practitioner_id", flat=True)) | set(
        User.objects.filter(groups__name="Practitioners").values_list("pk", flat=True)
    )
    records = {}
    for order, user in enumerate(User.objects.filter(pk__in=user_ids).order_by("pk")):
        name = f"{user.first_name} {user.last_name}".strip() or user.username
        records[user.pk] = Practitioner.objects.create(
            name=name, user=user, is_bookable=user.is_active, order=order
        )

    patients = []

    def patient_for(name, phone, email, method=""):
        phone, email = phone or "", email or ""
        for patient in patients:
            same_contact = (phone and patient.phone == phone) or (
                email and patient.email.casefold() == email.casefold()
            )
            if same_contact and _same_name(patient.name, name):
                return patient
        patient = Patient.objects.create(
            name=name, phone=phone, email=email, preferred_contact_method=method
        )
        patients.append(patient)
        return patient

    for request in AppointmentRequest.objects.exclude(status="spam").order_by(
        "created_at", "pk"
    ):
        request.patient = patient_for(
            request.name,
            str(request.phone or ""),
            request.email,
            request.preferred_contact_method,
        )
        request.save(update_fields=["patient"])
    for message in ContactMessage.objects.exclude(status="spam").order_by(
        "created_at", "pk"
    ):
        message.patient = patient_for(message.name, str(message.phone or ""), message.email)
        message.save(update_fields=["patient"])

    taken = set(AppointmentRequest.objects.values_list("reference", flat=True))
    for visit in Visit.objects.select_related("appointment_request").order_by("pk"):
        request = visit.appointment_request
        if request.patient_id is None:  # a visit for a request later marked as spam
            request.patient = patient_for(request.name, str(request.phone), request.email)
            request.save(update_fields=["patient"])
        visit.patient_id = request.patient_id
        visit.practitioner_record = records[visit.practitioner_id]
        visit.reference = _reference(taken)
        visit.status = "cancelled" if visit.cancelled_at else "booked"
        visit.source = "web"
        visit.blocked_until = visit.ends_at
        visit.save(
            update_fields=[
                "patient",
                "practitioner_record",
                "reference",
                "status",
                "source",
                "blocked_until",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0006_schedule_tables")]

    operations = [migrations.RunPython(fill_in, migrations.RunPython.noop)]
