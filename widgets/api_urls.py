from __future__ import annotations

from django.urls import path

from widgets import api

urlpatterns = [
    path("dashboards/", api.DashboardListApi.as_view(), name="api-dashboard-list"),
    path("dashboards/<int:dashboard_id>/", api.DashboardDetailApi.as_view(), name="api-dashboard-detail"),
    path("dashboards/<int:dashboard_id>/layout/", api.DashboardLayoutApi.as_view(), name="api-dashboard-layout"),
    path("dashboards/<int:dashboard_id>/restore/", api.DashboardRestoreApi.as_view(), name="api-dashboard-restore"),
    path("dashboards/<int:dashboard_id>/refresh/", api.DashboardRefreshApi.as_view(), name="api-dashboard-refresh"),
    path("dashboards/<int:dashboard_id>/requests/", api.WidgetRequestCreateApi.as_view(), name="api-request-create"),
    path("requests/<int:request_id>/", api.WidgetRequestDetailApi.as_view(), name="api-request-detail"),
    path("requests/<int:request_id>/answers/", api.WidgetRequestAnswerApi.as_view(), name="api-request-answer"),
    path("requests/<int:request_id>/dismiss/", api.WidgetRequestDismissApi.as_view(), name="api-request-dismiss"),
    path("requests/<int:request_id>/retry/", api.WidgetRequestRetryApi.as_view(), name="api-request-retry"),
    path("requests/<int:request_id>/cancel/", api.WidgetRequestCancelApi.as_view(), name="api-request-cancel"),
]
