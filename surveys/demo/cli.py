"""``flask --app app demo``: the synthetic demo panel with its questionnaire and waves."""

from __future__ import annotations

import json

import click
from flask import Flask

from panel.demo import has_real_data
from surveys.demo.build import build_demo


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the URL and demo logins as JSON.")
@click.option("--members", default=2400, show_default=True, help="Size of the synthetic panel.")
@click.option("--force", is_flag=True, help="Add the demo even to a database that holds real data.")
def demo_command(as_json: bool, members: int, force: bool) -> None:
    """Create (once) a synthetic demo panel, population figures, demo accounts and waves.

    Refused on a database with real members or staff (unless ``--force``): the demo adds
    accounts whose passwords are printed here and in the README.
    """
    if has_real_data() and not force:
        raise click.ClickException(
            "This database holds real members or staff accounts; the demo would add "
            "accounts with published passwords. Use --force if you really mean it."
        )
    info = build_demo(members=members)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        click.echo(f"Demo panel ready at {info['url']}")
        for role, account in info["accounts"].items():
            secret = account.get("password") or account["login_url"]
            click.echo(f"  {role:<11} {account['email']}  {secret}")
        if info["answer_links"]:
            click.echo("Answer links to the open wave (no login needed):")
            for link in info["answer_links"]:
                click.echo(f"  member {link['member']:<6} {link['language']}  {link['link']}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
