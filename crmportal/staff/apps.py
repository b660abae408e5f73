from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "crmportal.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self):
        from crmportal.staff import stepup  # noqa: F401 - connects the sign-in receiver
