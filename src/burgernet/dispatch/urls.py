from django.urls import URLPattern, URLResolver, path

from burgernet.dispatch import views

app_name = "dispatch"
urlpatterns: list[URLPattern | URLResolver] = [
    path("metrics", views.prometheus_metrics, name="metrics"),
    path(
        "dispatch/messages/<int:message_id>/progress",
        views.message_progress,
        name="message_progress",
    ),
    path(
        "dispatch/webhooks/gateway/<str:account>/receipts",
        views.gateway_receipts,
        name="gateway_receipts",
    ),
    path(
        "dispatch/webhooks/gateway/<str:account>/inbound",
        views.gateway_inbound,
        name="gateway_inbound",
    ),
    path(
        "dispatch/webhooks/twilio/<str:account>/status", views.twilio_status, name="twilio_status"
    ),
    path("dispatch/webhooks/twilio/<str:account>/sms", views.twilio_sms, name="twilio_sms"),
    path("dispatch/webhooks/twilio/<str:account>/voice", views.twilio_voice, name="twilio_voice"),
]
