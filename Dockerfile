# Samtaleguide: the Teams bot in one image (Python 3.11, LibreOffice Writer for the plan's PDF).
#
#   docker build -t samtaleguide .            # or, without local Docker:
#   az acr build --registry <acr> --image samtaleguide:<version> .
#
# Listens on PORT (default 3978) on all interfaces; settings come from the environment (see
# .env.example and docs/deploy.md). Without MicrosoftAppId it refuses to start (nothing would be
# authenticated) unless ALLOW_UNAUTHENTICATED=true, for a try on your own machine only.
# Runs as an unprivileged user; the app folder and the venv are read-only to it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TZ=Europe/Copenhagen \
    VENV=/opt/samtaleguide/venv \
    HOST=0.0.0.0 \
    PORT=3978 \
    LOCAL_STORAGE_DIR=/var/lib/samtaleguide

# LibreOffice Writer (headless) turns the development plan into PDF; the fonts keep the layout of
# documents written with Arial/Times/Calibri-like metrics; tzdata for TZ=Europe/Copenhagen.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libreoffice-writer-nogui \
        fonts-liberation \
        fonts-dejavu-core \
        tzdata \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 samtaleguide \
    && useradd --system --uid 10001 --gid samtaleguide --create-home \
        --home-dir /home/samtaleguide --shell /usr/sbin/nologin samtaleguide \
    && mkdir -p /var/lib/samtaleguide \
    && chown samtaleguide:samtaleguide /var/lib/samtaleguide

WORKDIR /app
COPY . /app
RUN bash deploy/install.sh "$VENV" \
    && rm -rf /app/build /app/*.egg-info \
    && chmod -R a+rX /app "$VENV"

USER samtaleguide
EXPOSE 3978

# No curl in the image: the health check is Python's urllib (a non-2xx answer raises, exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3978') + '/healthz', timeout=4)"]

CMD ["deploy/start.sh"]
