"""The sources every installation has, created disabled: nothing reaches for the internet until
someone enables a source (``vulndesk feeds enable``)."""

from datetime import timedelta

from django.db import migrations

HOUR = timedelta(hours=1)
# name, kind, settings, interval (as in feeds.catalog when this migration was written)
SOURCES = [
    ("nvd", "nvd", {"api_key_env": "VULNDESK_NVD_API_KEY"}, 2 * HOUR),
    ("cvelist", "cvelist", {}, HOUR),
    ("kev", "kev", {}, 6 * HOUR),
    ("epss", "epss", {}, 24 * HOUR),
    ("euvd", "euvd", {}, 6 * HOUR),
    ("jvn", "jvn", {}, 24 * HOUR),
] + [
    (f"osv-{ecosystem}", "osv", {"ecosystem": ecosystem}, HOUR)
    for ecosystem in (
        "PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist", "Hex",
        "Pub", "Debian", "Ubuntu", "Alpine", "AlmaLinux", "Rocky Linux",
    )
]  # fmt: skip


def create_sources(apps, schema_editor):  # type: ignore[no-untyped-def]
    FeedSource = apps.get_model("feeds", "FeedSource")
    for name, kind, settings, interval in SOURCES:
        FeedSource.objects.get_or_create(
            name=name, defaults={"kind": kind, "settings": settings, "interval": interval}
        )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0001_initial")]

    operations = [migrations.RunPython(create_sources, migrations.RunPython.noop)]
