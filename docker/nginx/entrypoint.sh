#!/bin/sh
# nginx for the Tianshui CIM platform: make a self-signed certificate when none
# is mounted, render nginx.conf from the template, run nginx in the foreground.
#
# Environment (defaults are the container's):
#   CIM_WEB_SERVERS   gunicorn instances, space-separated host:port  (web:8000)
#   CIM_ASGI_SERVERS  ASGI instances, space-separated host:port      (asgi:8001)
#   CIM_HTTP_LISTEN / CIM_HTTPS_LISTEN  listen addresses              (80 / 443)
#   CIM_HTTPS_PORT    the HTTPS port clients see, for the redirect    (443)
#   CIM_CERT_DIR      tls.crt + tls.key; generated here if absent     (/etc/nginx/certs)
#   CIM_TLS_HOSTNAME  the self-signed certificate's name              (localhost)
#   CIM_STATIC_ROOT / CIM_MEDIA_ROOT    the shared volumes            (/srv/static /srv/media)
#   CIM_NGINX_RUN_DIR pid and temporary files                         (/var/cache/nginx/cim)
#   CIM_NGINX_CONF    where the rendered configuration goes           (/etc/nginx/nginx.conf)
#   CIM_NGINX_TEMPLATE                                                (next to this script)
# Arguments: extra nginx arguments (e.g. -t to test the configuration only).
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
: "${CIM_WEB_SERVERS:=web:8000}"
: "${CIM_ASGI_SERVERS:=asgi:8001}"
: "${CIM_HTTP_LISTEN:=80}"
: "${CIM_HTTPS_LISTEN:=443}"
: "${CIM_HTTPS_PORT:=443}"
: "${CIM_CERT_DIR:=/etc/nginx/certs}"
: "${CIM_TLS_HOSTNAME:=localhost}"
: "${CIM_STATIC_ROOT:=/srv/static}"
: "${CIM_MEDIA_ROOT:=/srv/media}"
: "${CIM_NGINX_RUN_DIR:=/var/cache/nginx/cim}"
: "${CIM_NGINX_CONF:=/etc/nginx/nginx.conf}"
: "${CIM_NGINX_TEMPLATE:=$HERE/nginx.conf.template}"
: "${CIM_NGINX_WORKERS:=auto}"
: "${CIM_NGINX_ACCESS_LOG:=/dev/stdout}"
: "${CIM_NGINX_ERROR_LOG:=/dev/stderr}"
: "${CIM_NGINX_MIME_TYPES:=/etc/nginx/mime.types}"

upstream_lines() {
  out=""
  for server in $1; do
    out="${out}        server ${server} max_fails=1 fail_timeout=5s;
"
  done
  printf '%s' "$out"
}

if [ ! -s "$CIM_CERT_DIR/tls.crt" ] || [ ! -s "$CIM_CERT_DIR/tls.key" ]; then
  echo "entrypoint: no certificate in $CIM_CERT_DIR: generating a self-signed one for $CIM_TLS_HOSTNAME" >&2
  mkdir -p "$CIM_CERT_DIR"
  umask 077
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$CIM_TLS_HOSTNAME" \
    -addext "subjectAltName=DNS:$CIM_TLS_HOSTNAME,DNS:localhost,IP:127.0.0.1" \
    -keyout "$CIM_CERT_DIR/tls.key" -out "$CIM_CERT_DIR/tls.crt" 2>/dev/null
  umask 022
fi

CIM_WEB_UPSTREAM="$(upstream_lines "$CIM_WEB_SERVERS")"
CIM_ASGI_UPSTREAM="$(upstream_lines "$CIM_ASGI_SERVERS")"
if [ "$CIM_HTTPS_PORT" = "443" ]; then CIM_HTTPS_PORT_SUFFIX=""; else CIM_HTTPS_PORT_SUFFIX=":$CIM_HTTPS_PORT"; fi
export CIM_WEB_UPSTREAM CIM_ASGI_UPSTREAM CIM_HTTPS_PORT_SUFFIX CIM_HTTP_LISTEN CIM_HTTPS_LISTEN \
  CIM_CERT_DIR CIM_STATIC_ROOT CIM_MEDIA_ROOT CIM_NGINX_RUN_DIR CIM_NGINX_WORKERS \
  CIM_NGINX_ACCESS_LOG CIM_NGINX_ERROR_LOG CIM_NGINX_MIME_TYPES

mkdir -p "$CIM_NGINX_RUN_DIR" "$(dirname "$CIM_NGINX_CONF")"
# Only our own ${CIM_…} names: nginx's $variables stay as they are.
# shellcheck disable=SC2016
envsubst '${CIM_WEB_UPSTREAM} ${CIM_ASGI_UPSTREAM} ${CIM_HTTPS_PORT_SUFFIX} ${CIM_HTTP_LISTEN}
  ${CIM_HTTPS_LISTEN} ${CIM_CERT_DIR} ${CIM_STATIC_ROOT} ${CIM_MEDIA_ROOT} ${CIM_NGINX_RUN_DIR}
  ${CIM_NGINX_WORKERS} ${CIM_NGINX_ACCESS_LOG} ${CIM_NGINX_ERROR_LOG} ${CIM_NGINX_MIME_TYPES}' \
  <"$CIM_NGINX_TEMPLATE" >"$CIM_NGINX_CONF"

exec nginx -c "$CIM_NGINX_CONF" -g 'daemon off;' "$@"
