"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py`` (or just ``gunicorn``
from the repository root, which reads this file).

Every value can be overridden on the command line; the ones operators change are read from
the environment. Measured on the project's 2-core machine (``bench/RESULTS.md``,
"Answering"): see ``worker_class`` for the choice of worker.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

#: gunicorn's rule of thumb, 2 x cores + 1: a sync worker waiting on the database leaves the
#: core to another. ``WEB_CONCURRENCY`` is what hosting platforms set.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
#: Threaded workers: a request waiting on the database leaves its process to another
#: thread. Measured on 2 cores under 50 clients answering (bench/RESULTS.md, "Answering"),
#: 2 gthread workers x 4 threads served 40-75% more requests per second than 5 sync
#: workers, with a lower server-time p95, on SQLite and PostgreSQL. Behind a buffering
#: proxy (nginx) slow phones hold no thread either way.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
#: Off: each worker imports the app after the fork and so opens its own database pool
#: (a pool's connections must never be shared across a fork).
preload_app = False
#: A request that takes longer than this is killed with its worker (a stuck query); the
#: slowest legitimate requests are staff imports of 100,000 members (about 15 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
#: Recycle a worker now and then, staggered, so a slow leak never builds up.
max_requests = 10_000
max_requests_jitter = 1_000
#: The proxy in front terminates TLS and sets X-Forwarded-*; trust it only from loopback
#: unless told otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

#: The access log on stdout with the request time in milliseconds (``%(M)s``) at the end.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
