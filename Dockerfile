# One image for every process of the distributed mode: api, worker and scheduler differ only in
# their command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY calendar_service ./calendar_service
COPY workers ./workers
RUN pip install . \
 && useradd --system --create-home --home-dir /home/calendar calendar \
 && mkdir -p /app/var && chown calendar /app/var

USER calendar
EXPOSE 8000
CMD ["calendar-service", "serve", "--host", "0.0.0.0", "--port", "8000"]
