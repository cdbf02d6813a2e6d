from django.urls import URLPattern, URLResolver, path

from burgernet.dashboard import views

app_name = "dashboard"
urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/dashboard/", views.home, name="home"),
    path("portal/dashboard/week/", views.weekly, name="weekly"),
    path("portal/dashboard/<slug:slug>.csv", views.table_csv, name="csv"),
]
