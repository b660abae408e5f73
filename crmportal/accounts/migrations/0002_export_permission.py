"""The accounts export permission (staff.export_accounts, roles.py) for the roles that carry
it. Made here, not in a staff migration, so the area arrives as one app; the permission lives
on StaffProfile like every other."""

from django.db import migrations

from crmportal.staff.roles import PERMISSIONS, ROLES

CODENAME = "export_accounts"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="staff", model="staffprofile")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": PERMISSIONS[CODENAME]})
    for role, codenames in ROLES.items():
        if CODENAME in codenames:
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="staff", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("staff", "0004_recovery_codes"),
                    ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(grant, revoke)]
