"""`check --deploy` stays clean in the production configurations this app documents."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/15"])
def test_check_deploy_is_clean_with_and_without_redis(redis_url, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "a-real-secret-from-the-environment-8f3k2m9q",
        "ALLOWED_HOSTS": "review.example.org",
        "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
        "EMAIL_HOST": "smtp.example.org",
        "REDIS_URL": redis_url,
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
