from django.urls import URLPattern, URLResolver, path

from burgernet.geo import views

app_name = "geo"
urlpatterns: list[URLPattern | URLResolver] = [
    path("municipalities.geojson", views.municipalities_geojson, name="municipalities"),
]
