"""The panel at scale: import 100,000 members from CSV; composition of 1,000,000 members.

Targets (issue 2): the import under 30 s and the composition page's figures under 1 s, on
SQLite and on PostgreSQL. The import is the staff page's own function
(``panel.members.imports.import_members``: validation, duplicate checks, members, contacts and
consents); the composition is ``panel.demographics.composition.overview_figures``, everything the
overview page shows (head counts, one table per attribute, the age x gender cross table).
Run with ``.venv/bin/python -m bench.bench_panel``; ``BENCH_SKIP_POSTGRES=1`` skips
PostgreSQL, ``BENCH_POSTGRES`` names another server.
"""

from __future__ import annotations

import io
import time

from bench.common import bench_app, best_of, bulk_members, databases, synthetic_rows
from extensions import db

IMPORT_ROWS = 100_000
PANEL_SIZE = 1_000_000


def member_csv(n: int) -> str:
    out = io.StringIO()
    out.write("email,birth_year,gender,municipality,education,name\n")
    for row in synthetic_rows(n):
        out.write(
            f"person{row['index']:06d}@example.org,{row['birth_year']},{row['gender']},"
            f"{row['municipality']},{row['education']},Person {row['index']}\n"
        )
    return out.getvalue()


def main() -> None:
    from panel.demographics.composition import overview_figures
    from panel.members.imports import import_members

    csv_text = member_csv(IMPORT_ROWS)
    print(f"{'database':<11} {'import 100k (s)':>16} {'composition 1M (s)':>19}")
    for name, url in databases():
        with bench_app(url) as app, app.test_request_context():
            start = time.perf_counter()
            result = import_members(csv_text, consent_given=True)
            db.session.commit()
            imported = time.perf_counter() - start
            assert not result.errors and result.created == IMPORT_ROWS, result.errors[:3]

            bulk_members(PANEL_SIZE - IMPORT_ROWS)
            composition, figures = best_of(3, lambda: overview_figures("age", "gender", "da"))
            assert figures.counts.confirmed == PANEL_SIZE, figures.counts
            print(f"{name:<11} {imported:>16.2f} {composition:>19.3f}", flush=True)


if __name__ == "__main__":
    main()
