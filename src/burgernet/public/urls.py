from django.urls import path

from burgernet.public import feeds, views

app_name = "public"
urlpatterns = [
    path("", views.home, name="home"),
    path("acties/", views.actions, name="actions"),
    path("acties/<int:pk>/", views.action_detail, name="action"),
    path("archief/", views.archive, name="archive"),
    path("gemeenten/<str:code>/", views.municipality, name="municipality"),
    path("privacy/", views.privacy, name="privacy"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    path("feeds/acties.rss", feeds.ActionsRssFeed(), name="rss"),
    path("feeds/acties.atom", feeds.ActionsAtomFeed(), name="atom"),
    path("feeds/cap/", views.cap_index, name="cap_index"),
    path("feeds/cap/<int:action_id>/<int:seq>.xml", views.cap_message, name="cap_message"),
    path("app/", views.app, name="app"),
    path("app/manifest.webmanifest", views.manifest, name="manifest"),
    path("app/sw.js", views.service_worker, name="service_worker"),
    path("app/api/actions", views.api_actions, name="api_actions"),
    path("app/api/subscription", views.api_subscription, name="api_subscription"),
    path("app/api/actions/<int:pk>/tips", views.api_tip, name="api_tip"),
]
