"""gunicorn in production (Procfile.production), every figure from the environment.

Threads serve the redirect's many short requests well (each waits mostly on the database), and
each process keeps one more connection for its tracking writer (tracking/writer.py), so size
the database's connection limit for WEB_CONCURRENCY x (GUNICORN_THREADS + 1) per machine.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - behind the load balancer
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# A deploy sends SIGTERM: requests in flight and the tracking writer's queue get this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle a worker after this many requests (0: never), with jitter so they do not all restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The load balancer's addresses, whose X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "true").lower() == "true" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
