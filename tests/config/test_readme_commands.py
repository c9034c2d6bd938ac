"""The README's commands, run as it writes them (`.venv/bin/python manage.py ...`, no DEBUG or SECRET_KEY in the
environment) in a checkout that `make install` has set up: its `.env` (written by the Makefile's rule) makes them work,
and without one they refuse as production must."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DROPPED = {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "HTTPS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "ENV_FILE"}

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _run(args, cwd, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    full_env.update(env)
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def checkout_env(tmp_path_factory):
    """The .env `make install` writes, made by the Makefile's own rule (in a scratch folder: this checkout's is kept)."""
    folder = tmp_path_factory.mktemp("checkout")
    result = _run(["make", "-s", "-f", str(ROOT / "Makefile"), f"PYTHON={sys.executable}", ".env"], folder)
    assert result.returncode == 0, result.stderr
    env_file = folder / ".env"
    text = env_file.read_text()
    assert "DEBUG=1" in text and len(next(line for line in text.splitlines() if line.startswith("SECRET_KEY="))) > 50
    again = _run(["make", "-s", "-f", str(ROOT / "Makefile"), f"PYTHON={sys.executable}", ".env"], folder)
    assert again.returncode == 0 and env_file.read_text() == text  # written once, never replaced
    return env_file


def test_readme_commands_work_in_a_checkout(checkout_env, tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {"ENV_FILE": str(checkout_env), "DATABASE_URL": database}
    python = sys.executable  # the README's .venv/bin/python
    migrate = _run([python, "manage.py", "migrate", "--noinput"], ROOT, **env)
    assert migrate.returncode == 0, migrate.stderr
    seed = _run([python, "manage.py", "seed_demo"], ROOT, **env)
    assert seed.returncode == 0, seed.stderr
    envelope = _run([python, "manage.py", "envelope", "--json"], ROOT, **env)
    assert envelope.returncode == 0, envelope.stderr
    assert json.loads(envelope.stdout)["envelope"] == "10000000.00"


def test_environment_variables_override_the_checkout_file(checkout_env):
    result = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], ROOT,
                  ENV_FILE=str(checkout_env), DEBUG="0", ALLOWED_HOSTS="grants.example.org",
                  SECRET_KEY="k3Y-for-this-test-only-" + "x9Qz!r7Lm#2vB8nP4sT6wY0cE5hJ1aD3fG")
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_file_commands_refuse_as_production_does(tmp_path):
    result = _run([sys.executable, "manage.py", "check"], ROOT, ENV_FILE=str(tmp_path / "missing.env"))
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
