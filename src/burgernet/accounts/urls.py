from django.urls import path

from burgernet.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.verify_view, name="verify"),
    path("login/setup/", views.setup_2fa_view, name="setup_2fa"),
    path("logout/", views.logout_view, name="logout"),
]
