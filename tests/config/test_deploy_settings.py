import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that a production process would not have (the browser tests set the last one).
DROPPED = {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "HTTPS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    full_env["ENV_FILE"] = ""  # a production server has no development .env, whatever this checkout holds
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production_configuration():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0",
        SECRET_KEY="k3Y-for-this-test-only-" + "x9Qz!r7Lm#2vB8nP4sT6wY0cE5hJ1aD3fG",
        ALLOWED_HOSTS="grants.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="grants.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_seed_demo_refuses_to_create_known_passwords_in_production():
    result = _manage(
        "seed_demo", DEBUG="0", SECRET_KEY="k3Y-for-this-test-only-" + "x9Qz!r7Lm#2vB8nP4sT6wY0cE5hJ1aD3fG",
        ALLOWED_HOSTS="grants.example.org", DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode != 0
    assert "Refusing to create demo accounts" in result.stderr
