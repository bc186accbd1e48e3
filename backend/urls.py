from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from backend.api_docs import DocsPage, SchemaApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", include("backend.accounts.urls")),
    path("api/schema/", SchemaApi.as_view(), name="api-schema"),
    path("api/docs/", DocsPage.as_view(), name="api-docs"),
    path("api/", include("widgets.api_urls")),
    path("", include("widgets.urls")),
]

# JSON errors under /api/, Django's pages elsewhere (backend.error_views).
handler400 = "backend.error_views.bad_request"
handler403 = "backend.error_views.permission_denied"
handler404 = "backend.error_views.page_not_found"
handler500 = "backend.error_views.server_error"
