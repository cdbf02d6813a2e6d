from django.urls import include, path

from burgernet.actions.api import api as actions_api
from burgernet.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("burgernet.accounts.urls")),
    path("portal/", include("burgernet.accounts.portal_urls")),
    path("geo/", include("burgernet.geo.urls")),
    path("", include("burgernet.participants.urls")),
    path("", include("burgernet.dispatch.urls")),
    path("", include("burgernet.actions.urls")),
    path("api/v1/", actions_api.urls),
    path("", include("burgernet.mailings.urls")),
    path("", include("burgernet.dashboard.urls")),
    path("", include("burgernet.public.urls")),
]
