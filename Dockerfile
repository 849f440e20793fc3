# GradLab under gunicorn. Build: docker build -t gradlab .   Run: docker run -p 8050:8050 gradlab
FROM python:3.11-slim

# torch's CPU-only wheel: the default PyPI wheel pulls gigabytes of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8050

WORKDIR /srv/gradlab
COPY requirements.txt .
RUN pip install --extra-index-url "$TORCH_INDEX_URL" -r requirements.txt

COPY app/ app/
COPY components/ components/
COPY engine/ engine/
COPY assets/ assets/
COPY gunicorn.conf.py .

RUN useradd --create-home --uid 10001 gradlab
USER gradlab
EXPOSE 8050
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
