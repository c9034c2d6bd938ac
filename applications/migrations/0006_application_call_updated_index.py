from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0005_application_updated_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['call', '-updated_at', '-id'], name='application_call_updated_idx'),
        ),
    ]
