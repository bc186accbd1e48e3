from __future__ import annotations

from django.urls import path

from widgets import views

urlpatterns = [
    path("", views.dashboard_list, name="dashboard-list"),
    path("dashboards/new/", views.dashboard_create, name="dashboard-create"),
    path("dashboards/<int:dashboard_id>/", views.dashboard_detail, name="dashboard-detail"),
    path("dashboards/<int:dashboard_id>/restore/", views.dashboard_restore, name="dashboard-restore"),
    path("catalog/", views.catalog, name="catalog"),
    path("widgets/sandbox/", views.widget_sandbox, name="widget-sandbox"),
]
