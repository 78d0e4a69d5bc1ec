from django.urls import path

from .ride_views import ride_confirm_page

urlpatterns = [
    path("<str:token>/", ride_confirm_page, name="ride-confirm"),
]
