from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "burgernet.public"
    label = "public"
    default_auto_field = "django.db.models.BigAutoField"
