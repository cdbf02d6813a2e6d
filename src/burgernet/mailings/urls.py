from django.urls import URLPattern, URLResolver, path

from burgernet.mailings import views

app_name = "mailings"
urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/burgernetmail/", views.mailing_list, name="list"),
    path("portal/burgernetmail/nieuw/", views.mailing_compose, name="compose"),
    path("portal/burgernetmail/ontvangers/", views.mailing_reach_count, name="reach_count"),
    path("portal/burgernetmail/<int:pk>/", views.mailing_detail, name="detail"),
    path("portal/burgernetmail/<int:pk>/voorbeeld/", views.mailing_preview, name="preview"),
    path("portal/burgernetmail/reacties/", views.inbox, name="inbox"),
    path("portal/burgernetmail/reacties.csv", views.inbox_csv, name="inbox_csv"),
    path("portal/burgernetmail/reacties/<int:pk>/foto/", views.reply_photo, name="reply_photo"),
    path("portal/burgernetmail/sjablonen/", views.template_list, name="templates"),
    path("burgernetmail/logo/<int:pk>/", views.template_logo, name="logo"),
    path("burgernetmail/reageren/<str:token>/", views.reply, name="reply"),
    path("mijn-burgernet/burgernetmail/", views.my_preferences, name="my_preferences"),
    path("burgernetmail/afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("webhooks/mail/bounces", views.bounce_webhook, name="bounce_webhook"),
]
