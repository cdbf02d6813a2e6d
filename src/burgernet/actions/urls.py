from django.urls import path

from burgernet.actions import views

app_name = "actions"
urlpatterns = [
    path("portal/acties/", views.console, name="console"),
    path("portal/acties/nieuw/", views.action_new, name="new"),
    path("portal/acties/bereik/", views.reach_preview, name="reach_preview"),
    path("portal/acties/adres/", views.address_search, name="address_search"),
    path("portal/acties/<int:pk>/", views.action_detail, name="detail"),
    path("portal/acties/<int:pk>/live/", views.action_live, name="live"),
    path("portal/acties/<int:pk>/dossier/", views.dossier_view, name="dossier"),
    path("portal/acties/<int:pk>/dossier.json", views.dossier_json, name="dossier_json"),
    path("portal/acties/<int:pk>/dossier.pdf", views.dossier_pdf, name="dossier_pdf"),
    path("media/actions/<str:name>", views.photo_file, name="photo_file"),
    path("portal/acties/<int:pk>/foto/", views.action_photo, name="photo"),
    path(
        "portal/acties/<int:pk>/reacties/<int:response_pk>/media/",
        views.response_media,
        name="response_media",
    ),
    path("portal/acties/<int:pk>/<str:step>/", views.action_step, name="step"),
]
