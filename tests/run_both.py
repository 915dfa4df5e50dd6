"""Run the suite on SQLite and on PostgreSQL at the same time: ``make test``.

The two runs are independent processes (each its own database), so on a machine with two
cores the whole check takes as long as the slower of the two. SQLite's output streams
as it runs; PostgreSQL's is printed when it ends. Arguments go to both pytest runs.

PostgreSQL is ``TEST_DATABASE_URL`` (default: the local server CI has). Where none
answers, its half is skipped with a message saying so, unless ``REQUIRE_POSTGRES=1``
(``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import psycopg

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable(url: str) -> str | None:
    """None when a connection can be made, else the reason it cannot."""
    try:
        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    sqlite_env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    postgres_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    problem = postgres_reachable(postgres_url)
    postgres = None
    with tempfile.TemporaryFile(mode="w+") as postgres_output:
        if problem is None:
            postgres = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
                pytest,
                env={**os.environ, "TEST_DATABASE_URL": postgres_url},
                stdout=postgres_output,
                stderr=subprocess.STDOUT,
            )
        print(f"== tests on SQLite (PostgreSQL at {postgres_url} runs alongside)", flush=True)
        sqlite_status = subprocess.call(pytest, env=sqlite_env)  # noqa: S603  (as above)
        print(f"== tests on PostgreSQL ({postgres_url})", flush=True)
        if postgres is None:
            print(f"PostgreSQL is not reachable ({problem}): its half did not run.")
            postgres_status = 1 if os.environ.get("REQUIRE_POSTGRES") == "1" else 0
        else:
            postgres_status = postgres.wait()
            postgres_output.seek(0)
            sys.stdout.write(postgres_output.read())
    return 1 if sqlite_status or postgres_status else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
