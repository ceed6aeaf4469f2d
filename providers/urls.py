from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("<str:domain>/", views.provider_detail, name="detail"),
]
