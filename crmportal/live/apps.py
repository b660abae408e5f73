from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "crmportal.live"
    label = "live"
    verbose_name = "Live board"

    def ready(self) -> None:
        from crmportal.live import daphne_close, signals  # noqa: F401  (signals: receivers)

        if daphne_close.install():
            from crmportal.live.embedded import start_scheduler_with_daphne

            start_scheduler_with_daphne()
