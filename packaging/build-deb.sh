#!/usr/bin/env bash
# Builds Testfleet's Debian packages into OUTDIR:
#   testfleet-controller_VERSION_ARCH.deb  the controller with its resource bundle, systemd unit and
#                                           /etc/testfleet/controller.toml
#   testfleet-agent_VERSION_ARCH.deb       the agent with its systemd unit (enroll writes /etc/testfleet/agent.toml)
#   testfleet-cli_VERSION_ARCH.deb         the testfleet command, for CI machines and workstations
#
# Usage: packaging/build-deb.sh OUTDIR
#
# Environment:
#   BUILD_CONFIG  release (the default): swift build -c release --static-swift-stdlib in .build-release;
#                 stripped binaries that need no Swift runtime (checked with ldd).
#                 debug: a debug build as it is; it loads the Swift runtime of the machine it was built on,
#                 so it is for tests of the packaging only.
#   BIN_DIR       package the binaries in this directory instead of building them (e.g. the tests' build).
#   MAINTAINER    the packages' Maintainer field.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

usage() { echo "usage: BUILD_CONFIG=release|debug [BIN_DIR=DIR] $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
outdir="$1"
config="${BUILD_CONFIG:-release}"
case "$config" in release|debug) ;; *) echo "BUILD_CONFIG must be release or debug, not $config" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
root="$(pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
maintainer="${MAINTAINER:-Testfleet maintainers <testfleet@localhost>}"
for tool in dpkg-deb dpkg ldd; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install dpkg libc-bin)" >&2; exit 1; }
done

if [ -n "${BIN_DIR:-}" ]; then
  bin="$(cd "$BIN_DIR" && pwd)"
elif [ "$config" = release ]; then
  echo "--- swift build -c release --static-swift-stdlib (in .build-release)"
  swift build -c release --static-swift-stdlib --scratch-path .build-release
  bin="$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)"
else
  echo "--- swift build (debug)"
  swift build
  bin="$(swift build --show-bin-path)"
fi
bundle="testfleet_testfleet-controller.resources"
for item in testfleet-controller testfleet-agent testfleet "$bundle"; do
  [ -e "$bin/$item" ] || { echo "$bin/$item is missing: build first" >&2; exit 1; }
done

version="$("$bin/testfleet" --version)"
arch="$(dpkg --print-architecture)"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/testfleet-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The binaries, stripped in a release build; the Swift runtime must be inside them.
mkdir -p "$work/bin"
for name in testfleet-controller testfleet-agent testfleet; do
  cp "$bin/$name" "$work/bin/$name"
  if [ "$config" = release ]; then
    strip --strip-unneeded "$work/bin/$name"
    if ldd "$work/bin/$name" | grep -E 'libswift|libFoundation|lib_FoundationICU|/opt/swift|not found'; then
      echo "$name needs libraries a target machine lacks (see above): build with --static-swift-stdlib" >&2
      exit 1
    fi
  fi
done
cp -R "$bin/$bundle" "$work/bin/$bundle"

# Depends: the packages that own the shared libraries the binaries load (libc6, zlib1g, …).
depends() {
  local packages=()
  for library in $(ldd "$@" | awk '/:$/ { next } $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
    owner="$( (dpkg -S "$(readlink -f "$library")" 2>/dev/null || dpkg -S "$library" 2>/dev/null || true) | head -n 1)"
    [ -n "$owner" ] && packages+=("${owner%%:*}")
  done
  # The C library no older than the newest symbol version the binaries ask for (packed relocations: 2.36).
  local glibc
  glibc="$( (readelf -V "$@" 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_//'
    readelf -V "$@" 2>/dev/null | grep -q GLIBC_ABI_DT_RELR && echo 2.36) | sort -uV | tail -n 1)"
  printf '%s\n' "${packages[@]}" | sort -u | sed "s/^libc6\$/libc6${glibc:+ (>= $glibc)}/" | paste -sd, | sed 's/,/, /g'
}

# package NAME DESCRIPTION EXTRA-CONTROL-LINES: builds $work/NAME into OUTDIR.
package() {
  local name="$1" description="$2" extra="$3" tree="$work/$1" binaries=()
  for file in "$tree"/usr/bin/* "$tree"/usr/lib/testfleet/testfleet-*; do
    [ -f "$file" ] && [ ! -L "$file" ] && binaries+=("$file")
  done
  local size
  size="$(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $size"
    local deps
    deps="$(depends "${binaries[@]}")"
    [ -n "$deps" ] && echo "Depends: $deps"
    [ -n "$extra" ] && printf '%s\n' "$extra"
    echo "Section: devel"
    echo "Priority: optional"
    echo "Description: $description"
  } > "$tree/DEBIAN/control"
  local compression=(-Zxz)
  [ "$config" = debug ] && compression=(-Zgzip -z1)
  dpkg-deb --root-owner-group "${compression[@]}" --build "$tree" "$outdir/${name}_${version}_${arch}.deb" >/dev/null
  echo "built $outdir/${name}_${version}_${arch}.deb"
}

# maintainer_scripts TREE key=value…: the shared postinst, prerm and postrm with this package's values.
maintainer_scripts() {
  local tree="$1"; shift
  for script in postinst prerm postrm; do
    local text
    text="$(cat "$root/packaging/maintainer/$script")"
    for pair in "$@"; do text="${text//@${pair%%=*}@/${pair#*=}}"; done
    if grep -q '@[A-Z_]*@' <<<"$text"; then echo "$script: unfilled placeholder" >&2; exit 1; fi
    printf '%s\n' "$text" > "$tree/DEBIAN/$script"
    chmod 0755 "$tree/DEBIAN/$script"
  done
}

umask 022

# The controller: the binary and its resource bundle side by side in /usr/lib/testfleet (Bundle.module looks
# beside the executable it resolves /proc/self/exe to), a symlink in /usr/bin.
tree="$work/testfleet-controller"
install -d "$tree/DEBIAN" "$tree/usr/bin" "$tree/usr/lib/testfleet" "$tree/lib/systemd/system" "$tree/etc/testfleet"
install -m 0755 "$work/bin/testfleet-controller" "$tree/usr/lib/testfleet/testfleet-controller"
cp -R "$work/bin/$bundle" "$tree/usr/lib/testfleet/$bundle"
find "$tree/usr/lib/testfleet/$bundle" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
chmod 0755 "$tree/usr/lib/testfleet/$bundle/Resources/demo/run-case.sh" 2>/dev/null || true
ln -s ../lib/testfleet/testfleet-controller "$tree/usr/bin/testfleet-controller"
install -m 0644 packaging/controller/testfleet-controller.service "$tree/lib/systemd/system/testfleet-controller.service"
install -m 0644 packaging/controller/controller.toml "$tree/etc/testfleet/controller.toml"
echo /etc/testfleet/controller.toml > "$tree/DEBIAN/conffiles"
maintainer_scripts "$tree" PACKAGE=testfleet-controller USER=testfleet DATA_DIR=/var/lib/testfleet \
  UNIT=testfleet-controller.service SHIPPED_CONFIG=/etc/testfleet/controller.toml DESCRIPTION="Testfleet controller" \
  NEXT_STEP="Review /etc/testfleet/controller.toml, then: systemctl start testfleet-controller (the first admin's password is then in /var/lib/testfleet/initial-admin-password)."
package testfleet-controller "Testfleet controller: runs test tasks on a fleet of test machines
 Keeps the catalog of products and tools, the fleet and the queue in PostgreSQL, hands cases to agents,
 writes reports and serves the web UI and the API over HTTPS. Without a configured database it runs an
 embedded PostgreSQL cluster (the postgresql package's binaries)." \
  "Recommends: postgresql
Suggests: postgresql-client, testfleet-agent, testfleet-cli"

# The agent: its unit is rendered by the agent itself, the same template install-service writes.
tree="$work/testfleet-agent"
install -d "$tree/DEBIAN" "$tree/usr/bin" "$tree/lib/systemd/system" "$tree/etc/testfleet"
install -m 0755 "$work/bin/testfleet-agent" "$tree/usr/bin/testfleet-agent"
"$work/bin/testfleet-agent" install-service --print --defaults --config /etc/testfleet/agent.toml \
  --user testfleet-agent --executable /usr/bin/testfleet-agent > "$tree/lib/systemd/system/testfleet-agent.service"
chmod 0644 "$tree/lib/systemd/system/testfleet-agent.service"
maintainer_scripts "$tree" PACKAGE=testfleet-agent USER=testfleet-agent DATA_DIR=/var/lib/testfleet-agent \
  UNIT=testfleet-agent.service SHIPPED_CONFIG= DESCRIPTION="Testfleet agent" \
  NEXT_STEP="Enroll this machine (testfleet-agent enroll --controller URL --token TOKEN --ca-sha256 FINGERPRINT --config /etc/testfleet/agent.toml), list what is installed in that file, then: systemctl start testfleet-agent."
package testfleet-agent "Testfleet agent: runs test cases on this machine for a Testfleet controller
 Enrolls with a token, reports the products and tools installed here, leases the cases it can run, runs
 each in its own process group and sends the log and the result back over TLS." ""

# The CLI on its own: CI machines that submit tasks run no agent.
tree="$work/testfleet-cli"
install -d "$tree/DEBIAN" "$tree/usr/bin"
install -m 0755 "$work/bin/testfleet" "$tree/usr/bin/testfleet"
package testfleet-cli "Testfleet command line: submit test tasks, wait for them, get their reports
 For CI pipelines and people: submits a task, follows it with a progress bar, exits non-zero when cases
 fail and writes JUnit XML; lists and manages products, tools and nodes." ""
