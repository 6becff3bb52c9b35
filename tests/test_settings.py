"""Production settings: `check --deploy` is clean, and missing secrets stop start-up by name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-Zq8#xT1!mK4$vB7@nR2^wY5&hJ0*cL3(eG6)",
    "ALLOWED_HOSTS": "campaigns.example.com",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "FIREBASE_PROJECT_ID": "campaign-prod",
    "FIREBASE_API_KEY": "AIza-example",
    "FIREBASE_CHECK_REVOKED": "false",
    "DATABASE_URL": "sqlite:////tmp/campaignplatform-deploy-check.sqlite3",
}


def manage(*args, env):
    # A clean environment without the developer's .env, so nothing local can make this pass.
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "campaignplatform.settings",
        "ENV_FILE": "/dev/null",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "FIREBASE_PROJECT_ID", "FIREBASE_API_KEY"]
)
def test_missing_secret_stops_start_up_naming_the_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_revocation_checks_need_a_service_account():
    result = manage("check", env={**PRODUCTION_ENV, "FIREBASE_CHECK_REVOKED": "true"})

    assert result.returncode != 0
    assert "FIREBASE_CREDENTIALS_FILE" in result.stderr


def test_local_sqlite_waits_for_the_write_lock_instead_of_failing():
    """The site, the worker and the simulator's webhooks write at once under `make run`."""
    script = "from django.db import connection as c; print(c.settings_dict['OPTIONS'])"
    env = {"DEBUG": "true", "DATABASE_URL": "sqlite:////tmp/campaignplatform-lock-check.sqlite3"}
    result = manage("shell", "-c", script, env=env)

    assert result.returncode == 0, result.stderr
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout and "'timeout': 20" in result.stdout
