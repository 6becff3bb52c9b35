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
    "DATABASE_URL": "postgres://app@db.example.com:5432/campaignplatform",
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


def test_production_needs_a_database_url():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DATABASE_URL"}
    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_local_runs_use_the_embedded_postgresql_over_its_socket():
    """No DATABASE_URL with DEBUG on: the project's own PostgreSQL server, no TCP port."""
    script = "from django.db import connection as c; c.ensure_connection(); print(c.settings_dict['OPTIONS'])"
    result = manage("shell", "-c", script, env={"DEBUG": "true"})

    assert result.returncode == 0, result.stderr
    assert f"'host': '{ROOT / '.pgdata'}'" in result.stdout
