from django.db import migrations

from jiceng.registry.fulltext import StoredSearchVector

TABLES = (
    "registry_person",
    "registry_household",
    "registry_house",
    "registry_organization",
    "registry_keyplace",
    "registry_citycomponent",
    "registry_creditrecord",
)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_person_plain_indexes")]

    operations = [StoredSearchVector(table) for table in TABLES]
