#!/usr/bin/env bash
# Installs the peer proxies and load generators that `npm run bench:http` / `npm run bench` /
# `npm run bench:tls` measure against (Debian packages), and a C compiler with the OpenSSL headers
# for bench:tls's own load generator (bench/lib/tlsload.c). Only installs what is missing; needs
# root (or sudo).
# The Debian nginx/haproxy packages start system services on install; they are stopped and
# disabled again so they do not hold ports 80/443 or compete for the two cores during a run.
set -euo pipefail

declare -A pkg_for=([nginx]=nginx [haproxy]=haproxy [wrk]=wrk [h2load]=nghttp2-client [cc]=gcc)
missing=()
for tool in nginx haproxy wrk h2load cc; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
    missing+=("${pkg_for[$tool]}")
  fi
done
if ! [ -f /usr/include/openssl/ssl.h ]; then missing+=(libssl-dev); fi
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bench/setup.sh: nginx, haproxy, wrk, h2load, cc and the OpenSSL headers are present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
echo "bench/setup.sh: installing ${missing[*]}"
"${SUDO[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

# Without systemd the packages' init scripts may or may not have started a daemon; stop them
# either way. The bench runs its own foreground instances with generated configs.
for svc in nginx haproxy; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
  fi
done
echo "bench/setup.sh: done"
