from django.contrib.auth.views import LoginView
from django.urls import include, path

from tests.support.idp import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls")),
    path("login/", LoginView.as_view(template_name="idp/login.html"), name="login"),
    path("control/clients", views.clients),
    path("control/users", views.users),
    path("control/users/<str:username>/deactivate", views.deactivate),
]
