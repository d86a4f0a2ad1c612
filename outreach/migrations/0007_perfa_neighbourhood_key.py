import re
import unicodedata

from django.db import migrations, models


def folded(name):
    """outreach.models.neighbourhood_key as of this migration."""
    letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.split(r"[^0-9a-z]+", letters)).strip()


def backfill_keys(apps, schema_editor):
    Neighbourhood = apps.get_model("outreach", "Neighbourhood")
    neighbourhoods = list(Neighbourhood.objects.only("pk", "name"))
    for neighbourhood in neighbourhoods:
        neighbourhood.key = folded(neighbourhood.name)
    Neighbourhood.objects.bulk_update(neighbourhoods, ["key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0006_todo_visits"),
    ]

    operations = [
        migrations.AddField(
            model_name="neighbourhood",
            name="key",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=120, verbose_name="matching key"
            ),
        ),
        migrations.RunPython(backfill_keys, migrations.RunPython.noop),
    ]
