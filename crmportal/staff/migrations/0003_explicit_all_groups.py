"""Scope fails closed from now on: "every group" is an explicit flag. Members who had no
group limit keep seeing everything; the new permissions (export_clients, manage_staff) join
their roles."""

from importlib import import_module

from django.db import migrations, models


def keep_existing_members_unlimited(apps, schema_editor):
    StaffProfile = apps.get_model("staff", "StaffProfile")
    for profile in StaffProfile.objects.all():
        if not profile.group_ids:
            profile.all_groups = True
            profile.save(update_fields=["all_groups"])


# The roles as roles.py has them now, made the same way 0002 made them.
refresh_roles = import_module("crmportal.staff.migrations.0002_roles").create_roles


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="staffprofile",
            name="all_groups",
            field=models.BooleanField(
                default=False, help_text="Sees every OMTrader group, now and future ones."
            ),
        ),
        migrations.AlterModelOptions(
            name="staffprofile",
            options={
                "permissions": [
                    ('view_clients', 'Can view clients and their trading accounts'),
                    ('change_clients', 'Can create, edit and delete clients'),
                    ('view_sensitive_data', 'Can view sensitive client data (document number, tax id)'),
                    ('review_kyc', 'Can approve or reject KYC'),
                    ('change_accounts', 'Can create and edit trading accounts'),
                    ('transfer_money', 'Can deposit and withdraw money'),
                    ('view_trading', 'Can view orders, positions and deals'),
                    ('view_live_board', 'Can watch the live supervisor board'),
                    ('manage_groups', 'Can edit groups, commissions and symbols'),
                    ('view_audit', 'Can view the audit log'),
                    ('export_clients', 'Can export client lists as CSV'),
                    ('manage_staff', 'Can manage staff: roles, group scope, second factor; see staff audit entries'),
                ]
            },
        ),
        migrations.RunPython(keep_existing_members_unlimited, migrations.RunPython.noop),
        migrations.RunPython(refresh_roles, migrations.RunPython.noop),
    ]
