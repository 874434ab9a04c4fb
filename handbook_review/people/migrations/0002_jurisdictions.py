from django.db import migrations

JURISDICTIONS = [
    ("AL", "Albania", "country"),
    ("BA", "Bosnia and Herzegovina", "country"),
    ("XK", "Kosovo", "country"),
    ("ME", "Montenegro", "country"),
    ("MK", "North Macedonia", "country"),
    ("RS", "Serbia", "country"),
    ("FRONTEX", "FRONTEX", "organisation"),
    ("SEESAC", "SEESAC", "organisation"),
]


def add_jurisdictions(apps, schema_editor):
    Jurisdiction = apps.get_model("people", "Jurisdiction")
    for code, name, kind in JURISDICTIONS:
        Jurisdiction.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_jurisdictions, migrations.RunPython.noop)]
