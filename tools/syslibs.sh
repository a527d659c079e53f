#!/bin/sh
# Install the Debian packages given as arguments if any is missing (apt-get when root),
# otherwise print the exact command to run. Silent when everything is present.
missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "depthlens: not a Debian system; make sure these (or your system's equivalents) are installed:$missing"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "depthlens: installing missing system packages:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
        || { echo "depthlens: apt-get failed; install these packages:$missing"; exit 1; }
else
    echo "depthlens: missing system packages:$missing"
    echo "  run: sudo apt-get install -y$missing"
    exit 1
fi
