# GradLab under gunicorn.
#   Build: docker build -t gradlab .
#   Run:   docker run -p 8050:8050 gradlab    (configure with -e PORT=..., -e GRADLAB_..., see README)
# tests/deploy runs this image's CMD without Docker and checks this file against what it runs.

# --- build: a virtual environment with the dependencies ------------------------------------
FROM python:3.11-slim AS build

# torch's CPU-only wheel: the default PyPI wheel pulls gigabytes of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --extra-index-url "$TORCH_INDEX_URL" -r /tmp/requirements.txt \
    && /opt/venv/bin/python -c "import sys, torch; sys.exit(torch.version.cuda is not None)"

# --- run: the slim base, the environment, the app; no compilers, no pip cache -----------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PORT=8050 \
    GRADLAB_CACHE_DIR=/tmp/gradlab-cache

COPY --from=build /opt/venv /opt/venv

WORKDIR /srv/gradlab
COPY app/ app/
COPY components/ components/
COPY engine/ engine/
COPY assets/ assets/
COPY gunicorn.conf.py .
RUN python -m compileall -q app components engine

RUN useradd --create-home --uid 10001 gradlab
USER gradlab
EXPOSE 8050

# /healthz, at the prefix the app routes under (GRADLAB_URL_PREFIX unless the proxy strips it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, runpy, urllib.request; s = runpy.run_path('app/settings.py'); p = '/' if s['PROXY_STRIPS_PREFIX'] else s['URL_PREFIX']; urllib.request.urlopen('http://127.0.0.1:%s%shealthz' % (os.environ.get('PORT', '8050'), p), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
