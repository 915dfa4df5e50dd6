"""Command-line tools: ``flask --app app demo`` and ``staff create``.

Scheduled work (mail delivery, yearly mails) runs through ``waves tick`` / ``scheduler``."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from panel.auth import hash_password
from panel.models import Role, StaffUser

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value)
@click.password_option()
def create_staff_command(email: str, name: str, role: str, password: str) -> None:
    """Create a staff account (the first admin of a new installation)."""
    user = StaffUser(
        email=email.strip().lower(),
        name=name,
        role=Role(role),
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {user.email}")


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the URL and demo logins as JSON.")
@click.option("--members", default=2400, show_default=True, help="Size of the synthetic panel.")
def demo_command(as_json: bool, members: int) -> None:
    """Create (once) a synthetic demo panel, population figures and demo accounts."""
    from panel.demo import build_demo

    info = build_demo(members=members)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        click.echo(f"Demo panel ready at {info['url']}")
        for role, account in info["accounts"].items():
            secret = account.get("password") or account["login_url"]
            click.echo(f"  {role:<11} {account['email']}  {secret}")


def register(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(demo_command)
