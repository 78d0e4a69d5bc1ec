from django.urls import path

from .report_views import utilization_page

urlpatterns = [
    path("utilization/", utilization_page, name="utilization-page"),
]
