"""EPSS scores move from every finding row to one row per alias group (``GroupEpss``).

The scores the findings held are copied first (a group's findings all hold the same one), so
nothing shown changes; the column goes after.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_scores(apps, schema_editor):
    finding = schema_editor.quote_name(apps.get_model("findings", "Finding")._meta.db_table)
    group = schema_editor.quote_name(apps.get_model("findings", "GroupEpss")._meta.db_table)
    schema_editor.execute(
        f"INSERT INTO {group} (vulnerability_id, epss) SELECT vulnerability_id, MAX(epss) "
        f"FROM {finding} WHERE epss IS NOT NULL GROUP BY vulnerability_id"
    )


def copy_back(apps, schema_editor):
    finding = schema_editor.quote_name(apps.get_model("findings", "Finding")._meta.db_table)
    group = schema_editor.quote_name(apps.get_model("findings", "GroupEpss")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {finding} SET epss = (SELECT g.epss FROM {group} g "
        f"WHERE g.vulnerability_id = {finding}.vulnerability_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0003_triage_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="GroupEpss",
            fields=[
                (
                    "vulnerability_id",
                    models.CharField(max_length=255, primary_key=True, serialize=False),
                ),
                ("epss", models.FloatField()),
            ],
        ),
        migrations.RunPython(copy_scores, copy_back, elidable=False),
        migrations.RemoveIndex(
            model_name="finding",
            name="finding_epss",
        ),
        migrations.AddIndex(
            model_name="groupepss",
            index=models.Index(fields=["epss"], name="group_epss_score"),
        ),
        # a relation without a column: in the state only (SQLite's schema editor cannot remove
        # a ForeignObject again, as the reverse of AddField would ask it to)
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="finding",
                    name="group_epss",
                    field=models.ForeignObject(
                        from_fields=["vulnerability_id"],
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="findings.groupepss",
                        to_fields=["vulnerability_id"],
                    ),
                ),
            ]
        ),
        migrations.RemoveField(
            model_name="finding",
            name="epss",
        ),
    ]
