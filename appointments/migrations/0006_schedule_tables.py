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


# The schedule, step 1 of 3: the new tables and columns, every new column still optional.
# (Three migrations, each its own transaction: PostgreSQL refuses to alter a table whose rows
# the same transaction has just updated.)


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0005_one_spam_fact'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Patient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120)),
                ('phone', phonenumber_field.modelfields.PhoneNumberField(blank=True, help_text='Stored in international form; type it as you say it.', max_length=128, region=None)),
                ('email', models.EmailField(blank=True, help_text='Confirmations, changes and reminders go here. Leave empty if the patient has none: the dashboard then reminds you to call them.', max_length=254)),
                ('preferred_contact_method', models.CharField(blank=True, choices=[('phone', 'Phone call'), ('text', 'Text message'), ('email', 'Email')], max_length=10, verbose_name='contact by')),
                ('notes', models.TextField(blank=True, help_text='Never shown or sent to the patient.', verbose_name='notes for staff')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='added')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'patient',
                'verbose_name_plural': 'patients',
                'ordering': ['name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='Practitioner',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='As patients know them.', max_length=120)),
                ('credentials', models.CharField(blank=True, help_text='Letters after the name, e.g. “D.C.”.', max_length=40)),
                ('is_bookable', models.BooleanField(default=True, help_text='Untick for someone who no longer sees patients; their past visits stay.', verbose_name='can be booked')),
                ('order', models.PositiveSmallIntegerField(default=0, help_text='Lower numbers come first in lists and the calendar.')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'practitioner',
                'verbose_name_plural': 'practitioners',
                'ordering': ['order', 'name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='VisitChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('booked', 'Booked'), ('rescheduled', 'Moved'), ('cancelled', 'Cancelled'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('no_show', 'No-show'), ('called', 'Patient called')], max_length=12)),
                ('from_starts_at', models.DateTimeField(blank=True, null=True, verbose_name='was')),
                ('to_starts_at', models.DateTimeField(blank=True, null=True, verbose_name='now')),
                ('note', models.CharField(blank=True, max_length=500)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'visit change',
                'verbose_name_plural': 'visit changes',
                'ordering': ['changed_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='VisitSeries',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('description', models.CharField(max_length=200)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'series of visits',
                'verbose_name_plural': 'series of visits',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='VisitType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True)),
                ('duration_minutes', models.PositiveSmallIntegerField(help_text='How long the visit itself takes.', verbose_name='length (minutes)')),
                ('buffer_minutes', models.PositiveSmallIntegerField(default=0, help_text='Time kept free after the visit (notes, cleaning); nobody can be booked in it.', verbose_name='buffer after (minutes)')),
                ('is_for_new_patients', models.BooleanField(default=True, help_text='Untick for visits only for patients already seen (e.g. a follow-up).', verbose_name='new patients may have it')),
                ('is_active', models.BooleanField(default=True, help_text='Untick to stop offering it; past visits keep it.', verbose_name='in use')),
                ('order', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'visit type',
                'verbose_name_plural': 'visit types',
                'ordering': ['order', 'name'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_about_exactly_one_submission',
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_one_reminder_per_visit',
        ),
        migrations.RemoveConstraint(
            model_name='visit',
            name='visit_practitioner_no_overlap',
        ),
        migrations.AddField(
            model_name='notification',
            name='visit_sequence',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='visit',
            name='blocked_until',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='visit',
            name='buffer',
            field=models.DurationField(default=datetime.timedelta(0), editable=False, verbose_name='buffer after'),
        ),
        migrations.AddField(
            model_name='visit',
            name='call_needed',
            field=models.CharField(blank=True, choices=[('', 'Nothing'), ('confirm', 'Call to confirm the visit'), ('tell_change', 'Call to tell them the new time'), ('tell_cancel', 'Call to tell them it is cancelled')], default='', max_length=12, verbose_name='still to tell the patient'),
        ),
        migrations.AddField(
            model_name='visit',
            name='reference',
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.AddField(
            model_name='visit',
            name='sequence',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='visit',
            name='source',
            field=models.CharField(choices=[('phone', 'Phone'), ('walk_in', 'Walk-in'), ('web', 'Web request')], default='phone', max_length=10, verbose_name='booked by'),
        ),
        migrations.AddField(
            model_name='visit',
            name='status',
            field=models.CharField(choices=[('booked', 'Booked'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('no_show', 'No-show'), ('cancelled', 'Cancelled')], default='booked', max_length=10),
        ),
        migrations.AlterField(
            model_name='accessrecord',
            name='action',
            field=models.CharField(choices=[('viewed', 'Viewed a request'), ('viewed_patient', 'Viewed a patient'), ('exported', 'Exported requests'), ('merged', 'Merged patient records')], max_length=16),
        ),
        migrations.AlterField(
            model_name='accessrecord',
            name='references',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=24), help_text='The references of the requests, or the numbers of the patients, concerned.'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('staff_new_request', 'New request (to the front desk)'), ('patient_acknowledgement', 'Request received (to the patient)'), ('staff_new_message', 'New message (to the front desk)'), ('message_acknowledgement', 'Message received (to the patient)'), ('visit_confirmation', 'Visit confirmation (to the patient)'), ('visit_reminder', 'Visit reminder (to the patient)'), ('visit_series_confirmation', 'Series of visits confirmation (to the patient)'), ('visit_moved', 'Visit moved (to the patient)'), ('visit_cancelled', 'Visit cancelled (to the patient)'), ('cancellation_notice', 'Cancellation (to the front desk)')], max_length=40),
        ),
        migrations.AlterField(
            model_name='visit',
            name='appointment_request',
            field=models.ForeignKey(blank=True, help_text='The web request it was booked from, if any.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='appointments.appointmentrequest'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='cancellation_reason',
            field=models.CharField(blank=True, help_text="Why it was cancelled (the patient's words when they cancelled online).", max_length=500),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['phone'], name='patient_phone_idx'),
        ),
        migrations.AddField(
            model_name='appointmentrequest',
            name='patient',
            field=models.ForeignKey(blank=True, help_text='Found or created from the name, phone and email the patient gave.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointment_requests', to='appointments.patient'),
        ),
        migrations.AddField(
            model_name='contactmessage',
            name='patient',
            field=models.ForeignKey(blank=True, help_text='Found or created from the name, phone and email the sender gave.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contact_messages', to='appointments.patient'),
        ),
        migrations.AddField(
            model_name='visit',
            name='patient',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='appointments.patient'),
        ),
        migrations.AddField(
            model_name='practitioner',
            name='user',
            field=models.OneToOneField(blank=True, help_text="Optional: the practitioner's own sign-in, if they have one.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='practitioner', to=settings.AUTH_USER_MODEL, verbose_name='staff account'),
        ),
        migrations.AddField(
            model_name='visit',
            name='practitioner_record',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='appointments.practitioner'),
        ),
        migrations.AddField(
            model_name='visitchange',
            name='changed_by',
            field=models.ForeignKey(blank=True, help_text='Empty when the patient did it through their link.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='visitchange',
            name='visit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='appointments.visit'),
        ),
        migrations.AddField(
            model_name='visitseries',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='visitseries',
            name='patient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visit_series', to='appointments.patient'),
        ),
        migrations.AddField(
            model_name='visit',
            name='series',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='visits', to='appointments.visitseries'),
        ),
        migrations.AddField(
            model_name='visit',
            name='visit_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='appointments.visittype'),
        ),
    ]
