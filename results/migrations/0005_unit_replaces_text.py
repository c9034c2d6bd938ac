# Units with titles in the six languages, step 3 of 3: the free-text unit goes; the reference takes its name.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('results', '0004_unit_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='standardindicator',
            name='unit',
        ),
        migrations.RenameField(
            model_name='standardindicator',
            old_name='unit_ref',
            new_name='unit',
        ),
    ]
