#!/usr/bin/env bash
# The headless browser of the console's tests: Debian's chromium and chromium-driver.
#
#   scripts/browser.sh ensure   # installs them when missing (apt-get, needs root), prints two lines:
#                               #   export PIPEFLOW_TEST_CHROMIUM=/usr/bin/chromium
#                               #   export PIPEFLOW_TEST_CHROMEDRIVER=/usr/bin/chromedriver
#
# Everything else goes to stderr; exit 1 when the browser cannot be had. Never downloads a browser
# build of its own: the system packages only.
set -euo pipefail

log() { echo "browser: $*" >&2; }

CHROMIUM="${PIPEFLOW_CHROMIUM:-/usr/bin/chromium}"
DRIVER="${PIPEFLOW_CHROMEDRIVER:-/usr/bin/chromedriver}"

install_browser() {
    local missing=()
    [ -x "$CHROMIUM" ] || missing+=(chromium)
    [ -x "$DRIVER" ] || missing+=(chromium-driver)
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing ${missing[*]} and not root: cannot apt-get install"
        return 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2
}

case "${1:-}" in
    ensure)
        install_browser
        [ -x "$CHROMIUM" ] || { log "$CHROMIUM is missing after the install"; exit 1; }
        [ -x "$DRIVER" ] || { log "$DRIVER is missing after the install"; exit 1; }
        echo "export PIPEFLOW_TEST_CHROMIUM=$CHROMIUM"
        echo "export PIPEFLOW_TEST_CHROMEDRIVER=$DRIVER"
        ;;
    *)
        echo "usage: $0 ensure" >&2
        exit 2
        ;;
esac
