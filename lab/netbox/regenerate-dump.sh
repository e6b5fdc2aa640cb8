#!/usr/bin/env bash
# Rebuild lab/netbox/fixtures/netbox-<version>.sql.gz: a fresh PostgreSQL 15 cluster, a full
# `netbox migrate` (about 9 minutes), then pg_dump | gzip. Run as root (initdb runs as postgres).
# Uses a private run dir, so it is safe while a lab is up. Commit the new fixture and remove
# the old one when the NetBox version changes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${LAB_PYTHON:-$repo/.venv/bin/python}"
[[ -x "$python" ]] || python=python3
PYTHONPATH="$repo/lab${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m exposure_lab.netbox regenerate-dump
