import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0009_request_categories_seed_and_convert")]

    operations = [
        migrations.RemoveField(model_name="historicalservicerequest", name="category"),
        migrations.RemoveField(model_name="servicerequest", name="category"),
        migrations.RenameField(
            model_name="historicalservicerequest", old_name="category_entry", new_name="category"
        ),
        migrations.RenameField(
            model_name="servicerequest", old_name="category_entry", new_name="category"
        ),
        migrations.AlterField(
            model_name="servicerequest",
            name="category",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="requests", to="enterprises.requestcategory", verbose_name="category"),
        ),
    ]
