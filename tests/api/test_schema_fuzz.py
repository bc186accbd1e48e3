"""schemathesis against /api/schema/: bounded examples per operation, as a token user exempt from throttles,
and no answer is a 5xx."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.core import NOT_SET

from backend.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

pytestmark = [pytest.mark.slow, pytest.mark.once]


@pytest.fixture
def fuzz_token(django_user_model, db):
    from django.conf import settings as django_settings
    from django.contrib.auth.models import Group

    from backend.accounts.services import api_token_create
    from widgets.models import Dashboard

    user = django_user_model.objects.create_user(username="fuzz", password="pw-fuzz-123456")
    user.groups.add(Group.objects.get_or_create(name=django_settings.API_THROTTLE_EXEMPT_GROUP)[0])
    Dashboard.objects.create(owner=user, name="Fuzz")
    return api_token_create(user=user, name="fuzz")[1]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_operation_answers_5xx(case, fuzz_token):
    # Through Django's test client (the WSGI handler would close the test's database connection).
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {fuzz_token}")
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body) if case.body is not NOT_SET else None
    response = client.generic(case.method, case.formatted_path, data=body or "", content_type="application/json",
                              QUERY_STRING=urlencode(case.query or {}, doseq=True))
    assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.content[:300])
