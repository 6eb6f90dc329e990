# The same Flask app as the `api` Cloud Function, served by gunicorn: for Cloud Run, AWS ECS/Fargate, Azure
# Container Apps or any container host (docs/deploy.md). The model ships inside the image (functions/models).
#   docker build -t fruit-api .
#   docker run -p 8080:8080 -e GOOGLE_CLOUD_PROJECT=<project> -e STORAGE_BUCKET=<bucket> fruit-api
# Python 3.11: tflite-runtime has wheels only up to 3.11 (functions/requirements.in).
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

WORKDIR /app
# The lock: the same versions, hash-checked, that `firebase deploy` installs and CI tests (scripts/lock).
COPY functions/requirements-server.txt ./
RUN pip install --require-hashes --no-deps -r requirements-server.txt

COPY functions/ ./
RUN useradd --system --uid 10001 --no-create-home fruit
USER 10001

EXPOSE 8080
CMD ["gunicorn", "--config", "gunicorn.conf.py", "fruitclf.doors.wsgi:app"]
