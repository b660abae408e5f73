from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "crmportal.clients"
    label = "clients"
    verbose_name = "Clients and KYC"
