import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="StaffProfile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("group_ids", models.JSONField(blank=True, default=list)),
                ("time_zone", models.CharField(blank=True, max_length=64)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="staff_profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "permissions": [
                    ("view_clients", "Can view clients and their trading accounts"),
                    ("change_clients", "Can create, edit and delete clients"),
                    ("view_sensitive_data", "Can view sensitive client data (document number, tax id)"),
                    ("review_kyc", "Can approve or reject KYC"),
                    ("change_accounts", "Can create and edit trading accounts"),
                    ("transfer_money", "Can deposit and withdraw money"),
                    ("view_trading", "Can view orders, positions and deals"),
                    ("view_live_board", "Can watch the live supervisor board"),
                    ("manage_groups", "Can edit groups, commissions and symbols"),
                    ("view_audit", "Can view the audit log"),
                ]
            },
        ),
    ]
