#!/bin/bash
# Create a private database calib_<random> on the shared Postgres, migrate, seed; writes calib.env.
set -euo pipefail
cd "$(dirname "$0")"
DB=calib_$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $DB"
export CALIB_DB=$DB CALIB_PREFIX=$DB
/usr/bin/python3 manage.py migrate -v0
/usr/bin/python3 manage.py shell -c "import seed; seed.run()" > /tmp/calib_seed.$$
{ echo "export CALIB_DB=$DB CALIB_PREFIX=$DB"; cat /tmp/calib_seed.$$; } > calib.env
rm -f /tmp/calib_seed.$$
cat calib.env
