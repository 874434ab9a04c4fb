"""`check --deploy` stays clean in the production configurations this app documents."""

import pytest

from tests.test_setup import check_deploy


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/15"])
def test_check_deploy_is_clean_with_and_without_redis(redis_url, tmp_path):
    result = check_deploy(REDIS_URL=redis_url, BACKUP_DIR=str(tmp_path / "backups"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
