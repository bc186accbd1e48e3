from __future__ import annotations

from django.urls import path

from backend.accounts import views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
