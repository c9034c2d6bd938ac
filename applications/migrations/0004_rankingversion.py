import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0003_concept_note_stage'),
        ('grants', '0010_review_deadline_and_clarification_cutoffs'),
    ]

    operations = [
        migrations.CreateModel(
            name='RankingVersion',
            fields=[
                ('call', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='ranking_version', serialize=False, to='grants.call')),
                ('version', models.BigIntegerField()),
            ],
        ),
    ]
