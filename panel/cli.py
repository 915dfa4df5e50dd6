"""Command-line tools: ``flask --app app staff create``, ``staff set-password`` and
``mail bounces``.

Scheduled work (mail delivery, yearly mails) runs through ``jobs tick`` / ``scheduler``;
the demo (panel and surveys) is ``flask --app app demo``, in ``surveys.demo.cli``."""

from __future__ import annotations

import csv
import logging
from typing import IO

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from panel.auth import hash_password, set_password
from panel.mail.outbox import mark_bounced
from panel.staff.models import Role, StaffUser

log = logging.getLogger(__name__)

staff_cli = AppGroup("staff", help="Staff accounts.")
mail_cli = AppGroup("mail", help="Mail to members.")


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


@staff_cli.command("set-password")
@click.option("--email", required=True)
@click.password_option()
def set_password_command(email: str, password: str) -> None:
    """Give a staff account a new password; every session of the account ends."""
    user = db.session.query(StaffUser).filter_by(email=email.strip().lower()).one_or_none()
    if user is None:
        raise click.ClickException(f"no staff account {email}")
    set_password(user, password)
    db.session.commit()
    click.echo(f"new password for {user.email}; its sessions have ended")


def read_addresses(lines: list[str]) -> list[str]:
    """E-mail addresses from a bounce report: a CSV with an ``email`` column, or one a line."""
    header = next(csv.reader(lines[:1]), [])
    if "email" in (cell.strip().lower() for cell in header):
        rows = csv.DictReader(lines, fieldnames=[cell.strip().lower() for cell in header])
        next(rows)  # the header itself
        return [row["email"] or "" for row in rows]
    return lines


@mail_cli.command("bounces")
@click.argument("file", type=click.File(encoding="utf-8-sig"))
def bounces_command(file: IO[str]) -> None:
    """Mark the addresses in FILE as bounced: members there get no more mail.

    FILE is a list of addresses, one a line, or a CSV file with an "email" column (as mail
    services export bounce reports). A member who changes their address is mailed again.
    """
    addresses = [a for a in read_addresses(file.read().splitlines()) if "@" in a]
    matched = mark_bounced(addresses)
    db.session.commit()
    log.info("bounce report %s: %s of %s addresses matched", file.name, matched, len(addresses))
    click.echo(f"{matched} of {len(addresses)} addresses belong to members; marked as bounced")


def register_commands(app: Flask) -> None:
    app.cli.add_command(staff_cli)
    app.cli.add_command(mail_cli)
