from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "crmportal.staff"
    label = "staff"
    verbose_name = "Staff"
