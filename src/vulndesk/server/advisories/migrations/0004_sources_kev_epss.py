"""Every source in one table: ``record_id`` (the id as published) next to the storage key, and
``rejected``; KEV entries, EPSS scores and their history; the format of each import.

Stored rows are all OSV, whose storage key is their record id: ``record_id = id``.
"""

from django.db import migrations, models
from django.db.models import F


def fill_record_id(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("advisories", "Advisory").objects.update(record_id=F("id"))


class Migration(migrations.Migration):
    dependencies = [
        ("advisories", "0003_refill_match"),
    ]

    operations = [
        migrations.CreateModel(
            name="EpssHistory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cve_id", models.CharField(max_length=32)),
                ("score_date", models.DateField()),
                ("epss", models.FloatField()),
                ("percentile", models.FloatField()),
            ],
            options={
                "verbose_name_plural": "EPSS history",
            },
        ),
        migrations.CreateModel(
            name="EpssScore",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cve_id", models.CharField(max_length=32, unique=True)),
                ("epss", models.FloatField()),
                ("percentile", models.FloatField()),
                ("score_date", models.DateField()),
                ("model_version", models.CharField(blank=True, max_length=32)),
                ("recorded_epss", models.FloatField()),
            ],
        ),
        migrations.CreateModel(
            name="KevEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cve_id", models.CharField(max_length=32, unique=True)),
                ("vendor_project", models.CharField(blank=True, max_length=255)),
                ("product", models.CharField(blank=True, max_length=255)),
                ("name", models.CharField(blank=True, max_length=500)),
                ("date_added", models.DateField()),
                ("due_date", models.DateField(blank=True, null=True)),
                ("required_action", models.TextField(blank=True)),
                ("short_description", models.TextField(blank=True)),
                ("ransomware_known", models.BooleanField(blank=True, null=True)),
                ("notes", models.TextField(blank=True)),
                ("cwes", models.JSONField(blank=True, default=list)),
                ("catalog_version", models.CharField(blank=True, max_length=32)),
                ("imported_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "KEV entry",
                "verbose_name_plural": "KEV entries",
            },
        ),
        migrations.AddField(
            model_name="advisory",
            name="record_id",
            field=models.CharField(default="", max_length=255),
        ),
        migrations.RunPython(fill_record_id, migrations.RunPython.noop),
        migrations.AddField(
            model_name="advisory",
            name="rejected",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="feedimport",
            name="removed",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="feedimport",
            name="format",
            field=models.CharField(default="osv", max_length=64),
        ),
        migrations.AlterField(
            model_name="advisory",
            name="format",
            field=models.CharField(
                choices=[
                    ("osv", "OSV"),
                    ("nvd", "NVD CVE API 2.0"),
                    ("cve5", "CVE JSON 5"),
                    ("csaf", "CSAF 2.0"),
                    ("jvn", "JVN iPedia"),
                    ("euvd", "EUVD"),
                ],
                default="osv",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="advisory",
            name="id",
            field=models.CharField(max_length=300, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name="advisory",
            name="match",
            field=models.TextField(
                default="",
                help_text="what matching reads (osv.matching_subset, else stored.advisory_to_stored)",
            ),
        ),
        migrations.AddIndex(
            model_name="advisory",
            index=models.Index(fields=["record_id", "id"], name="advisory_record_id"),
        ),
        migrations.AddIndex(
            model_name="epsshistory",
            index=models.Index(fields=["cve_id", "score_date"], name="epss_history_cve"),
        ),
    ]
