"""Static files under URLs that change with their content, so browsers keep them a year.

Every citizen page loads ``app.css``; served with ``no-cache`` it costs a revalidation
round trip per page on a slow phone connection. ``asset_url`` adds a digest of the file's
content (``?v=``), so a new version has a new URL, and files asked for with one are sent
with a year's ``max-age`` (``Borgerpanel.get_send_file_max_age``). The digest is computed
once per file and change of its modification time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import current_app, url_for

#: A year: the file under this URL never changes.
LONG_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=64)
def _digest(path: str, modified: float) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """The URL of a static file, with the digest of its content."""
    static = current_app.static_folder or ""
    path = os.path.join(static, filename)
    return url_for("static", filename=filename, v=_digest(path, os.path.getmtime(path)))
