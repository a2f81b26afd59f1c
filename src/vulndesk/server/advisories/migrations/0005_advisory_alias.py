"""The alias index: one row per name (record id or alias) of each stored record, which imports
walk to regroup only the alias groups they touch; filled here for the records already stored.

Stored group keys need no change: the full regrouping of every import before this one left
each record with its component's key, which is what the index gives.
"""

import django.db.models.deletion
from django.db import migrations, models

_CHUNK = 2000


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Write the index rows of every stored record, a chunk of records at a time (keyset by id,
    so memory stays flat and no cursor stays open while rows are written)."""
    Advisory = apps.get_model("advisories", "Advisory")
    AdvisoryAlias = apps.get_model("advisories", "AdvisoryAlias")
    last = ""
    while rows := list(
        Advisory.objects.filter(id__gt=last)
        .order_by("id")
        .values_list("id", "record_id", "aliases")[:_CHUNK]
    ):
        AdvisoryAlias.objects.bulk_create(
            AdvisoryAlias(advisory_id=key, name=name)
            for key, record_id, aliases in rows
            for name in _names(record_id, aliases)
        )
        last = rows[-1][0]


def _names(record_id, aliases):  # type: ignore[no-untyped-def]
    # services._names as of this migration: what AliasGroups.add joins, blank ids left out
    if not record_id.strip():
        return set()
    return {record_id, *(alias for alias in aliases or () if alias.strip())}


class Migration(migrations.Migration):
    dependencies = [
        ("advisories", "0004_sources_kev_epss"),
    ]

    operations = [
        migrations.CreateModel(
            name="AdvisoryAlias",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "advisory_id",
                        "name",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("name", models.TextField()),
                (
                    "advisory",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="names",
                        to="advisories.advisory",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["name", "advisory"], name="advisory_alias_name")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
