from django.urls import URLPattern, URLResolver, path

from burgernet.participants import views

app_name = "participants"
urlpatterns: list[URLPattern | URLResolver] = [
    # Public sign-up
    path("aanmelden/", views.signup, name="signup"),
    path("aanmelden/controleer-uw-mail/", views.signup_done, name="signup_done"),
    path("aanmelden/bevestigen/<str:token>/", views.confirm_email, name="confirm_email"),
    # Self-service (magic link)
    path("mijn-burgernet/", views.manage, name="manage"),
    path("mijn-burgernet/inloggen/", views.manage_request, name="manage_request"),
    path("mijn-burgernet/link/<str:token>/", views.manage_login, name="manage_login"),
    path("mijn-burgernet/uitloggen/", views.manage_logout, name="manage_logout"),
    path("mijn-burgernet/gegevens/", views.manage_preferences, name="manage_preferences"),
    path("mijn-burgernet/e-mail/", views.manage_email, name="manage_email"),
    path(
        "mijn-burgernet/e-mail/bevestigen/<str:token>/",
        views.confirm_email_change,
        name="confirm_email_change",
    ),
    path("mijn-burgernet/pauze/", views.manage_pause, name="manage_pause"),
    path("mijn-burgernet/plaatsen/nieuw/", views.location_add, name="location_add"),
    path(
        "mijn-burgernet/plaatsen/<int:pk>/verwijderen/",
        views.location_remove,
        name="location_remove",
    ),
    path("mijn-burgernet/nummers/nieuw/", views.phone_add, name="phone_add"),
    path("mijn-burgernet/nummers/<int:pk>/code/", views.phone_verify, name="phone_verify"),
    path("mijn-burgernet/nummers/<int:pk>/kanalen/", views.phone_channels, name="phone_channels"),
    path("mijn-burgernet/nummers/<int:pk>/verwijderen/", views.phone_remove, name="phone_remove"),
    path("mijn-burgernet/mijn-gegevens.json", views.manage_export, name="manage_export"),
    path("mijn-burgernet/afmelden/", views.manage_erase, name="manage_erase"),
    # Staff registry
    path("portal/deelnemers/", views.registry, name="registry"),
    path("portal/deelnemers/nieuw/", views.registry_create, name="registry_create"),
    path("portal/deelnemers/import/", views.registry_import, name="registry_import"),
    path("portal/deelnemers/werving/", views.registry_recruitment, name="registry_recruitment"),
    path("portal/deelnemers/<int:pk>/", views.registry_detail, name="registry_detail"),
    path("portal/deelnemers/<int:pk>/bewerken/", views.registry_edit, name="registry_edit"),
    path(
        "portal/deelnemers/<int:pk>/deactiveren/",
        views.registry_deactivate,
        name="registry_deactivate",
    ),
    path(
        "portal/deelnemers/<int:pk>/onbereikbaar/",
        views.registry_unreachable,
        name="registry_unreachable",
    ),
]
