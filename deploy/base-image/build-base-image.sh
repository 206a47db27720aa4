#!/usr/bin/env bash
# Builds the raftkv JRE base image without any container registry: a minimal Debian root file system made by
# debootstrap from a Debian package mirror, plus a jlinked Java runtime made from a local JDK, loaded into the
# Docker engine with `docker import`. The project image (deploy/Dockerfile) then builds FROM it.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/base-image/build-base-image.sh [OPTIONS]

Builds a JRE base image for raftkv with no container registry: debootstraps a minimal Debian
(bookworm, --variant=minbase) from a Debian package mirror, adds a jlinked Java runtime made from a local
JDK 21+, and loads the result into the local Docker engine with `docker import`.

Build the project image on it with:  deploy/build-image.sh --base-image raftkv/jre-base:local

Options:
  --image NAME        image to create (default: $RAFTKV_BASE_IMAGE or raftkv/jre-base:local)
  --force             rebuild the image even if it already exists (the debootstrap cache is reused)
  --refresh-rootfs    run debootstrap again instead of using the cached root file system
  --rootfs-tar FILE   use this root file system tarball instead of running debootstrap (air-gapped hosts)
  --jdk DIR           JDK 21+ to jlink from (default: $JAVA_HOME when it is 21+, else
                      /usr/lib/jvm/temurin-25-jdk-amd64)
  --mirror URL        Debian mirror for debootstrap (default: the one this host's apt uses for the suite,
                      else http://deb.debian.org/debian); file:// URLs work for a mounted mirror or DVD
  --suite NAME        Debian suite (default: bookworm)
  --cache-dir DIR     where the debootstrapped root file system is kept (default: $RAFTKV_CACHE_DIR or
                      ~/.cache/raftkv, under base-image/)
  --add-modules LIST  extra JDK modules for the runtime, comma-separated
  --print-modules     print the JDK modules the runtime gets, then exit
  --check             exit 0 if the image exists and is up to date, 1 if it would be built; build nothing
  -h, --help          show this help

Needs root (debootstrap), debootstrap, tar and a running Docker engine. The first run downloads about
40 MB of Debian packages; later runs reuse the cached root file system and take a few seconds.
The image is kept when it exists and was made from the same JDK, module list and Debian suite (a fingerprint
in its environment), so running this script again is cheap; when any of them changed it is rebuilt.

Air-gapped hosts: point --mirror at a local Debian mirror (http:// or file://), or make the root file
system on a connected machine with
    debootstrap --variant=minbase --include=passwd bookworm rootfs http://deb.debian.org/debian
    tar -C rootfs -cf rootfs.tar .
carry rootfs.tar over and pass --rootfs-tar rootfs.tar. The JDK is taken from the host either way.
USAGE
}

log() { echo "[base-image] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# The JDK modules of the runtime. jdeps over the image's jars finds most of them (RuntimeModulesTest fails when a
# jar uses one that is missing here): java.xml (Logback's configuration), java.sql and java.desktop (Micrometer,
# protobuf-java-util), jdk.jfr (Netty), java.compiler (Vert.x, under jetcd). The rest are loaded by name at run
# time: jdk.crypto.ec (TLS key exchange), jdk.naming.dns (gRPC's DNS TXT lookups through JNDI), jdk.management
# (Micrometer's JVM metrics), jdk.jcmd (thread and heap dumps of a running node), jdk.zipfs.
MODULES="java.base,java.logging,java.management,jdk.unsupported,java.naming,jdk.httpserver,java.net.http"
MODULES+=",jdk.crypto.ec,jdk.management,java.xml,java.sql,java.desktop,jdk.jfr,java.compiler,jdk.naming.dns"
MODULES+=",jdk.jcmd,jdk.zipfs"

image="${RAFTKV_BASE_IMAGE:-raftkv/jre-base:local}"
force=0
refresh_rootfs=0
rootfs_tar=""
jdk=""
mirror=""
suite="bookworm"
cache_dir="${RAFTKV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/raftkv}/base-image"
print_modules=0
check_only=0

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --image) need_arg "$@"; image="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --refresh-rootfs) refresh_rootfs=1; force=1; shift ;;
    --rootfs-tar) need_arg "$@"; rootfs_tar="$2"; shift 2 ;;
    --jdk) need_arg "$@"; jdk="$2"; shift 2 ;;
    --mirror) need_arg "$@"; mirror="$2"; shift 2 ;;
    --suite) need_arg "$@"; suite="$2"; shift 2 ;;
    --cache-dir) need_arg "$@"; cache_dir="$2/base-image"; shift 2 ;;
    --add-modules) need_arg "$@"; MODULES+=",$2"; shift 2 ;;
    --print-modules) print_modules=1; shift ;;
    --check) check_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; echo "Try '$0 --help' for more information." >&2; exit 2 ;;
  esac
done

if [ "$print_modules" = 1 ]; then
  echo "$MODULES"
  exit 0
fi

java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1; }

pick_jdk() {
  local candidate major
  if [ -n "$jdk" ]; then
    [ -x "$jdk/bin/jlink" ] || die "--jdk $jdk has no bin/jlink"
    major="$(java_major "$jdk" || true)"
    [ -n "$major" ] && [ "${major%%.*}" -ge 21 ] || die "--jdk $jdk is Java ${major:-of unknown version}; a JDK 21+ is needed"
    echo "$jdk"
    return 0
  fi
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/jlink" ] || continue
    major="$(java_major "$candidate" || true)"
    if [ -n "$major" ] && [ "${major%%.*}" -ge 21 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# The mirror apt uses for the suite, from deb822 .sources files or one-line sources.list entries.
apt_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri != "") { print uri; found = 1; exit } types = ""; suites = ""; uri = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); split($0, u, /[[:space:]]+/); uri = u[1] }
      END { if (!found) flush() }' "$file"
  done | head -n1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' \
    | head -n1 | grep .
}

command -v docker >/dev/null || die "the docker CLI is missing (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers ('docker info' fails); start dockerd first"

jdk="$(pick_jdk)" || die "no JDK 21+ with jlink found; pass --jdk DIR or set JAVA_HOME"
java_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$jdk/release" 2>/dev/null || true)"
# passwd gives useradd/groupadd to the project Dockerfile; the rest of minbase is essential + apt.
include="passwd"
# What the image is made of: an image with another fingerprint is out of date.
fingerprint="$(printf '%s\n' "suite=$suite" "include=$include" "modules=$MODULES" "java=$java_version" \
  "rootfs-tar=$rootfs_tar" "layout=1" | sha256sum | cut -c1-16)"
existing="$(docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" 2>/dev/null \
  | sed -n 's/^RAFTKV_BASE_FINGERPRINT=//p' || true)"
if [ "$force" = 0 ] && [ "$existing" = "$fingerprint" ]; then
  log "$image already exists and is up to date; nothing to do (use --force to rebuild)"
  exit 0
fi
if [ "$check_only" = 1 ]; then
  if docker image inspect "$image" >/dev/null 2>&1; then log "$image is out of date"; else log "$image does not exist"; fi
  exit 1
fi
[ -z "$existing" ] || [ "$existing" = "$fingerprint" ] || log "$image is out of date (its JDK, modules or suite changed); rebuilding"

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
# The cache is keyed by the package list, so changing it makes a new root file system.
rootfs="$cache_dir/rootfs-$suite-minbase+${include//,/+}-$arch"
work="$(mktemp -d "${TMPDIR:-/tmp}/raftkv-base-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- 1. The Debian root file system (cached: debootstrap runs once per cache dir) ------------------------------------
make_rootfs() {
  [ "$(id -u)" = 0 ] || die "debootstrap needs root; run as root or pass --rootfs-tar FILE"
  command -v debootstrap >/dev/null || die "debootstrap is missing (Debian: apt-get install debootstrap)"
  [ -n "$mirror" ] || mirror="$(apt_mirror || echo http://deb.debian.org/debian)"
  log "debootstrap $suite (minbase, $arch) from $mirror into $rootfs"
  rm -rf "$rootfs.partial"
  mkdir -p "$cache_dir"
  debootstrap --variant=minbase --arch="$arch" --include="$include" "$suite" "$rootfs.partial" "$mirror" \
    > "$cache_dir/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache_dir/debootstrap.log" >&2; die "debootstrap failed (log: $cache_dir/debootstrap.log)"; }
  # Package caches, docs and logs only make the image bigger.
  rm -rf "$rootfs.partial"/var/cache/apt/*.bin "$rootfs.partial"/var/cache/apt/archives/*.deb \
    "$rootfs.partial"/var/lib/apt/lists/* "$rootfs.partial"/usr/share/doc/* "$rootfs.partial"/usr/share/man/* \
    "$rootfs.partial"/usr/share/info/* "$rootfs.partial"/var/log/*.log "$rootfs.partial"/var/cache/debconf/*-old
  rm -rf "$rootfs"
  mv "$rootfs.partial" "$rootfs"
}

if [ -n "$rootfs_tar" ]; then
  [ -f "$rootfs_tar" ] || die "--rootfs-tar $rootfs_tar: no such file"
  log "using root file system tarball $rootfs_tar"
elif [ "$refresh_rootfs" = 1 ] || [ ! -x "$rootfs/bin/sh" ]; then
  make_rootfs
else
  log "reusing cached root file system $rootfs (--refresh-rootfs to rebuild it)"
fi

# --- 2. The jlinked runtime ------------------------------------------------------------------------------------------
available="$("$jdk/bin/java" --list-modules | sed 's/@.*//' | tr '\n' ' ')"
wanted=""
for module in ${MODULES//,/ }; do
  if [[ " $available " == *" $module "* ]]; then
    [[ ",$wanted," == *",$module,"* ]] || wanted="${wanted:+$wanted,}$module"
  else
    log "note: $jdk has no module $module; leaving it out"
  fi
done
log "jlink from $jdk (Java ${java_version:-?}): $wanted"
mkdir -p "$work/opt/java"
"$jdk/bin/jlink" --add-modules "$wanted" --output "$work/opt/java/openjdk" \
  --strip-debug --no-man-pages --no-header-files --generate-cds-archive >"$work/jlink.log" 2>&1 \
  || { cat "$work/jlink.log" >&2; die "jlink failed"; }
"$work/opt/java/openjdk/bin/java" -Xshare:auto -version >/dev/null 2>&1 || die "the jlinked runtime does not start"

# --- 3. docker import: root file system + runtime as one layer ------------------------------------------------------
log "docker import as $image"
previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [ -n "$rootfs_tar" ]; then
  # Append the runtime to an uncompressed copy of the given tarball.
  case "$rootfs_tar" in
    *.tar) cp "$rootfs_tar" "$work/rootfs.tar" ;;
    *.tar.gz|*.tgz) gzip -dc "$rootfs_tar" > "$work/rootfs.tar" ;;
    *.tar.xz) xz -dc "$rootfs_tar" > "$work/rootfs.tar" ;;
    *.tar.zst) zstd -qdc "$rootfs_tar" > "$work/rootfs.tar" ;;
    *) die "--rootfs-tar: expected .tar, .tar.gz, .tgz, .tar.xz or .tar.zst" ;;
  esac
  tar --numeric-owner -C "$work" -rf "$work/rootfs.tar" opt/java
  source_cmd=(cat "$work/rootfs.tar")
else
  source_cmd=(tar --numeric-owner -C "$rootfs" -cf - . -C "$work" opt/java)
fi
"${source_cmd[@]}" | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV RAFTKV_BASE_FINGERPRINT=$fingerprint" \
  --change 'CMD ["java", "-version"]' \
  --message "raftkv JRE base: Debian $suite minbase + jlinked Java ${java_version:-?} ($wanted)" \
  - "$image" >/dev/null
# The image this tag named before is now untagged: remove it unless images built on it still use it.
current="$(docker image inspect --format '{{.Id}}' "$image")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then docker image rm "$previous" >/dev/null 2>&1 || true; fi
log "built $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
