from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="confidence",
            field=models.CharField(
                choices=[("high", "high"), ("medium", "medium"), ("low", "low")],
                default="high",
                max_length=6,
            ),
        ),
    ]
