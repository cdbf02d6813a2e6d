from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "burgernet.public"
    label = "public"
