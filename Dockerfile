# One image for web (gunicorn), worker and beat. Build: docker compose build
# The base image is pinned to an exact release; move it on with the Python security releases.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

# WeasyPrint's libraries and the fonts the PDFs embed (Noto: Latin, Arabic, Cyrillic, CJK).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-core fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The runtime dependencies exactly as locked, every file checked against its hash (the lock also
# holds pip and setuptools); then the project itself, built by that setuptools, without fetching
# anything else. See docs/decisions/0001-locked-installs.md.
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt
COPY pyproject.toml README.md ./
RUN pip install --no-deps --no-build-isolation -e .
COPY . .
# Static files collected as production serves them (DEBUG off: the manifest WhiteNoise reads), with a
# throwaway key made for this command only; the real SECRET_KEY comes from the environment at run time.
RUN DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
      python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home /app wsis \
 && mkdir -p /app/var && chown -R wsis /app/var
USER wsis
EXPOSE 8000
CMD ["gunicorn", "wsis_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
