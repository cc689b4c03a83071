#!/bin/sh
# Entrypoint of the venue's images: renders the configuration named by --config into /run/venue and
# starts the process on it.
#
#   venue-entrypoint /usr/local/bin/venue --config /etc/venue/venue.toml [ARGS...]
#
# In the configuration (a read-only ConfigMap):
#   @CPU_n@     the n-th CPU this container may run on (0 first), from /proc/self/status
#               Cpus_allowed_list: with the kubelet's static CPU manager these are the container's
#               exclusive cores, which the engine threads are pinned to ([[engine.shard]] cpu)
#   @POD_NAME@  $VENUE_POD_NAME (e.g. each drop-copy pod's own consumer group)
# $VENUE_CONFIG_APPEND: files (separated by spaces) appended to the rendered configuration, e.g. the
# operator API's [[operator_api.user]] tables from a Secret; a missing one stops the start.
# A placeholder that cannot be filled (fewer CPUs than asked) stops the start with a message. A file
# without placeholders and nothing to append is used where it is (its relative paths stay relative to
# its own folder). Rendered files are readable by this user only (they may hold password hashes).
set -eu
umask 077

[ $# -ge 1 ] || { echo "venue-entrypoint: usage: venue-entrypoint BINARY [--config FILE] [ARGS...]" >&2; exit 2; }

cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
# Expand "2-3,6" into "2 3 6".
expanded=$(echo "$cpus" | tr ',' '\n' | while IFS=- read -r lo hi; do
  [ -n "$lo" ] || continue
  seq "$lo" "${hi:-$lo}"
done | tr '\n' ' ')

render() { # SRC DST
  script=""
  n=0
  for c in $expanded; do
    script="${script}s/@CPU_${n}@/${c}/g;"
    n=$((n + 1))
  done
  script="${script}s/@POD_NAME@/${VENUE_POD_NAME:-$(hostname)}/g"
  sed "$script" "$1" >"$2"
  for extra in ${VENUE_CONFIG_APPEND:-}; do
    [ -r "$extra" ] || { echo "venue-entrypoint: VENUE_CONFIG_APPEND names $extra, which cannot be read" >&2; exit 1; }
    printf '\n# Appended from %s by venue-entrypoint.\n' "$extra" >>"$2"
    cat "$extra" >>"$2"
  done
  if grep -n '@CPU_[0-9]*@' "$2" >&2; then
    echo "venue-entrypoint: $1 asks for more CPUs than this container has ($cpus): give the pod more whole CPUs" >&2
    exit 1
  fi
}

out=${VENUE_ENTRYPOINT_OUT:-/run/venue} # where rendered files go (a tmpfs in the pod)
mkdir -p "$out"
binary=$1
shift
set -- "$binary" "$@" --venue-entrypoint-end
while [ "$1" != "--venue-entrypoint-end" ]; do
  arg=$1
  shift
  if [ "$arg" = "--config" ] && [ "$1" != "--venue-entrypoint-end" ]; then
    src=$1
    shift
    if [ -n "${VENUE_CONFIG_APPEND:-}" ] || grep -q '@CPU_[0-9]*@\|@POD_NAME@' "$src"; then
      dst="$out/$(basename "$src")"
      render "$src" "$dst"
      set -- "$@" --config "$dst"
    else
      set -- "$@" --config "$src"
    fi
  else
    set -- "$@" "$arg"
  fi
done
shift
echo "venue-entrypoint: cpus $cpus; starting $*" >&2
exec "$@"
