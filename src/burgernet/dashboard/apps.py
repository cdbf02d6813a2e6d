from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "burgernet.dashboard"
    label = "dashboard"
