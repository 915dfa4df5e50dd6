"""Starting the app's commands in processes of their own, and waiting on them."""

from __future__ import annotations

import os
from pathlib import Path
from time import monotonic, sleep


def flask_env(database_url: str, outbox: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        MAIL_BACKEND="file",
        MAIL_FILE_DIR=str(outbox),
        MAIL_DELIVER_ON_QUEUE="false",
        BASE_URL="http://localhost",
        SECRET_KEY="test-secret",  # the tests' key: without one the app refuses to start
    )
    env.update(extra)
    return env


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = monotonic() + seconds
    while monotonic() < deadline:
        if condition():
            return True
        sleep(0.2)
    return False
