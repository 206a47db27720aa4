#!/bin/sh
# Entry point of the raftkv image: the first argument picks the role (a process type), the rest are its arguments.
# The roles and their main classes were read from the modules' jars when the image was built (roles.tsv).
set -eu

home="${RAFTKV_HOME:-/opt/raftkv}"
roles="$home/roles.tsv"
# Flags every raftkv JVM needs: RocksDB loads native code through JNI; an OOM should kill the node, not wedge it.
jvm_flags="--enable-native-access=ALL-UNNAMED -XX:+ExitOnOutOfMemoryError"

role_names() { awk -F '\t' '!/^#/ && NF >= 3 { printf "%s%s", sep, $1; sep = ", " }' "$roles"; }

usage() {
  cat <<USAGE
Usage: docker run [OPTIONS] IMAGE ROLE [ARGS...]

Runs one raftkv process. Roles in this image:
USAGE
  awk -F '\t' '!/^#/ && NF >= 3 { printf "  %-16s %s\n", $1, $4 }' "$roles"
  cat <<USAGE
  grpc-health      checks a raftkv process's gRPC health service (for container health checks)

'ROLE --help' shows the role's options. Data belongs in /var/lib/raftkv (a volume).
Environment: RAFTKV_JAVA_OPTS adds JVM options (for example -Xmx512m).
USAGE
}

case "${1:-}" in
  ""|-h|--help|help)
    usage
    exit 0
    ;;
  grpc-health)
    shift
    # Runs every few seconds in every container: a small heap, the C1 compiler and no perf data file keep each
    # check at a few tenths of a CPU second. RAFTKV_JAVA_OPTS is for the services, not for this.
    # shellcheck disable=SC2086
    exec java $jvm_flags -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx16m -XX:-UsePerfData \
      -cp "$home/lib/*" io.raftkv.common.grpc.HealthProbe "$@"
    ;;
esac

role="$1"
shift
line="$(awk -F '\t' -v role="$role" '!/^#/ && $1 == role { print; exit }' "$roles")"
if [ -z "$line" ]; then
  echo "error: unknown role '$role' (roles in this image: $(role_names), grpc-health)" >&2
  echo "Try '--help' for more information." >&2
  exit 2
fi
jar="$(printf '%s\n' "$line" | cut -f2)"
main_class="$(printf '%s\n' "$line" | cut -f3)"
# The jar's manifest Class-Path points at lib/, next to it.
# shellcheck disable=SC2086
exec java $jvm_flags ${RAFTKV_JAVA_OPTS:-} -cp "$home/$jar" "$main_class" "$@"
