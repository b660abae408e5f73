from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "crmportal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from crmportal.audit import signals  # noqa: F401  (connects the sign-in receivers)
