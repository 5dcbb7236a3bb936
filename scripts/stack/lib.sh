# shellcheck shell=bash
# lib.sh — what every module of scripts/setup-stack.sh shares: the stack's directories, log/warn/
# die, apt_install, a separate apt state per Debian suite (apt_suite_*), pid files and detached
# processes. Sourced by scripts/setup-stack.sh; defines constants and functions only.

STATE_DIR=/var/lib/multiarch-release
LOG_DIR=/var/log/multiarch-release
RUN_DIR=/var/run/multiarch-release
CONF_DIR=/etc/multiarch-release
# shellcheck disable=SC2034 # read by the modules that source this file (fixtures, checks)
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { echo "[setup-stack] $*"; }
warn() { echo "[setup-stack] WARNING: $*" >&2; }
die() {
  echo "[setup-stack] ERROR: $*" >&2
  exit 1
}

stack_dirs_create() { mkdir -p "$LOG_DIR" "$RUN_DIR" "$STATE_DIR" "$CONF_DIR"; }

# ---------------------------------------------------------------------------
# the system's apt
# ---------------------------------------------------------------------------
APT_UPDATED=false
apt_update_once() {
  if ! $APT_UPDATED; then
    log "apt-get update (system sources)"
    apt-get update -qq
    APT_UPDATED=true
  fi
}

# apt_install PKG... — install only the packages that are not installed yet.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  apt_update_once
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

host_codename() {
  local VERSION_CODENAME=""
  # shellcheck disable=SC1091 # the machine's own file, not part of this repository
  [[ -r /etc/os-release ]] && . /etc/os-release
  echo "${VERSION_CODENAME:-unknown}"
}

# ---------------------------------------------------------------------------
# a separate apt state per Debian suite: packages of another suite (trixie, sid) on this
# machine without touching the system's apt sources, lists or configuration
# ---------------------------------------------------------------------------

# write_sources DEST_DIR FROM_SUITE TO_SUITE [base-only] — copy the machine's Debian apt
# sources into DEST_DIR/sources.list.d, binary ("deb") entries only, with suite FROM renamed
# to TO (bookworm -> trixie, bookworm-updates -> trixie-updates, bookworm-security ->
# trixie-security: same URIs). With "base-only", only the plain FROM suite is kept (no
# -updates/-security). No mirror host is hard-coded: the URIs are the machine's own.
write_sources() {
  local dest="$1/sources.list.d" from="$2" to="$3" mode="${4:-all}"
  mkdir -p "$dest"
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: stanzas separated by blank lines; rewrite Types/Suites, drop emptied stanzas
    awk -v from="$from" -v to="$to" -v mode="$mode" '
      function flush() { if (st != "" && keep) printf "%s\n", st; st = ""; keep = 1 }
      BEGIN { keep = 1 }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { if ($0 !~ /[[:space:]]deb([[:space:]]|$)/) keep = 0; st = st "Types: deb\n"; next }
      /^Suites:/ {
        out = ""
        for (i = 2; i <= NF; i++) {
          s = $i
          if (s == from || index(s, from "-") == 1) {
            if (mode == "base-only" && s != from) continue
            s = to substr(s, length(from) + 1)
          } else if (mode == "base-only") continue
          out = out " " s
        }
        if (out == "") keep = 0
        st = st "Suites:" out "\n"; next
      }
      { st = st $0 "\n" }
      END { flush() }
    ' /etc/apt/sources.list.d/debian.sources >"$dest/debian.sources.tmp"
    mv "$dest/debian.sources.tmp" "$dest/debian.sources"
    rm -f "$dest/debian.list"
  elif [[ -f /etc/apt/sources.list ]] && grep -qE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
    # classic one-line format: "deb [options] URI SUITE COMPONENTS..."
    awk -v from="$from" -v to="$to" -v mode="$mode" '
      $1 != "deb" { next }
      {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        s = $(i + 1)
        if (s == from || index(s, from "-") == 1) {
          if (mode == "base-only" && s != from) next
          $(i + 1) = to substr(s, length(from) + 1)
        } else if (mode == "base-only") next
        print
      }
    ' /etc/apt/sources.list >"$dest/debian.list.tmp"
    mv "$dest/debian.list.tmp" "$dest/debian.list"
    rm -f "$dest/debian.sources"
  else
    die "no Debian apt sources found (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
  fi
  [[ -s "$dest/debian.sources" || -s "$dest/debian.list" ]] || die "no usable $from entries in the machine's apt sources"
}

# apt_update_dir DIR OPTS... — apt-get update of a separate apt instance. A mirror that is
# mid-sync can fail one index (seen: bookworm-security armhf "File has unexpected size");
# that is only a warning here: the apt-get download that follows fails loudly if the
# package really is missing.
apt_update_dir() {
  local dir="$1"
  shift
  log "apt-get update (separate state in $dir)"
  if ! apt-get "$@" update -qq >"$dir/update.log" 2>&1; then
    warn "apt-get update for $dir reported errors (continuing with the indexes it has):"
    grep -E '^(E|W):' "$dir/update.log" >&2 || true
  elif grep -qE '^(E|W):' "$dir/update.log"; then
    warn "apt-get update for $dir: $(grep -E '^(E|W):' "$dir/update.log" | head -n 3)"
  fi
}

# apt_opts DIR ARCH... — options for an apt instance with its own sources, lists and cache
# (the system's apt configuration and lists are not touched).
apt_opts() {
  local dir="$1"
  shift
  local o=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o "APT::Sandbox::User=root" -o "APT::Architectures::=")
  local a
  for a in "$@"; do o+=(-o "APT::Architectures::=$a"); done
  printf '%s\n' "${o[@]}"
}

# apt_state_prepare NAME SUITE MODE ARCH... — set up, and apt-get update once per run, the
# separate apt instance $STATE_DIR/apt-NAME for SUITE and ARCH...: the machine's own sources
# with its suite renamed to SUITE (MODE all or base-only, see write_sources).
declare -A APT_STATE_ARCHS=()
apt_state_prepare() {
  local name="$1" suite="$2" mode="$3" dir="$STATE_DIR/apt-$1" opts
  shift 3
  [[ -n "${APT_STATE_ARCHS[$name]:-}" ]] && return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  write_sources "$dir" "$(host_codename)" "$suite" "$mode"
  mapfile -t opts < <(apt_opts "$dir" "$@")
  apt_update_dir "$dir" "${opts[@]}"
  APT_STATE_ARCHS[$name]="$*"
}

# apt_state NAME apt-get|apt-cache ARGS... — run the tool against the prepared apt instance NAME
apt_state() {
  local name="$1" tool="$2" opts archs
  shift 2
  read -r -a archs <<<"${APT_STATE_ARCHS[$name]:?apt_state_prepare $name first}"
  mapfile -t opts < <(apt_opts "$STATE_DIR/apt-$name" "${archs[@]}")
  "$tool" "${opts[@]}" "$@"
}

# apt_state_download NAME SPEC... — apt-get download into $STATE_DIR/apt-NAME/debs
apt_state_download() {
  local name="$1"
  shift
  log "apt-get download $* ($name)"
  (cd "$STATE_DIR/apt-$name/debs" && apt_state "$name" apt-get download -qq "$@")
}

# apt_suite_prepare SUITE [base-only] — the usual case: apt state $STATE_DIR/apt-SUITE for
# amd64 with the machine's sources renamed to SUITE (trixie; sid has no -updates/-security,
# so base-only). Then: apt_state SUITE apt-cache policy PKG, apt_state_download SUITE PKG=VER.
apt_suite_prepare() { apt_state_prepare "$1" "$1" "${2:-all}" amd64; }

# apt_suite_candidate SUITE PKG — the version SUITE offers for PKG (empty if none)
apt_suite_candidate() {
  local v
  v="$(apt_state "$1" apt-cache policy "$2" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [[ "$v" == "(none)" ]] || echo "$v"
}

# ---------------------------------------------------------------------------
# processes started by the stack: pid files in $RUN_DIR, logs in $LOG_DIR
# ---------------------------------------------------------------------------

# pid_alive PIDFILE COMM — the pid counts only if the process is alive and has the expected name.
pid_alive() {
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/comm" ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
  # a zombie (exited, not yet reaped) is not alive
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]
}

# start_bg NAME LOGFILE CMD... — start CMD detached (own session, no stdin, output to the log).
start_bg() {
  local name="$1" logf="$2"
  shift 2
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  echo "==== $(date -u +%FT%TZ) starting: $*" >>"$logf"
  setsid nohup "$@" </dev/null >>"$logf" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  log "started $name (pid $!, log $logf)"
}

# install_if_changed SRC DEST MODE — copy SRC to DEST unless identical; returns 1 if unchanged
install_if_changed() {
  if [[ -f "$2" ]] && cmp -s "$1" "$2"; then return 1; fi
  install -D -m "$3" "$1" "$2"
  log "installed $2"
}

# write_if_changed FILE CONTENT — write CONTENT (plus a newline) unless FILE already holds it;
# returns 1 if unchanged
write_if_changed() {
  if [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]; then return 1; fi
  echo "$2" >"$1"
  log "wrote $1"
}
