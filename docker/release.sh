#!/bin/sh
# The one-shot release step of docker/compose.yaml (service "migrate"): apply the
# migrations once (not in every replica), then publish this image's static files
# to the volume nginx serves them from.  web, asgi and worker start after it succeeded.
set -eu
python manage.py migrate --noinput
mkdir -p "$CIM_STATIC_ROOT"
# New files are added and changed ones replaced; files of the previous version
# stay, so pages it rendered just before the switch still find theirs.
cp -a /srv/cim/staticfiles/. "$CIM_STATIC_ROOT/"
echo "release: migrations applied, static files published to $CIM_STATIC_ROOT"
