from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("advisories", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="advisory",
            name="match",
            field=models.TextField(
                default="", help_text="the part of raw that matching reads (osv.matching_subset)"
            ),
        ),
    ]
