from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "crmportal.trading"
    label = "trading"
    verbose_name = "Trading activity"
