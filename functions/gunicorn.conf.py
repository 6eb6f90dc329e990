"""gunicorn settings for the container (Dockerfile) and CI's run against the emulators.

One worker process holds one copy of the model; threads serve concurrent requests (the interpreter is guarded),
matching the Cloud Function's concurrency of 8. PORT is what Cloud Run, Container Apps and ECS set.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
# Logs go to stdout/stderr, where container hosts collect them (the app writes one line per request itself).
accesslog = None
errorlog = "-"
# No admin socket in the home directory: the container's user has none, and nothing here uses it.
control_socket_disable = True
