# shellcheck shell=bash
# dev-lib-shim.sh — stand-in for the helpers scripts/stack/lib.sh will provide, so the new
# modules (sid-engine, buildkit, builders, token-registry) can run before that file exists.
# Every function is defined only if lib.sh did not define it already; names and behaviour
# follow scripts/setup-stack.sh, whose helpers lib.sh takes over.
# Needed by the new modules: log warn die apt_install suite_apt_prepare apt_opts pid_alive
# start_bg install_if_changed docker0_ip, and the directory variables below.

: "${STATE_DIR:=/var/lib/multiarch-release}"
: "${LOG_DIR:=/var/log/multiarch-release}"
: "${RUN_DIR:=/var/run/multiarch-release}"
: "${CONF_DIR:=/etc/multiarch-release}"
: "${REGISTRY_ADDR:=127.0.0.1:5000}"
: "${TLS_DIR:=$CONF_DIR/tls}"
: "${TLS_CA:=$TLS_DIR/ca.crt}"
: "${SYSTEM_CA_FILE:=/usr/local/share/ca-certificates/multiarch-release-ca.crt}"
export DEBIAN_FRONTEND=noninteractive

declare -F log >/dev/null || log() { echo "[stack] $*"; }
declare -F warn >/dev/null || warn() { echo "[stack] WARNING: $*" >&2; }
declare -F die >/dev/null || die() {
  echo "[stack] ERROR: $*" >&2
  exit 1
}

if ! declare -F apt_install >/dev/null; then
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
fi

if ! declare -F suite_apt_prepare >/dev/null; then
  # write_sources DEST_DIR FROM TO [base-only] — the machine's deb822 sources with suite FROM
  # renamed to TO (deb822 only: this machine's format; lib.sh has the full version).
  write_sources() {
    local dest="$1/sources.list.d" from="$2" to="$3" mode="${4:-all}"
    mkdir -p "$dest"
    [[ -f /etc/apt/sources.list.d/debian.sources ]] || die "no /etc/apt/sources.list.d/debian.sources"
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
  }
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
  declare -A SUITE_UPDATED=()
  # suite_apt_prepare SUITE [base-only] — separate apt instance $STATE_DIR/apt-SUITE (amd64),
  # updated once per run.
  suite_apt_prepare() {
    local suite="$1" mode="${2:-all}" dir="$STATE_DIR/apt-$1" opts
    [[ -n "${SUITE_UPDATED[$suite]:-}" ]] && return 0
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
    write_sources "$dir" bookworm "$suite" "$mode"
    mapfile -t opts < <(apt_opts "$dir" amd64)
    log "apt-get update (separate state in $dir)"
    apt-get "${opts[@]}" update -qq >"$dir/update.log" 2>&1 ||
      warn "apt-get update for $dir: $(grep -E '^(E|W):' "$dir/update.log" | head -n 3)"
    SUITE_UPDATED[$suite]=1
  }
fi

if ! declare -F pid_alive >/dev/null; then
  # pid_alive PIDFILE COMM — the recorded pid runs COMM and is not a zombie
  pid_alive() {
    local pid
    [[ -f "$1" ]] || return 1
    pid="$(cat "$1" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/comm" ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]
  }
fi

if ! declare -F start_bg >/dev/null; then
  # start_bg NAME LOGFILE CMD... — start CMD detached; pid in $RUN_DIR/NAME.pid
  start_bg() {
    local name="$1" logf="$2"
    shift 2
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    echo "==== $(date -u +%FT%TZ) starting: $*" >>"$logf"
    setsid nohup "$@" </dev/null >>"$logf" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    log "started $name (pid $!, log $logf)"
  }
fi

if ! declare -F install_if_changed >/dev/null; then
  # install_if_changed SRC DEST MODE — copy unless identical; returns 1 if unchanged
  install_if_changed() {
    if [[ -f "$2" ]] && cmp -s "$1" "$2"; then return 1; fi
    install -D -m "$3" "$1" "$2"
    log "installed $2"
  }
fi

if ! declare -F docker0_ip >/dev/null; then
  docker0_ip() { ip -4 -o addr show dev docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'; }
fi
