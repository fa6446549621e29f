#!/usr/bin/env bash
# pg_prove mangles a --dbname that contains '=' (every libpq URI with query
# parameters), so it is given this wrapper as its psql and the connection
# comes from DATABASE_URI instead.
exec psql -d "${DATABASE_URI:?DATABASE_URI is not set}" "$@"
