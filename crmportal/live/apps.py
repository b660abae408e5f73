from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "crmportal.live"
    label = "live"
    verbose_name = "Live board"
