"""Logins are throttled by django-axes on username and IP together, with the client IP read behind proxies."""
from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from backend.client_ip import client_ip

pytestmark = pytest.mark.django_db

APP, ADMIN = "/accounts/login/", "/admin/login/"


def _login(path: str, username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return Client(REMOTE_ADDR=ip, **headers).post(path, {"username": username, "password": password})


def _fail(path: str, username: str, times: int, ip: str = "10.0.0.1", **headers: str) -> list[int]:
    return [_login(path, username, "wrong-password", ip, **headers).status_code for _ in range(times)]


@pytest.mark.parametrize("path", [APP, ADMIN])
def test_after_five_wrong_passwords_even_the_right_one_is_refused(path, analyst, staff, settings):
    user, password = (analyst, "pw-ana-123456") if path == APP else (staff, "pw-sam-123456")
    # The form again with its error, then at the fifth failure the lock-out page.
    assert _fail(path, user.username, 5) == [200] * 4 + [429]
    locked = _login(path, user.username, password)
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_before_the_limit_the_right_password_works_and_resets_the_count(analyst):
    assert _fail(APP, "ana", 4) == [200] * 4
    assert _login(APP, "ana", "pw-ana-123456").status_code == 302
    assert _fail(APP, "ana", 4) == [200] * 4  # counted from zero again
    assert _login(APP, "ana", "pw-ana-123456").status_code == 302


def test_a_lock_is_on_the_username_and_the_ip_together(analyst, other_analyst):
    _fail(APP, "ana", 5, ip="10.0.0.1")
    assert _login(APP, "ana", "pw-ana-123456", ip="10.0.0.1").status_code == 429
    # Someone else in the same office (same address behind a NAT) still logs in...
    assert _login(APP, "bob", "pw-bob-123456", ip="10.0.0.1").status_code == 302
    # ...and the locked-out user does from another address: a guesser elsewhere cannot lock them out.
    assert _login(APP, "ana", "pw-ana-123456", ip="10.9.9.9").status_code == 302


def test_the_lock_is_released_after_the_cool_off(analyst, settings):
    _fail(APP, "ana", 5)
    assert _login(APP, "ana", "pw-ana-123456").status_code == 429
    past = dt.timedelta(seconds=settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - past)
    assert _login(APP, "ana", "pw-ana-123456").status_code == 302


def test_an_admin_can_release_a_lock_at_once(analyst):
    from axes.utils import reset

    _fail(APP, "ana", 5)
    reset(username="ana")
    assert _login(APP, "ana", "pw-ana-123456").status_code == 302


def test_behind_a_trusted_proxy_each_client_is_counted_apart(analyst, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "192.168.0.2"
    _fail(APP, "ana", 5, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert _login(APP, "ana", "pw-ana-123456", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another client through the same proxy is not locked out...
    assert _login(APP, "ana", "pw-ana-123456", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
    # ...and the locked one cannot escape by writing another address in front of the proxy's.
    forged = _login(APP, "ana", "pw-ana-123456", ip=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert forged.status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored(analyst):
    _fail(APP, "ana", 5, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")
    # A forged X-Forwarded-For does not make a new client.
    assert _login(APP, "ana", "pw-ana-123456", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


@pytest.mark.parametrize(("count", "forwarded", "remote", "expected"), [
    (0, "203.0.113.7", "10.0.0.1", "10.0.0.1"),
    (1, "203.0.113.7", "10.0.0.1", "203.0.113.7"),
    (1, "6.6.6.6, 203.0.113.7", "10.0.0.1", "203.0.113.7"),
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "10.0.0.1", "203.0.113.7"),
    (2, "203.0.113.7", "10.0.0.1", "203.0.113.7"),  # shorter than the count: the left-most vouched for
    (1, "", "10.0.0.1", "10.0.0.1"),
    (1, "not-an-ip", "10.0.0.1", "10.0.0.1"),
    (1, "2001:db8::1", "10.0.0.1", "2001:db8::1"),
])
def test_client_ip(settings, count, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
