# Units with titles in the six languages, step 1 of 3: the Unit table and the indicator's new reference to it.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grants', '0011_envelope_ledger_version'),
        ('results', '0002_indicator_value_review'),
    ]

    operations = [
        migrations.CreateModel(
            name='Unit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9_.+-]*$', 'Use letters, digits and . _ + - only.')], verbose_name='code')),
                ('titles', models.JSONField(default=dict, verbose_name='titles')),
                ('programme', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='result_units', to='grants.programme')),
            ],
            options={
                'verbose_name': 'unit',
                'verbose_name_plural': 'units',
                'ordering': ['programme', 'code'],
                'constraints': [models.UniqueConstraint(fields=('programme', 'code'), name='unit_code_unique')],
            },
        ),
        migrations.AddField(
            model_name='standardindicator',
            name='unit_ref',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='results.unit', verbose_name='unit'),
        ),
    ]
