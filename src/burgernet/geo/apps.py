from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "burgernet.geo"
    label = "geo"
