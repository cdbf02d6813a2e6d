from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "burgernet.mailings"
    label = "mailings"
