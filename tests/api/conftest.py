"""Fixtures for the API tests: the people of a permission matrix, and token clients."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="sam", password="pw-sam-123456", is_staff=True)


@pytest.fixture
def token_client() -> Callable[[Any], APIClient]:
    """Return a function that makes an API client sending a fresh personal token of a user (no session)."""
    from backend.accounts.services import api_token_create

    def make(user: Any) -> APIClient:
        _, key = api_token_create(user=user, name="tests")
        client = APIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


@pytest.fixture
def csrf_client_for() -> Callable[[Any], APIClient]:
    """A session client that, like a browser, is held to the CSRF check."""

    def make(user: Any) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    return make
