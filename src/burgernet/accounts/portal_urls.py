from django.urls import path

from burgernet.accounts import views

app_name = "portal"
urlpatterns = [path("", views.portal_home, name="home")]
