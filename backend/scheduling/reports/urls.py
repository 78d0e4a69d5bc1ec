from django.urls import path

from backend.scheduling.reports.views import UtilizationReportView

urlpatterns = [
    path("reports/utilization/", UtilizationReportView.as_view(), name="utilization-report"),
]
