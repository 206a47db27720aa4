#!/usr/bin/env bash
# Builds the raftkv image (deploy/Dockerfile) from the jars that `./mvnw package` built: stages each role's module
# jar and the merged runtime libraries into deploy/target/image, then runs `docker build` on that small context.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/build-image.sh [OPTIONS]

Builds the raftkv image from the jars built by `./mvnw -DskipTests package`. Each role listed in
deploy/roles.tsv whose module jar exists (and names a Main-Class, unless the role names its own) goes into the
image.

Options:
  --base-image IMG   base image with a Java 21+ runtime (default: $RAFTKV_BASE_IMAGE, else the Dockerfile's
                     eclipse-temurin:21-jre); without a registry use raftkv/jre-base:local from
                     deploy/base-image/build-base-image.sh
  --tag TAG          image tag (default: raftkv:latest)
  --allow-no-roles   build even when no module jar is runnable yet (an image with only the runtime)
  --context DIR      where to stage the build context (default: deploy/target/image); it is emptied first
  --stage-only       stage the build context and print its path; no docker build
  --quiet            print only the image id
  -h, --help         show this help
USAGE
}

die() { echo "error: $*" >&2; exit 1; }
log() { [ "$quiet" = 1 ] || echo "[build-image] $*" >&2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_image="${RAFTKV_BASE_IMAGE:-}"
tag="raftkv:latest"
allow_no_roles=0
stage_only=0
quiet=0
default_context="$root/deploy/target/image"
context="$default_context"

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --base-image) need_arg "$@"; base_image="$2"; shift 2 ;;
    --tag) need_arg "$@"; tag="$2"; shift 2 ;;
    --allow-no-roles) allow_no_roles=1; shift ;;
    --context) need_arg "$@"; context="$2"; shift 2 ;;
    --stage-only) stage_only=1; shift ;;
    --quiet) quiet=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; echo "Try '$0 --help' for more information." >&2; exit 2 ;;
  esac
done

# One manifest attribute, with the manifest's 72-byte line continuations joined.
manifest_attribute() {
  unzip -p "$1" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' \
    | awk -v name="$2" '
        /^ / { if (current != "") current = current substr($0, 2); next }
        { if (current != "") lines[++n] = current; current = $0 }
        END { if (current != "") lines[++n] = current
              for (i = 1; i <= n; i++) if (index(lines[i], name ": ") == 1) { print substr(lines[i], length(name) + 3); exit } }'
}

command -v unzip >/dev/null || die "unzip is missing (Debian: apt-get install unzip)"

# Only a directory this script staged before is emptied, so a mistyped --context cannot delete anything else.
marker=".raftkv-image-context"
if [ "$context" != "$default_context" ] && [ -d "$context" ] && [ -n "$(ls -A "$context")" ] \
    && [ ! -f "$context/$marker" ]; then
  die "refusing to empty $context: it is not a build context staged by this script"
fi
rm -rf "$context"
mkdir -p "$context/app" "$context/lib"
touch "$context/$marker"
cp "$root/deploy/Dockerfile" "$root/deploy/image/raftkv-entrypoint.sh" "$context/"
printf '# role\tjar\tmain class\tdescription (staged by deploy/build-image.sh)\n' > "$context/roles.tsv"

staged=()
while IFS=$'\t' read -r role module main_class description; do
  case "$role" in ''|'#'*) continue ;; esac
  jar="$root/$module/target/$module.jar"
  if [ ! -f "$jar" ]; then
    log "skipping role $role: $module/target/$module.jar is not built"
    continue
  fi
  # "-": the jar's own Main-Class; otherwise another main class of the same jar (a module with several tools).
  if [ "$main_class" = "-" ]; then
    main_class="$(manifest_attribute "$jar" Main-Class)"
  fi
  if [ -z "$main_class" ]; then
    log "skipping role $role: $module/target/$module.jar names no Main-Class (its pom sets no raftkv.mainClass)"
    continue
  fi
  for entry in $(manifest_attribute "$jar" Class-Path); do
    [ -f "$root/$module/target/$entry" ] \
      || die "$module/target/$module.jar needs $entry, which is missing: run ./mvnw -DskipTests package"
    cp -p "$root/$module/target/$entry" "$context/lib/"
  done
  cp -p "$jar" "$context/app/"
  printf '%s\t%s\t%s\t%s\n' "$role" "$module.jar" "$main_class" "$description" >> "$context/roles.tsv"
  staged+=("$role")
done < "$root/deploy/roles.tsv"

if [ ${#staged[@]} -eq 0 ]; then
  [ "$allow_no_roles" = 1 ] || die "no role has a runnable jar: build them first with ./mvnw -DskipTests package"
  log "no role has a runnable jar yet: the image holds only the runtime"
else
  log "roles: ${staged[*]} ($(find "$context/lib" -name '*.jar' | wc -l) libraries)"
fi

if [ "$stage_only" = 1 ]; then
  echo "$context"
  exit 0
fi

command -v docker >/dev/null || die "the docker CLI is missing"
build_args=()
[ -n "$base_image" ] && build_args+=(--build-arg "BASE_IMAGE=$base_image")
log "docker build -t $tag${base_image:+ (base $base_image)}"
previous="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
build_log="$context-build.log"
if ! docker build "${build_args[@]}" --label "raftkv.roles=${staged[*]:-}" -t "$tag" "$context" >"$build_log" 2>&1; then
  tail -n 30 "$build_log" >&2
  if [ -z "$base_image" ] && ! docker image inspect eclipse-temurin:21-jre >/dev/null 2>&1; then
    # The usual cause offline: the default base image cannot be pulled.
    die "docker build failed (log: $build_log); without a registry, build a base image first:" \
      "deploy/base-image/build-base-image.sh --image raftkv/jre-base:local, then pass --base-image" \
      "raftkv/jre-base:local (bin/compose up does both)"
  fi
  die "docker build failed (log: $build_log)"
fi
id="$(docker image inspect --format '{{.Id}}' "$tag")"
# The image this tag named before is now untagged: remove it unless a container still uses it.
if [ -n "$previous" ] && [ "$previous" != "$id" ]; then docker image rm "$previous" >/dev/null 2>&1 || true; fi
if [ "$quiet" = 1 ]; then echo "$id"; else log "built $tag ($id)"; fi
