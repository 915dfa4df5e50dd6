"""``flask --app app groups draw-csv``: the lottery on Sortition Foundation CSV files."""

from __future__ import annotations

import json
import time
from typing import IO

import click
from flask.cli import AppGroup

from stats.lottery import check_quotas, draw, find_distribution, round_distribution
from stats.lottery.rounding import DEFAULT_M
from stats.lottery.sortition_csv import draw_report, read_pool, relaxation_report

groups_cli = AppGroup("groups", help="Focus groups and task committees (the fair lottery).")


@groups_cli.command("draw-csv")
@click.argument("categories", type=click.File(encoding="utf-8-sig"))
@click.argument("respondents", type=click.File(encoding="utf-8-sig"))
@click.option("--k", "k", type=click.IntRange(min=1), required=True, help="Panel size.")
@click.option("--seed", required=True, help="The published seed the draw follows.")
@click.option("--id-column", default=None, help="Respondents' id column (default: the first).")
@click.option(
    "--address-columns",
    default="",
    help="Comma-separated columns naming a household: at most one person per household.",
)
@click.option("--m", "m", type=click.IntRange(min=1), default=DEFAULT_M, show_default=True)
@click.option("--maximin", is_flag=True, help="Stop at MAXIMIN, without LEXIMIN.")
@click.option("--time-limit", type=float, default=30.0, show_default=True)
def draw_csv_command(
    categories: IO[str],
    respondents: IO[str],
    k: int,
    seed: str,
    id_column: str | None,
    address_columns: str,
    m: int,
    maximin: bool,
    time_limit: float,
) -> None:
    """Print each person's selection probability and one drawn panel, as JSON.

    CATEGORIES is a CSV with category,feature,min,max; RESPONDENTS a CSV with one row per
    person. When no panel meets the quotas, prints which quotas to relax and by how much,
    and exits with status 1.
    """
    try:
        pool = read_pool(
            categories.read(),
            respondents.read(),
            k,
            id_column=id_column,
            address_columns=[c.strip() for c in address_columns.split(",") if c.strip()],
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    relaxation = check_quotas(pool)
    if not relaxation.feasible:
        click.echo(json.dumps(relaxation_report(relaxation), indent=2, ensure_ascii=False))
        raise SystemExit(1)
    started = time.monotonic()
    distribution = find_distribution(pool, leximin=not maximin, time_limit=time_limit)
    rounded = round_distribution(distribution, m=m)
    report = draw_report(distribution, rounded, draw(rounded, seed))
    report["seconds"] = round(time.monotonic() - started, 3)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
