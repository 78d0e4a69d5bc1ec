from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0007_memberships'),
    ]

    operations = [
        migrations.AddField(
            model_name='clinic',
            name='require_second_factor',
            field=models.BooleanField(default=False, help_text='Every member of the clinic (and everyone whose role covers every clinic) must set up a second login factor (an authenticator app) before using the console.'),
        ),
    ]
