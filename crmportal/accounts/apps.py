from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "crmportal.accounts"
    label = "accounts"
    verbose_name = "Trading accounts"
