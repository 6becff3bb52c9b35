"""The project's own management commands are safe to run again and again."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from accounts.models import AdvertiserDetails, User
from campaignplatform.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_schedules_creates_each_schedule_once_and_keeps_next_run():
    call_command("setup_schedules")
    first_runs = dict(Schedule.objects.values_list("name", "next_run"))

    call_command("setup_schedules")

    assert Schedule.objects.count() == len(SCHEDULES)
    assert dict(Schedule.objects.values_list("name", "next_run")) == first_runs


def test_demo_data_is_idempotent_and_prints_the_passwords(capsys, monkeypatch):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)

    # The users only: tests/test_demo_data.py builds the history.
    call_command("demo_data", "--users-only")
    call_command("demo_data", "--users-only")

    output = capsys.readouterr().out
    assert "advertiser@demo.test / demo-advertiser-1" in output
    assert "staff@demo.test / demo-staff-1" in output
    assert User.objects.filter(email__endswith="@demo.test").count() == 3
    assert AdvertiserDetails.objects.get(user__email="advertiser@demo.test").verification_status == "verified"
    staff = User.objects.get(email="staff@demo.test")
    assert staff.is_staff and staff.check_password("demo-staff-1")
