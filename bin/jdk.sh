# Finds a JDK of 21 or newer; sourced by ./contextgraph and .ci/run, so both pick the same one.
#   cg_find_jdk          prints the home of the first JDK 21+ found, or fails
#   cg_no_jdk_message    the one line to print when there is none
# Looked at, in this order: $JAVA_HOME, the `java` on the PATH, then the newest JDK under each folder of
# $CONTEXTGRAPH_JDK_DIRS (default: /usr/lib/jvm and SDKMAN's ~/.sdkman/candidates/java).

CG_MIN_JAVA=21

# The feature release of the JDK at $1 (e.g. 25), or nothing when $1 is not a JDK (java and javac).
cg_java_major() {
  local home=$1 version=""
  [ -n "$home" ] && [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 1
  if [ -r "$home/release" ]; then
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  if [ -z "$version" ]; then
    version=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  version=${version#1.} # 1.8 is Java 8
  version=${version%%[!0-9]*}
  [ -n "$version" ] && printf '%s\n' "$version"
}

cg_is_recent_jdk() {
  local major
  major=$(cg_java_major "$1") && [ "$major" -ge "$CG_MIN_JAVA" ]
}

cg_find_jdk() {
  local candidate path_java best="" best_major=0 major dir
  if cg_is_recent_jdk "${JAVA_HOME:-}"; then
    printf '%s\n' "$JAVA_HOME"
    return 0
  fi
  if path_java=$(command -v java 2>/dev/null); then
    candidate=$(dirname "$(dirname "$(readlink -f "$path_java")")")
    if cg_is_recent_jdk "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  fi
  local IFS=:
  for dir in ${CONTEXTGRAPH_JDK_DIRS:-/usr/lib/jvm:${HOME:-/root}/.sdkman/candidates/java}; do
    for candidate in "$dir"/*; do
      major=$(cg_java_major "$candidate") || continue
      if [ "$major" -ge "$CG_MIN_JAVA" ] && [ "$major" -gt "$best_major" ]; then
        best=$candidate
        best_major=$major
      fi
    done
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

cg_no_jdk_message() {
  echo "contextgraph: needs a JDK $CG_MIN_JAVA or newer and found none (JAVA_HOME, PATH, /usr/lib/jvm, ~/.sdkman): install one, e.g. 'sudo apt-get install openjdk-21-jdk-headless' or Temurin 21 (https://adoptium.net), or set JAVA_HOME to it"
}
