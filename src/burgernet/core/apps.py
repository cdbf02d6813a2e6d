from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "burgernet.core"
    label = "core"
    verbose_name = "Core"
