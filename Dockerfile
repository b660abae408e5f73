# CRM Portal: one image for the portal (daphne), the relay (manage.py relay) and the simulator.
FROM python:3.11-slim

# DEBUG is off in the image; only a developer's own environment turns it on.
ENV DEBUG=false \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 crm
WORKDIR /app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=crm:crm . .
# collectstatic needs settings that import cleanly; these values exist only at build time.
RUN DEBUG=false SECRET_KEY=collectstatic-only OMTRADER_USERNAME=build OMTRADER_PASSWORD=build \
    python manage.py collectstatic --noinput

USER crm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# daphne on one socket: one process per core with Redis (LIVE_RELAY=external), else one
# (PORTAL_PROCESSES overrides; see crmportal/live/management/commands/serve.py).
ENTRYPOINT ["python", "manage.py", "serve", "--bind", "0.0.0.0", "--port", "8000"]
