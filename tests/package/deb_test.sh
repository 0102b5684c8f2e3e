#!/usr/bin/env bash
# Builds the Debian package (cpack), checks its control data, unpacks it into a scratch root
# (dpkg -x: nothing is installed on the machine) and runs its binaries from there.
#   deb_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2

for tool in dpkg-deb dpkg-shlibdeps; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (Debian packages dpkg, dpkg-dev)"
    exit 77
  fi
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if ! cmake --build "$build" --target package >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  echo "FAIL: cmake --build --target package"
  exit 1
fi
deb="$build/servicesmgr_${version}_amd64.deb"
[ -f "$deb" ] || { echo "FAIL: $deb was not made"; ls "$build"/*.deb 2>/dev/null; exit 1; }

fail() { echo "FAIL: $*"; exit 1; }

# Control data: Depends names Debian's runtime libraries, which are installable here.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libzookeeper-mt2 libyaml-cpp0.7 libspdlog libfmt libcpp-httplib libc6 libstdc++6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done
# Every package it depends on (first of each alternative) is installed here, or provided by an
# installed package (libspdlog1.10 provides libspdlog1.10-fmt9).
provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' | awk '$1 == "ii"' |
           sed -E 's/\([^)]*\)//g; s/,/ /g' | cut -d' ' -f2- | tr -s ' ' '\n')
IFS=',' read -ra items <<<"$depends"
for item in "${items[@]}"; do
  package=$(sed -E 's/^ *//; s/ *\|.*//; s/ *\(.*//' <<<"$item")
  grep -qxF -- "$package" <<<"$provided" || fail "dependency $package is neither installed nor provided"
done
[ "$(dpkg-deb -f "$deb" Package)" = servicesmgr ] || fail "Package is not servicesmgr"
[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "Architecture is not amd64"
dpkg-deb -e "$deb" "$scratch/control"
grep -qx /etc/servicesmgr/servicesmgr.conf "$scratch/control/conffiles" || fail "conffiles"
[ -x "$scratch/control/postinst" ] || fail "postinst is not executable"

# Unpacked into a scratch root.
root="$scratch/root"
dpkg -x "$deb" "$root"
for f in usr/bin/servicesmgr usr/bin/servicesctl usr/bin/sm-demo-service \
         usr/lib/systemd/system/servicesmgr.service etc/servicesmgr/servicesmgr.conf \
         usr/share/doc/servicesmgr/operations.md \
         usr/share/doc/servicesmgr/examples/monitoring/alerts.yml; do
  [ -e "$root/$f" ] || fail "$f is not in the package"
done
grep -q '^ExecStart=/usr/bin/servicesmgr --config /etc/servicesmgr/servicesmgr.conf$' \
  "$root/usr/lib/systemd/system/servicesmgr.service" || fail "the unit does not run /usr/bin/servicesmgr"
for bin in servicesmgr servicesctl sm-demo-service; do
  if ldd "$root/usr/bin/$bin" | grep -q 'not found'; then
    ldd "$root/usr/bin/$bin"
    fail "$bin misses a library"
  fi
done

out=$("$root/usr/bin/servicesmgr" --version)
echo "$out"
[ "$out" = "servicesmgr $version" ] || fail "servicesmgr --version says \"$out\""
"$root/usr/bin/servicesctl" --help >"$scratch/help.txt" || fail "servicesctl --help failed"
grep -q 'servicesctl' "$scratch/help.txt" || fail "servicesctl --help says nothing about itself"
"$root/usr/bin/servicesmgr" --help | grep -q -- '--http' || fail "servicesmgr --help lacks --http"
echo "OK: $deb"
