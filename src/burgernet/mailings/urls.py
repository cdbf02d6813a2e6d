from django.urls import URLPattern, URLResolver

app_name = "mailings"
urlpatterns: list[URLPattern | URLResolver] = []
