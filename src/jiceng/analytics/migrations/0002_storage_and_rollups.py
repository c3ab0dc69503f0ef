"""PostgreSQL storage settings of the rollups, and the rollups of events that existed before this app."""

from django.db import migrations


def storage(apps, schema_editor):
    # Room on each page for the frequent counter updates to stay HOT (no index entries to write).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE analytics_dailyrollup SET (fillfactor = 80)")
        schema_editor.execute("ALTER TABLE analytics_currentrollup SET (fillfactor = 50)")


def build_rollups(apps, schema_editor):
    """A platform that already has events gets their rollups now (later changes keep them current)."""
    Event = apps.get_model("events", "Event")
    if not Event.objects.using(schema_editor.connection.alias).exists():
        return
    from jiceng.analytics.rollups import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [
        migrations.RunPython(storage, migrations.RunPython.noop),
        migrations.RunPython(build_rollups, migrations.RunPython.noop),
    ]
