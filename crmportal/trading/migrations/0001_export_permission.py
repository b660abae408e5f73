"""Give the roles that export client lists the permission to export trading lists too
(crmportal/staff/roles.py: export_trading)."""

from django.db import migrations

ROLES = ("Back office", "Compliance", "Administrator")


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    staff, _ = ContentType.objects.get_or_create(app_label="staff", model="staffprofile")
    permission, _ = Permission.objects.get_or_create(
        content_type=staff, codename="export_trading",
        defaults={"name": "Can export orders, positions, deals and statements as CSV"})
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="staff", codename="export_trading").delete()


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_roles"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(grant, revoke)]
