from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "burgernet.accounts"
    label = "accounts"
