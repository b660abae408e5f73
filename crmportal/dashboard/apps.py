from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "crmportal.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from crmportal.dashboard import sampler
        from crmportal.live import reports

        reports.profit_sampled.connect(sampler.on_profit_sampled, dispatch_uid="dashboard-pl")
        reports.status_noted.connect(sampler.on_status_noted, dispatch_uid="dashboard-relay")
