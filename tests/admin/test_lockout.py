"""Admin logins are locked out after repeated failures (django-axes, in the database): the right password is
refused while locked, the lock is per username and client address, and it ends by time or by axes' commands."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.admin.conftest import make_user

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery"  # make_user's


@pytest.fixture
def boss(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    return make_user("boss", superuser=True)


def attempt(client: Client, password: str, username: str = "boss"):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def lock_out(client: Client) -> None:
    for _ in range(2):
        response = attempt(client, "wrong")
        assert response.status_code == 200 and "Please enter the correct username and password" in response.text
    locked = attempt(client, "wrong")
    assert locked.status_code == 429


def test_the_right_password_is_refused_while_locked_out(boss):
    client = Client()
    lock_out(client)
    refused = attempt(client, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins for this account from your address" in refused.text
    assert "refused for the next 30 minutes, even with the right password" in refused.text
    assert refused["Retry-After"] == str(30 * 60)
    assert not logged_in(client)


def test_the_lock_is_in_the_database_so_every_worker_and_restart_sees_it(boss):
    lock_out(Client())
    attempt_row = AccessAttempt.objects.get(username="boss")
    assert attempt_row.failures_since_start == 3 and attempt_row.ip_address == "127.0.0.1"
    fresh = Client()  # no session, no process state: only the database knows
    assert attempt(fresh, PASSWORD).status_code == 429


def test_the_lock_is_for_one_username_from_one_address(boss):
    lock_out(Client())
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert attempt(elsewhere, PASSWORD).status_code == 302
    assert logged_in(elsewhere)
    make_user("edna", "Editors")
    colleague = Client()  # same address, other account
    assert attempt(colleague, PASSWORD, username="edna").status_code == 302


def test_a_success_before_the_limit_resets_the_count(boss):
    client = Client()
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    attempt(client, "wrong")
    attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302  # 4 failures in all, never 3 in a row


def test_the_lock_ends_after_the_cool_off(boss):
    client = Client()
    lock_out(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert attempt(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_an_administrator_unlocks_with_axes_commands(boss):
    client = Client()
    lock_out(client)
    call_command("axes_reset_username", "boss", stdout=io.StringIO())
    assert attempt(client, PASSWORD).status_code == 302


def test_authenticate_without_a_request_is_not_counted(boss):
    # The test client's login(), a shell or a script: no client address to count against.
    assert Client().login(username="boss", password=PASSWORD)
    assert not AccessAttempt.objects.exists()
