"""Citizens' own initiatives: citizen proposals (borgerforslag) and the idea bank (idébank).

Both follow the principles the panel is built on: what a proposal or an idea can lead to is
stated before anyone writes one, and every one of them gets an answer, shown on its page.
``initiatives`` builds on ``panel`` (members, login links, the outbox) and ``core``, and on
``surveys`` only to put a question about a proposal to a panel wave; ``panel`` never imports
it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from initiatives import ideas, member_data, proposals

    proposals.init_app(app)
    ideas.init_app(app)
    member_data.connect_signals()
