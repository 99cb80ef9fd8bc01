# One image for web (gunicorn), worker and beat. Build: docker compose build
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var

# WeasyPrint's libraries and the fonts the PDFs embed (Noto: Latin, Arabic, Cyrillic, CJK).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-core fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt -e .
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home /app wsis \
 && mkdir -p /app/var && chown -R wsis /app/var
USER wsis
EXPOSE 8000
CMD ["gunicorn", "wsis_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
