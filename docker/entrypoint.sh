#!/bin/sh
# Image entrypoint: "web" (default) or "worker"; anything else is passed to the jar (e.g. dead-letters).
set -eu
role="${1:-web}"
[ "$#" -gt 0 ] && shift
case "$role" in
  web|worker|standalone|dead-letters) ;;
  *) echo "usage: entrypoint.sh [web|worker|standalone|dead-letters ...]" >&2; exit 2 ;;
esac
jar="${CONTEXTGRAPH_JAR:-/app/contextgraph.jar}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jvm_options="${CONTEXTGRAPH_JVM_OPTIONS:-/app/jvm.options}"
# JAVA_OPTS is split into words on purpose (one flag per word); every path stays one argument.
# shellcheck disable=SC2086
set -- ${JAVA_OPTS:-} -jar "$jar" "$role" "$@"
# The web role's own settings, from the file beside jvm.options.
if [ "$role" = web ]; then set -- "@$(dirname "$jvm_options")/jvm-web.options" "$@"; fi
# exec: the JVM becomes PID 1's child directly and receives SIGTERM from `docker stop`.
exec "$java_bin" "@$jvm_options" "$@"
