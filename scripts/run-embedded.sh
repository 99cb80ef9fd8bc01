#!/usr/bin/env bash
# The embedded default, as `make run` starts it: Django's development server and, beside it, a real
# Celery worker with beat on the filesystem broker (messages are files under var/broker), so that
# rendering, e-mail and compiling never hold a request, exactly as in production.
# Usage: run-embedded.sh HOST:PORT   (SITE_URL defaults to http://HOST:PORT, for links in e-mails)
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1:8000}
bin=${VENV:-.venv}/bin
export SITE_URL=${SITE_URL:-http://$host}
mkdir -p var
"$bin/celery" -A wsis_portal worker --beat --schedule var/celerybeat-schedule --concurrency 2 \
  --loglevel WARNING --without-gossip --without-mingle --without-heartbeat &
worker=$!
# Ctrl-C stops both. The worker finishes its task (warm shutdown) for up to ten seconds, then stops
# at once (a task not finished goes back to the queue: tasks are acknowledged when done).
stop_worker() {
  kill -TERM "$worker" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$worker" 2>/dev/null || return 0; sleep 0.2; done
  kill -QUIT "$worker" 2>/dev/null
  for _ in $(seq 25); do kill -0 "$worker" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$worker" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT TERM
echo
echo "The portal: $SITE_URL/   (background work: a Celery worker on var/broker, pid $worker)"
echo "E-mails are printed in this terminal (EMAIL_URL=filemail:// writes them to var/mail instead)."
echo "Demo logins: printed above by seed_demo. The secretariat's admin asks for a code from an"
echo "authenticator app: add the demo key printed with them (demo only) to one on your phone."
echo
"$bin/python" manage.py runserver "$host"
