from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "burgernet.dispatch"
    label = "dispatch"
