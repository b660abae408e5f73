from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "crmportal.live"
    label = "live"
    verbose_name = "Live board"

    def ready(self) -> None:
        from crmportal.live import daphne_close, signals  # noqa: F401  (signals: receivers)

        daphne_close.install()
