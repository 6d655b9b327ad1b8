from django.db import migrations, models


def suggest(apps, schema_editor):
    from yiwang.catalog.models import tag_string
    from yiwang.catalog.themes import suggest as rules

    ServiceItem = apps.get_model("catalog", "ServiceItem")
    batch = []
    for item in ServiceItem.objects.select_related("department").iterator():
        themes, events = rules(item.name, item.group, item.department.name)
        item.themes, item.life_events = tag_string(themes), tag_string(events)
        batch.append(item)
    ServiceItem.objects.bulk_update(batch, ["themes", "life_events"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="serviceitem",
            name="themes",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="主题"),
        ),
        migrations.AddField(
            model_name="serviceitem",
            name="life_events",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="人生事件"),
        ),
        migrations.RunPython(suggest, migrations.RunPython.noop),
    ]
