from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "crmportal.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
