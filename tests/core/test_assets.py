"""The stylesheet under a URL that changes with its content, kept by browsers for a year:
a slow phone connection does not revalidate it on every page."""

import re

from core.assets import LONG_MAX_AGE


def test_pages_link_the_stylesheet_by_its_content_and_it_is_cached_a_year(client):
    page = client.get("/about").get_data(as_text=True)
    [href] = re.findall(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page)
    kept = client.get(href)
    assert kept.status_code == 200
    assert f"max-age={LONG_MAX_AGE}" in kept.headers["Cache-Control"]
    # without the digest it is revalidated as before, so an old URL never pins an old file
    plain = client.get("/static/app.css")
    assert f"max-age={LONG_MAX_AGE}" not in plain.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    from core.assets import asset_url

    static = tmp_path / "static"
    static.mkdir()
    (static / "x.css").write_text("a { color: red }")
    app.static_folder = str(static)
    with app.test_request_context():
        first = asset_url("x.css")
        (static / "x.css").write_text("a { color: blue }")
        import os

        os.utime(static / "x.css", (1, 1))
        assert asset_url("x.css") != first
