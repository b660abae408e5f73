"""Scope fails closed from now on: "every group" is an explicit flag. Members who had no
group limit keep seeing everything; the new permissions (export_clients, manage_staff) join
their roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from crmportal.staff.roles import ROLES


def keep_existing_members_unlimited(apps, schema_editor):
    StaffProfile = apps.get_model("staff", "StaffProfile")
    for profile in StaffProfile.objects.all():
        if not profile.group_ids:
            profile.all_groups = True
            profile.save(update_fields=["all_groups"])


def refresh_roles(apps, schema_editor):
    staff_config = apps.get_app_config("staff")
    staff_config.models_module = True
    create_permissions(staff_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="staff", codename__in=codenames)
        group.permissions.set(perms)


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
