from django.apps import AppConfig


class GroupsConfig(AppConfig):
    # Label "groups": django.contrib.auth's Group model lives under "auth", so nothing clashes.
    name = "crmportal.groups"
    label = "groups"
    verbose_name = "Groups, commissions and symbols"
