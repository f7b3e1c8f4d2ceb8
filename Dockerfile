# The API on uvicorn against DATABASE_URL; migrations (and the idempotent seed) run on start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/hair-evidence.db \
    WORKERS=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN pip install . && useradd --system --home /data app && mkdir -p /data && chown app /data

USER app
WORKDIR /data
EXPOSE 8000
CMD ["sh", "-c", "hair-evidence db upgrade && hair-evidence seed && exec hair-evidence serve --host 0.0.0.0 --port 8000 --workers \"$WORKERS\""]
