from django.urls import path

from burgernet.accounts import views

app_name = "portal"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("organisaties/", views.organisation_list_view, name="organisations"),
    path(
        "organisaties/<int:organisation_id>/",
        views.organisation_detail_view,
        name="organisation_detail",
    ),
    path("medewerkers/", views.staff_list_view, name="staff_list"),
]
