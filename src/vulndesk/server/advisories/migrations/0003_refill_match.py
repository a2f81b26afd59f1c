"""Fill ``Advisory.match`` from ``raw`` for records stored before it existed or before its shape
changed (it now keeps the first line of ``details`` when a record has no summary)."""

from django.db import migrations


def refill(apps, schema_editor):  # type: ignore[no-untyped-def]
    import orjson

    from vulndesk.core.advisories.osv import matching_subset

    Advisory = apps.get_model("advisories", "Advisory")
    batch = []
    for pk, raw in Advisory.objects.values_list("pk", "raw").iterator(2000):
        batch.append(
            Advisory(pk=pk, match=orjson.dumps(matching_subset(orjson.loads(raw))).decode())
        )
        if len(batch) >= 2000:
            Advisory.objects.bulk_update(batch, ["match"])
            batch.clear()
    if batch:
        Advisory.objects.bulk_update(batch, ["match"])


class Migration(migrations.Migration):
    dependencies = [("advisories", "0002_advisory_match")]
    operations = [migrations.RunPython(refill, migrations.RunPython.noop)]
