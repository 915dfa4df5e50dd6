"""Results: weighting a wave, the politicians' summary, exports and the report."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from surveys.results.export_views import bp as exports
    from surveys.results.figures import change_sentence, figure_parts, margin_statement
    from surveys.results.views import bp as results
    from surveys.results.weighting_views import bp as weighting

    for blueprint in (results, weighting, exports):
        app.register_blueprint(blueprint)
    app.add_template_global(figure_parts)
    app.add_template_global(margin_statement)
    app.add_template_global(change_sentence)
