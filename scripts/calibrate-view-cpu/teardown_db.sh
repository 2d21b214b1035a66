#!/bin/bash
# Drop this run's database and delete this run's Redis keys (by prefix only; nothing is flushed).
set -euo pipefail
cd "$(dirname "$0")"
source ./calib.env
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $CALIB_DB WITH (FORCE)"
redis-cli -h 127.0.0.1 --scan --pattern "$CALIB_PREFIX:*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null
rm -f calib.env
echo "dropped $CALIB_DB"
