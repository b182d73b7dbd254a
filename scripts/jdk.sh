# Sourced by Fluvia's scripts: finds a JDK >= 25 and exports JAVA_HOME and FLUVIA_JAVA.
# Order: $JAVA_HOME, then the JDKs installed beside the default `java` (/usr/lib/jvm/*).
fluvia_java_major() {  # prints the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
fluvia_find_jdk() {
  local cand v dirs=()
  [ -n "${JAVA_HOME:-}" ] && dirs+=("$JAVA_HOME")
  local sysjava; sysjava=$(command -v java 2>/dev/null || true)
  if [ -n "$sysjava" ]; then
    sysjava=$(readlink -f "$sysjava"); dirs+=("$(dirname "$(dirname "$sysjava")")")
    for cand in "$(dirname "$(dirname "$(dirname "$sysjava")")")"/*; do dirs+=("$cand"); done
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do dirs+=("$cand"); done
  for cand in "${dirs[@]}"; do
    [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    v=$(fluvia_java_major "$cand/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$cand"; return 0; fi
  done
  return 1
}
if ! FLUVIA_JDK=$(fluvia_find_jdk); then
  cat >&2 <<'MSG'
fluvia: no JDK 25 or newer found (looked at $JAVA_HOME, then the JDKs beside the default java and under /usr/lib/jvm).
Fluvia needs JDK >= 25 (Vector API, FFM). Install one, e.g.
  apt-get install temurin-25-jdk        (Adoptium's Debian repository), or unpack a JDK 25 from adoptium.net
and then either put it under /usr/lib/jvm or export JAVA_HOME=/path/to/jdk-25.
MSG
  exit 1
fi
export JAVA_HOME="$FLUVIA_JDK"
export FLUVIA_JAVA="$FLUVIA_JDK/bin/java"
export FLUVIA_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
