"""The official calendar: holiday arrangements as data, seeded with every year the
chinesecalendar library covers (2004 to 2026 in version 1.11.0). Later years are entered by
staff in the admin, or added by `calendar_seed_from_library` once the library has them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def seed(apps, schema_editor):
    from common.lib.holidays import library_arrangements

    CalendarDay = apps.get_model("common", "CalendarDay")
    have = {day.year for day in CalendarDay.objects.dates("date", "year")}
    CalendarDay.objects.bulk_create(
        CalendarDay(date=row.date, kind=row.kind, name=row.name)
        for row in library_arrangements()
        if row.date.year not in have
    )


def unseed(apps, schema_editor):
    apps.get_model("common", "CalendarDay").objects.filter(entered_by__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('common', '0001_outbox_and_handovers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='date')),
                ('kind', models.CharField(choices=[('holiday', 'Holiday (day off)'), ('workday', 'Adjusted working day')], max_length=10, verbose_name='arrangement')),
                ('name', models.CharField(help_text="As the State Council's notice names it, e.g. 国庆节.", max_length=60, verbose_name='holiday name')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by')),
            ],
            options={
                'verbose_name': 'holiday arrangement',
                'verbose_name_plural': 'holiday arrangements',
                'ordering': ['date'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind', 'holiday'), ('date__iso_week_day__gte', 6), _connector='OR'), name='calendar_workday_on_weekend', violation_error_message='An adjusted working day falls on a Saturday or Sunday.')],
            },
        ),
        migrations.RunPython(seed, unseed),
    ]
