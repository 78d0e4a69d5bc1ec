from django.urls import path

from .report_views import UtilizationReportView

urlpatterns = [
    path("reports/utilization/", UtilizationReportView.as_view(), name="utilization-report"),
]
