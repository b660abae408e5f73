"""The permissions of the accounts, money and trading areas join the list and their roles:
export_accounts, approve_money (the checker of maker-checker), export_money, export_trading."""

from importlib import import_module

from django.db import migrations

# The roles as roles.py has them now, made the same way 0002 made them.
refresh_roles = import_module("crmportal.staff.migrations.0002_roles").create_roles


class Migration(migrations.Migration):
    dependencies = [("staff", "0004_recovery_codes")]

    operations = [
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
                    ('approve_money', 'Can approve or reject money operations that need a second member'),
                    ('export_money', 'Can export money movements as CSV'),
                    ('view_trading', 'Can view orders, positions and deals'),
                    ('view_live_board', 'Can watch the live supervisor board'),
                    ('manage_groups', 'Can edit groups, commissions and symbols'),
                    ('view_audit', 'Can view the audit log'),
                    ('export_clients', 'Can export client lists as CSV'),
                    ('export_accounts', 'Can export trading account lists as CSV'),
                    ('export_trading', 'Can export orders, positions, deals and statements as CSV'),
                    ('manage_staff', 'Can manage staff: roles, group scope, second factor; see staff audit entries'),
                ]
            },
        ),
        migrations.RunPython(refresh_roles, migrations.RunPython.noop),
    ]
