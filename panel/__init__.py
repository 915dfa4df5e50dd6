"""People: members, attributes, consent, recruitment, staff accounts and mail.

``panel`` never imports ``surveys``: where a member's page or data export needs what
surveys hold, it asks through the signals in ``panel.signals``, which surveys answer.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from panel import jobs
    from panel.cli import register_commands
    from panel.demographics import models as demographics_models  # noqa: F401  (tables)
    from panel.groups import member_data as group_data
    from panel.groups import models as group_models  # noqa: F401
    from panel.groups.cli import groups_cli
    from panel.groups.views import bp as groups
    from panel.groups.views import member_bp as member_groups
    from panel.mail import models as mail_models  # noqa: F401
    from panel.members import models as member_models  # noqa: F401
    from panel.members.views import bp as members
    from panel.staff import models as staff_models  # noqa: F401
    from panel.staff.login_views import bp as login
    from panel.staff.views import bp as staff

    app.register_blueprint(members)
    app.register_blueprint(login)
    app.register_blueprint(staff)
    app.register_blueprint(groups)
    app.register_blueprint(member_groups)
    jobs.register_jobs()
    group_data.connect_signals()
    register_commands(app)
    app.cli.add_command(groups_cli)
