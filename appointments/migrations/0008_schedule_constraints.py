import appointments.models.requests
import appointments.models.schedule
import datetime
import django.contrib.postgres.constraints
import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
import phonenumber_field.modelfields
from django.conf import settings
from django.db import migrations, models


# The schedule, step 3 of 3: every visit now has its patient, practitioner record, reference
# and blocked time, so those become required, and the constraints return.


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0007_schedule_records'),
    ]

    operations = [
        migrations.AlterField(
            model_name='visit',
            name='blocked_until',
            field=models.DateTimeField(editable=False),
        ),
        migrations.AlterField(
            model_name='visit',
            name='reference',
            field=models.CharField(default=appointments.models.requests.new_reference, editable=False, help_text='The patient may quote it; their emails carry it.', max_length=12, unique=True),
        ),
        migrations.AlterField(
            model_name='visit',
            name='patient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='appointments.patient'),
        ),
        migrations.RemoveField(
            model_name='visit',
            name='practitioner',
        ),
        migrations.RenameField(
            model_name='visit',
            old_name='practitioner_record',
            new_name='practitioner',
        ),
        migrations.AlterField(
            model_name='visit',
            name='practitioner',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='appointments.practitioner'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('appointment_request__isnull', False), ('contact_message__isnull', True)), models.Q(('appointment_request__isnull', True), ('contact_message__isnull', False)), models.Q(('appointment_request__isnull', True), ('contact_message__isnull', True), ('visit__isnull', False)), _connector='OR'), name='notification_about_one_thing'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'visit_reminder')), fields=('visit', 'visit_sequence', 'kind'), name='notification_one_reminder_per_visit_time'),
        ),
        migrations.AddConstraint(
            model_name='visittype',
            constraint=models.CheckConstraint(condition=models.Q(('duration_minutes__gte', 5), ('duration_minutes__lte', 480)), name='visit_type_sensible_length'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(('blocked_until__gte', models.F('ends_at'))), name='visit_blocked_until_after_end'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(('status', 'cancelled'), _negated=True), expressions=[(appointments.models.schedule.TsTzRange('starts_at', 'blocked_until'), '&&'), ('practitioner', '=')], name='visit_practitioner_no_overlap'),
        ),
    ]
