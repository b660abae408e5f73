from django.apps import AppConfig


class MoneyConfig(AppConfig):
    name = "crmportal.money"
    label = "money"
    verbose_name = "Money operations"
