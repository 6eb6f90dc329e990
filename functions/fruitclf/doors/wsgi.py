"""WSGI entry point: the same Flask app as the `api` function, for gunicorn in a container (Dockerfile) or CI.

    gunicorn --config gunicorn.conf.py fruitclf.doors.wsgi:app      (from functions/)

Outside Cloud Functions there is no FIREBASE_CONFIG: set GOOGLE_CLOUD_PROJECT and STORAGE_BUCKET (README).
"""

from ..web.app import create_app
from .cloud_logging import configure as configure_logging

configure_logging()
app = create_app()
