from django.db import migrations, models


def fill_kind(apps, schema_editor):
    Hall = apps.get_model("regions", "Hall")
    kinds = {"county": "centre", "town": "town", "village": "village"}
    for hall in Hall.objects.select_related("region"):
        hall.kind = kinds[hall.region.level]
        hall.save(update_fields=["kind"])


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="hall",
            name="kind",
            field=models.CharField(
                choices=[
                    ("centre", "政务服务中心"),
                    ("branch", "政务服务分中心"),
                    ("town", "便民服务中心"),
                    ("village", "便民服务室"),
                ],
                default="centre",
                max_length=10,
                verbose_name="类型",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_kind, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="hall",
            constraint=models.UniqueConstraint(
                fields=("region", "name"), name="hall_unique_name_in_region"
            ),
        ),
        migrations.AddIndex(
            model_name="region",
            index=models.Index(fields=["level", "is_active"], name="regions_reg_level_1dbc31_idx"),
        ),
    ]
