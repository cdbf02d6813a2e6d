from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "burgernet.actions"
    label = "actions"
