from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "burgernet.participants"
    label = "participants"
