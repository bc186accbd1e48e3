from __future__ import annotations

from django.urls import path

from widgets import api, widget_api

urlpatterns = [
    path("dashboards/", api.DashboardListApi.as_view(), name="api-dashboard-list"),
    path("dashboards/<int:dashboard_id>/", api.DashboardDetailApi.as_view(), name="api-dashboard-detail"),
    path("dashboards/<int:dashboard_id>/layout/", api.DashboardLayoutApi.as_view(), name="api-dashboard-layout"),
    path("dashboards/<int:dashboard_id>/restore/", api.DashboardRestoreApi.as_view(), name="api-dashboard-restore"),
    path("dashboards/<int:dashboard_id>/refresh/", api.DashboardRefreshApi.as_view(), name="api-dashboard-refresh"),
    path("dashboards/<int:dashboard_id>/requests/", api.WidgetRequestCreateApi.as_view(), name="api-request-create"),
    path("requests/", api.WidgetRequestListApi.as_view(), name="api-request-list"),
    path("requests/<int:request_id>/", api.WidgetRequestDetailApi.as_view(), name="api-request-detail"),
    path("requests/<int:request_id>/answers/", api.WidgetRequestAnswerApi.as_view(), name="api-request-answer"),
    path("requests/<int:request_id>/dismiss/", api.WidgetRequestDismissApi.as_view(), name="api-request-dismiss"),
    path("requests/<int:request_id>/retry/", api.WidgetRequestRetryApi.as_view(), name="api-request-retry"),
    path("requests/<int:request_id>/cancel/", api.WidgetRequestCancelApi.as_view(), name="api-request-cancel"),
    # One widget (widgets.widget_api)
    path("widgets/<int:widget_id>/", widget_api.WidgetDetailApi.as_view(), name="api-widget-detail"),
    path("widgets/<int:widget_id>/restore/", widget_api.WidgetRestoreApi.as_view(), name="api-widget-restore"),
    path("widgets/<int:widget_id>/versions/", widget_api.WidgetVersionsApi.as_view(), name="api-widget-versions"),
    path("widgets/<int:widget_id>/versions/<int:number>/restore/", widget_api.WidgetVersionRestoreApi.as_view(),
         name="api-widget-version-restore"),
    path("widgets/<int:widget_id>/undo/", widget_api.WidgetUndoApi.as_view(), name="api-widget-undo"),
    path("widgets/<int:widget_id>/refine/", widget_api.WidgetRefineApi.as_view(), name="api-widget-refine"),
    path("widgets/<int:widget_id>/conversation/", widget_api.WidgetConversationApi.as_view(),
         name="api-widget-conversation"),
    path("widgets/<int:widget_id>/detail/", widget_api.WidgetInsideApi.as_view(), name="api-widget-inside"),
    path("widgets/<int:widget_id>/data.csv", widget_api.WidgetCsvApi.as_view(), name="api-widget-csv"),
    path("widgets/<int:widget_id>/duplicate/", widget_api.WidgetDuplicateApi.as_view(), name="api-widget-duplicate"),
    path("widgets/<int:widget_id>/move/", widget_api.WidgetMoveApi.as_view(), name="api-widget-move"),
    path("widgets/<int:widget_id>/refresh/", widget_api.WidgetRefreshApi.as_view(), name="api-widget-refresh"),
    path("dashboards/<int:dashboard_id>/history/", widget_api.DashboardHistoryApi.as_view(),
         name="api-dashboard-history"),
]
