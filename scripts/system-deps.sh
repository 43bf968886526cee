#!/usr/bin/env bash
# Install (or name) the system packages Pressroom needs: Pango for WeasyPrint, HarfBuzz's
# subsetter (font subsetting twice as fast), fonts covering Latin, Cyrillic, Greek, Arabic,
# Hebrew and CJK, Noto Color Emoji (emoji, flags and symbols print instead of empty boxes),
# Java for EPUBCheck, poppler-utils and qpdf for the PDF tests (text, pages, qpdf --check),
# redis-server for the Celery tests, Chromium and Node.js/npm for DAISY Ace (the EPUB
# accessibility tests), ICU's headers and a C++ compiler for PyICU (the index's collation by
# language). Installs with apt-get when root on Debian/Ubuntu; otherwise prints the command.
# With --bench: pandoc, which make bench compares against.
set -euo pipefail

packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
  default-jre-headless poppler-utils qpdf redis-server
  chromium nodejs npm
  libicu-dev pkg-config g++
)
if [ "${1:-}" = "--bench" ]; then
  packages=(pandoc)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing+=("$pkg") ;; esac
done
# A Java runtime installed some other way (e.g. a JDK in /usr/lib/jvm) is good enough.
if command -v java >/dev/null 2>&1; then
  missing=("${missing[@]/default-jre-headless}")
fi
if command -v redis-server >/dev/null 2>&1; then
  missing=("${missing[@]/redis-server}")
fi
# Node.js from elsewhere (NodeSource, nvm) brings its own npm; Debian's npm would clash.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: not a Debian/Ubuntu system; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "system packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  $cmd -qq >/dev/null
else
  echo "system packages missing: ${missing[*]}" >&2
  echo "run:  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
