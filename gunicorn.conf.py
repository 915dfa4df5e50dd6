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

#: One sync worker per core. The app is CPU-bound (templates, conditions, the ORM), so more
#: processes than cores only queue for a core inside the server. Measured on 2 cores with
#: 50 citizens answering at once (bench/RESULTS.md, "Answering", idle machine): 2 sync
#: workers kept the server time p95 at 14-38 ms on SQLite and PostgreSQL and served the most
#: requests per second; 2 gthread workers x 4 threads reached 35-129 ms. Sync workers need
#: a buffering proxy in front (nginx), so a slow phone never holds a worker.
#: ``WEB_CONCURRENCY`` (what hosting platforms set) overrides the count, for example where
#: the database is across a network and workers wait on it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
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
