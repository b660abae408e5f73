"""Create the four roles as Django groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from crmportal.staff.roles import ROLES


def create_roles(apps, schema_editor):
    staff_config = apps.get_app_config("staff")
    staff_config.models_module = True
    create_permissions(staff_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="staff", codename__in=codenames)
        group.permissions.set(perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
