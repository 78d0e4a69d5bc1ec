from django.urls import path

from backend.scheduling.day.public import ride_confirm_page

urlpatterns = [
    path("<str:token>/", ride_confirm_page, name="ride-confirm"),
]
