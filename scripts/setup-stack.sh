#!/usr/bin/env bash
# setup-stack.sh — install and start the container stack the end-to-end tests need:
#   * a Docker engine with buildx and the containerd image store (multi-platform images),
#   * QEMU user emulation registered with binfmt_misc (linux/arm64, linux/arm/v7),
#   * a local registry (distribution 2.8) on 127.0.0.1:5000 (plain HTTP, no auth),
#   * a second registry with TLS (self-signed test CA) and htpasswd auth on port 5443 of the
#     docker0 bridge address (usually 172.17.0.1:5443; not loopback, which buildx/containerd
#     resolvers always treat as plain HTTP); its address, test-only credentials and CA path are
#     written to /etc/multiarch-release/registry-auth.env (tests: `set -a; . /etc/multiarch-release/registry-auth.env`;
#     host in $REGISTRY_AUTH_HOST; Node.js needs NODE_EXTRA_CA_CERTS=$REGISTRY_AUTH_CA,
#     docker/buildx/curl/cosign trust the CA system-wide and via /etc/docker/certs.d),
#   * cosign (Debian trixie's package) for signing tests,
#   * per-architecture static busybox fixtures in example/bin/ (amd64, arm64, arm; s390x and
#     ppc64le for the benchmark's platform scaling, bench/run.ts).
#
# Target: Debian bookworm, as root, no systemd, only Debian's apt mirrors reachable.
# Every section is idempotent: a re-run only checks and returns quickly.
# An engine that already works for multi-platform builds (e.g. a GitHub-hosted runner)
# is left alone.
#
# Usage: scripts/setup-stack.sh           install/start what is missing, then verify
#        scripts/setup-stack.sh --check   verify only (no installs, nothing started)
#
# Started processes (stop them with scripts/stop-stack.sh):
#   dockerd        pid /var/run/multiarch-release/dockerd.pid        log /var/log/multiarch-release/dockerd.log
#                  (dockerd starts and supervises its own containerd; its output goes to the same log)
#   registry       pid /var/run/multiarch-release/registry.pid       log /var/log/multiarch-release/registry.log
#   registry-auth  pid /var/run/multiarch-release/registry-auth.pid  log /var/log/multiarch-release/registry-auth.log
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

STATE_DIR=/var/lib/multiarch-release
LOG_DIR=/var/log/multiarch-release
RUN_DIR=/var/run/multiarch-release
CONF_DIR=/etc/multiarch-release
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_CONFIG="$CONF_DIR/registry.yml"
REGISTRY_DATA="$STATE_DIR/registry"
SELFTEST_TAG=multiarch-release-selftest

# Second registry: TLS + htpasswd auth. TEST-ONLY credentials (no real secret; it listens on the
# docker0 bridge address only, reachable from this host and its containers, not from outside).
# AUTH_REGISTRY_ADDR (<docker0 IPv4>:5443) and DOCKER_CERTS_D_CA are set by resolve_auth_addr
# once dockerd runs (the bridge exists only then).
AUTH_REGISTRY_PORT=5443
AUTH_REGISTRY_ADDR=""
AUTH_REGISTRY_USER=ci
AUTH_REGISTRY_PASSWORD=ci-password
AUTH_REGISTRY_CONFIG="$CONF_DIR/registry-auth.yml"
AUTH_REGISTRY_HTPASSWD="$CONF_DIR/registry-auth.htpasswd"
AUTH_REGISTRY_ENV="$CONF_DIR/registry-auth.env"
AUTH_REGISTRY_DATA="$STATE_DIR/registry-auth"
# no longer written (see setup_auth_registry); removed if an earlier version left it
OLD_AUTH_BUILDKITD_CONFIG="$CONF_DIR/buildkitd-registry-auth.toml"
TLS_DIR="$CONF_DIR/tls"
TLS_CA="$TLS_DIR/ca.crt"
# where dockerd (per registry, read on each connection, no restart) and the system trust
# store (buildx CLI, cosign, curl: Go/OpenSSL read /etc/ssl/certs) pick up the test CA
DOCKER_CERTS_D_CA=""
SYSTEM_CA_FILE=/usr/local/share/ca-certificates/multiarch-release-ca.crt

# Engine packages taken from Debian trixie (bookworm's docker.io 20.10 has no buildx and
# no containerd image store). Wanted upstream versions; whatever trixie offers is accepted
# (and logged) if these are gone.
ENGINE_PKGS=(docker.io docker-cli containerd docker-buildx)
declare -A WANT_VERSION=(
  [docker.io]=26.1.5
  [docker-cli]=26.1.5
  [containerd]=1.7.24
  [docker-buildx]=0.13.1
)

log() { echo "[setup-stack] $*"; }
warn() { echo "[setup-stack] WARNING: $*" >&2; }
die() { echo "[setup-stack] ERROR: $*" >&2; exit 1; }

CHECK_ONLY=false
case "${1:-}" in
  "") ;;
  --check) CHECK_ONLY=true ;;
  -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (use --check or --help)" ;;
esac

[[ $(id -u) -eq 0 ]] || die "must run as root"

# ---------------------------------------------------------------------------
# helpers
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
  # shellcheck disable=SC1091
  [[ -r /etc/os-release ]] && . /etc/os-release
  echo "${VERSION_CODENAME:-unknown}"
}

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
  local dir="$1"; shift
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
  local dir="$1"; shift
  local o=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o "APT::Sandbox::User=root" -o "APT::Architectures::=")
  local a
  for a in "$@"; do o+=(-o "APT::Architectures::=$a"); done
  printf '%s\n' "${o[@]}"
}

# suite_apt_prepare SUITE [base-only] — set up (and apt-get update, once per run) the separate
# apt instance $STATE_DIR/apt-SUITE for amd64, with the machine's bookworm sources renamed to
# SUITE (see write_sources). The caller gets its options with: mapfile -t o < <(apt_opts DIR amd64)
declare -A SUITE_UPDATED=()
suite_apt_prepare() {
  local suite="$1" mode="${2:-all}" dir="$STATE_DIR/apt-$1" opts
  [[ -n "${SUITE_UPDATED[$suite]:-}" ]] && return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  write_sources "$dir" bookworm "$suite" "$mode"
  mapfile -t opts < <(apt_opts "$dir" amd64)
  apt_update_dir "$dir" "${opts[@]}"
  SUITE_UPDATED[$suite]=1
}

# pidfile helpers: a pid counts only if the process is alive and has the expected name.
pid_alive() { # PIDFILE COMM
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
  local name="$1" logf="$2"; shift 2
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  echo "==== $(date -u +%FT%TZ) starting: $*" >>"$logf"
  setsid nohup "$@" </dev/null >>"$logf" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  log "started $name (pid $!, log $logf)"
}

docker_info_ok() { timeout 20 docker info >/dev/null 2>&1; }

engine_uses_containerd_store() {
  local status
  status="$(timeout 20 docker info --format '{{range .DriverStatus}}{{index . 0}}={{index . 1}} {{end}}' 2>/dev/null || true)"
  [[ "$status" == *io.containerd.snapshotter* ]]
}

buildx_platforms() { timeout 30 docker buildx ls 2>/dev/null || true; }

# Engine is ready when docker + buildx answer and it can do multi-platform images.
engine_ready() {
  docker_info_ok || return 1
  timeout 20 docker buildx version >/dev/null 2>&1 || return 1
  engine_uses_containerd_store && return 0
  [[ "$(buildx_platforms)" == *linux/arm64* ]]
}

# ---------------------------------------------------------------------------
# 1. engine packages: docker.io / docker-cli / containerd / docker-buildx from trixie
# ---------------------------------------------------------------------------
engine_pkgs_installed() {
  local p v
  for p in "${ENGINE_PKGS[@]}"; do
    v="$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)"
    [[ "$v" == "install ok installed "* ]] || return 1
  done
  # bookworm's docker.io (20.10) does not count
  v="$(installed_version docker.io)"
  dpkg --compare-versions "$v" ge 26 || return 1
}

install_engine() {
  if engine_pkgs_installed; then
    log "engine packages present: docker.io $(installed_version docker.io), containerd $(installed_version containerd), docker-buildx $(installed_version docker-buildx)"
    return 0
  fi
  local codename
  codename="$(host_codename)"

  # Dependencies of trixie's docker.io/containerd, from the host's own suite. (Equivalent to
  # installing bookworm's docker.io for its dependencies, without its 20.10 daemon; bookworm's
  # runc 1.1 is kept.) jq merges daemon.json, curl talks to the registry.
  apt_install runc tini iptables adduser libsystemd0 ca-certificates curl jq

  if [[ "$codename" != bookworm ]]; then
    # trixie or later already ship these versions in the host's own suite
    apt_update_once
    log "installing ${ENGINE_PKGS[*]} from the host's suite ($codename)"
    apt-get install -y -qq --no-install-recommends "${ENGINE_PKGS[@]}" >/dev/null
    return 0
  fi

  local dir="$STATE_DIR/apt-trixie" opts
  suite_apt_prepare trixie
  mapfile -t opts < <(apt_opts "$dir" amd64)

  local p want v chosen specs=()
  for p in "${ENGINE_PKGS[@]}"; do
    want="${WANT_VERSION[$p]}"
    chosen=""
    # madison lists every available version; take the first that has the wanted upstream version
    while read -r v; do
      if [[ "$v" == "$want"[+~-]* || "$v" == "$want" ]]; then chosen="$v"; break; fi
    done < <(apt-cache "${opts[@]}" madison "$p" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
    if [[ -z "$chosen" ]]; then
      chosen="$(apt-cache "${opts[@]}" policy "$p" | awk '/Candidate:/ {print $2}')"
      [[ -n "$chosen" && "$chosen" != "(none)" ]] || die "trixie offers no $p"
      log "NOTE: $p $want is no longer in trixie; taking $chosen instead"
    fi
    specs+=("$p=$chosen")
  done

  rm -f "$dir/debs/"*.deb
  log "apt-get download ${specs[*]}"
  (cd "$dir/debs" && apt-get "${opts[@]}" download -qq "${specs[@]}")
  # Policy-rc.d / no init system: the packages' postinst scripts do not start daemons here;
  # dockerd is started by this script below. All dependencies are installed above, so no
  # --force-depends is needed. docker-cli must come in the same dpkg run as docker.io
  # (it Breaks docker.io << 26.1.4, which owned /usr/bin/docker before the split).
  log "dpkg -i $(cd "$dir/debs" && echo *.deb)"
  dpkg -i --force-confdef --force-confold "$dir/debs/"*.deb >"$LOG_DIR/dpkg-engine.log" 2>&1 ||
    { tail -n 30 "$LOG_DIR/dpkg-engine.log" >&2; die "dpkg -i of the trixie engine packages failed"; }
  engine_pkgs_installed || die "engine packages not installed after dpkg -i"
  log "installed docker.io $(installed_version docker.io), containerd $(installed_version containerd), docker-buildx $(installed_version docker-buildx)"
}

# ---------------------------------------------------------------------------
# 1b. cosign from Debian trixie (bookworm has none); a static Go binary (Depends: libc6)
# ---------------------------------------------------------------------------
cosign_ok() { timeout 20 cosign version >/dev/null 2>&1; }
# Debian's build reports "GitVersion: devel": show the package version then
cosign_version() {
  local v
  v="$(timeout 20 cosign version 2>/dev/null | awk '/^GitVersion:/ {print $2}' || true)"
  if [[ -z "$v" || "$v" == devel ]] && [[ -n "$(installed_version cosign)" ]]; then
    v="${v:-?} (Debian package $(installed_version cosign))"
  fi
  echo "$v"
}

install_cosign() {
  if cosign_ok; then
    log "cosign present: $(cosign_version) ($(command -v cosign))"
    return 0
  fi
  if [[ "$(host_codename)" != bookworm ]]; then
    apt_install cosign
  else
    # trixie first; unstable (sid, same mirror, base suite only) if trixie ever drops it.
    # NOTE: sid carries cosign 3.x (3.1.1 when this was written), whose signing defaults
    # and flags differ from trixie's 2.5 (the version the tests were written against).
    local suite mode dir opts cand="" spec=""
    for suite in trixie sid; do
      mode=all
      [[ "$suite" == sid ]] && mode=base-only
      dir="$STATE_DIR/apt-$suite"
      suite_apt_prepare "$suite" "$mode"
      mapfile -t opts < <(apt_opts "$dir" amd64)
      cand="$(apt-cache "${opts[@]}" policy cosign 2>/dev/null | awk '/Candidate:/ {print $2}')"
      if [[ -n "$cand" && "$cand" != "(none)" ]]; then
        spec="cosign=$cand"
        break
      fi
      log "NOTE: $suite offers no cosign package"
    done
    [[ -n "$spec" ]] || die "no cosign package in trixie or sid"
    rm -f "$dir/debs/"cosign_*.deb
    log "apt-get download $spec ($suite)"
    (cd "$dir/debs" && apt-get "${opts[@]}" download -qq "$spec")
    log "dpkg -i $(cd "$dir/debs" && echo cosign_*.deb)"
    dpkg -i "$dir/debs/"cosign_*.deb >"$LOG_DIR/dpkg-cosign.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/dpkg-cosign.log" >&2; die "dpkg -i of cosign ($suite) failed"; }
  fi
  cosign_ok || die "cosign installed but 'cosign version' fails"
  log "installed cosign $(cosign_version) (package $(installed_version cosign))"
}

# ---------------------------------------------------------------------------
# 2. daemon.json (containerd image store) and dockerd
# ---------------------------------------------------------------------------
configure_daemon_json() {
  local f=/etc/docker/daemon.json cur new
  mkdir -p /etc/docker
  cur="{}"
  if [[ -s "$f" ]]; then
    cur="$(cat "$f")"
    jq -e . >/dev/null 2>&1 <<<"$cur" || die "$f is not valid JSON; fix or remove it"
  fi
  new="$(jq '. * {"features": {"containerd-snapshotter": true}}' <<<"$cur")"
  if [[ -f "$f" ]] && [[ "$(jq -S . <<<"$cur")" == "$(jq -S . <<<"$new")" ]]; then
    log "$f already enables the containerd image store"
    return 1 # unchanged
  fi
  echo "$new" >"$f.tmp" && mv "$f.tmp" "$f"
  log "wrote $f: $(jq -c . "$f")"
  return 0 # changed
}

# iptables: Debian's default backend is nft. Docker 26 drives iptables; if the nft backend
# is unusable in this kernel, switch to iptables-legacy.
select_iptables_backend() {
  if iptables -w -L -n >/dev/null 2>&1 && iptables -w -t nat -L -n >/dev/null 2>&1; then
    log "iptables ($(iptables --version)) works"
    return 0
  fi
  warn "iptables ($(iptables --version 2>&1)) does not work here; trying iptables-legacy"
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
  iptables -w -t nat -L -n >/dev/null 2>&1 || die "neither iptables-nft nor iptables-legacy works; dockerd's bridge network needs one"
  log "switched to $(iptables --version)"
}

stop_our_dockerd() {
  local pid
  pid_alive "$RUN_DIR/dockerd.pid" dockerd || return 0
  pid="$(cat "$RUN_DIR/dockerd.pid")"
  log "stopping dockerd (pid $pid) to apply the new configuration"
  kill "$pid"
  for _ in $(seq 1 30); do pid_alive "$RUN_DIR/dockerd.pid" dockerd || return 0; sleep 1; done
  die "dockerd (pid $pid) did not stop"
}

start_dockerd() {
  local changed=false
  configure_daemon_json && changed=true

  if docker_info_ok; then
    if $changed; then
      pid_alive "$RUN_DIR/dockerd.pid" dockerd ||
        die "a Docker engine not started by this script is running without multi-platform support; stop it and re-run"
      stop_our_dockerd
    elif engine_ready; then
      log "dockerd already running"
      return 0
    else
      pid_alive "$RUN_DIR/dockerd.pid" dockerd ||
        die "a Docker engine not started by this script is running but cannot do multi-platform builds; stop it and re-run"
      stop_our_dockerd
    fi
  fi

  if pid_alive "$RUN_DIR/dockerd.pid" dockerd; then
    log "dockerd (pid $(cat "$RUN_DIR/dockerd.pid")) is running but does not answer yet"
  else
    select_iptables_backend
    # stale pid files (e.g. a machine restored from a snapshot, /run is not a tmpfs here)
    # would make dockerd refuse to start or adopt a process that is not its containerd.
    local f
    for f in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
      if [[ -f "${f%%:*}" ]] && ! pid_alive "${f%%:*}" "${f##*:}"; then
        rm -f "${f%%:*}"
      fi
    done
    start_bg dockerd "$LOG_DIR/dockerd.log" dockerd
  fi

  log "waiting for dockerd to answer (up to 60s)"
  local i
  for i in $(seq 1 60); do
    if docker_info_ok; then
      log "dockerd answers after ${i}s"
      return 0
    fi
    pid_alive "$RUN_DIR/dockerd.pid" dockerd || break
    sleep 1
  done
  echo "----- tail of $LOG_DIR/dockerd.log -----" >&2
  tail -n 40 "$LOG_DIR/dockerd.log" >&2 || true
  die "dockerd did not come up"
}

# ---------------------------------------------------------------------------
# 3. QEMU user emulation via binfmt_misc
# ---------------------------------------------------------------------------
BINFMT=/proc/sys/fs/binfmt_misc

binfmt_has_F() { # NAME
  [[ -f "$BINFMT/$1" ]] && grep -qx enabled "$BINFMT/$1" && grep -qE '^flags: .*F' "$BINFMT/$1"
}

setup_qemu() {
  if [[ ! -f "$BINFMT/status" ]]; then
    log "mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc "$BINFMT"
  fi
  apt_install qemu-user-static binfmt-support
  if ! binfmt_has_F qemu-aarch64 || ! binfmt_has_F qemu-arm; then
    log "update-binfmts --enable"
    update-binfmts --enable >/dev/null 2>&1 || true
  fi
  local name
  for name in qemu-aarch64 qemu-arm; do
    if [[ ! -f "$BINFMT/$name" ]] || ! grep -qx enabled "$BINFMT/$name"; then
      die "$BINFMT/$name is not registered/enabled"
    fi
    if ! binfmt_has_F "$name"; then
      # The F (fix-binary) flag makes the kernel open the interpreter at registration time,
      # so emulation also works inside containers (whose root has no qemu binary).
      # Re-register with F from the same Debian format file.
      log "re-registering $name with the F flag"
      local fmt="/usr/share/binfmts/$name"
      [[ -f "$fmt" ]] || die "$fmt not found"
      local magic mask interp offset flags=F
      magic="$(awk '$1=="magic"{print $2}' "$fmt")"
      mask="$(awk '$1=="mask"{print $2}' "$fmt")"
      offset="$(awk '$1=="offset"{print $2}' "$fmt")"
      interp="$(awk '$1=="interpreter"{print $2}' "$fmt")"
      grep -qE '^preserve[[:space:]]+yes' "$fmt" && flags="P$flags"
      grep -qE '^credentials[[:space:]]+yes' "$fmt" && flags="C$flags"
      echo -1 >"$BINFMT/$name"
      printf ':%s:M:%s:%s:%s:%s:%s' "$name" "${offset:-0}" "$magic" "$mask" "$interp" "$flags" >"$BINFMT/register"
      binfmt_has_F "$name" || die "could not register $name with the F flag"
    fi
  done
  log "binfmt: qemu-aarch64 [$(awk '/^flags/{print $2}' "$BINFMT/qemu-aarch64")], qemu-arm [$(awk '/^flags/{print $2}' "$BINFMT/qemu-arm")]"
}

# ---------------------------------------------------------------------------
# 4. local registry on 127.0.0.1:5000
# ---------------------------------------------------------------------------
registry_ok() { curl -fsS -m 5 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

setup_registry() {
  apt_install docker-registry curl
  mkdir -p "$CONF_DIR" "$REGISTRY_DATA"
  local cfg
  cfg="$(cat <<EOF
# written by scripts/setup-stack.sh (multiarch-release); not the package's own config
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
)"
  local cfg_changed=false
  if [[ ! -f "$REGISTRY_CONFIG" ]] || [[ "$(cat "$REGISTRY_CONFIG")" != "$cfg" ]]; then
    echo "$cfg" >"$REGISTRY_CONFIG"
    cfg_changed=true
    log "wrote $REGISTRY_CONFIG"
  fi

  if pid_alive "$RUN_DIR/registry.pid" docker-registry && $cfg_changed; then
    log "restarting registry for the new configuration"
    kill "$(cat "$RUN_DIR/registry.pid")"
    sleep 1
  fi
  if registry_ok; then
    log "registry already answers on $REGISTRY_ADDR"
    return 0
  fi
  if ! pid_alive "$RUN_DIR/registry.pid" docker-registry; then
    start_bg registry "$LOG_DIR/registry.log" /usr/bin/docker-registry serve "$REGISTRY_CONFIG"
  fi
  local i
  for i in $(seq 1 30); do
    if registry_ok; then log "registry answers on http://$REGISTRY_ADDR/v2/ after ${i}s"; return 0; fi
    sleep 1
  done
  tail -n 30 "$LOG_DIR/registry.log" >&2 || true
  die "registry did not come up on $REGISTRY_ADDR"
}

# ---------------------------------------------------------------------------
# 4b. registry with TLS + htpasswd auth on <docker0 IPv4>:5443
# ---------------------------------------------------------------------------
# Why not 127.0.0.1: the registry resolvers of buildx (`docker buildx imagetools`) and
# containerd/BuildKit send every loopback registry (127.0.0.0/8, localhost, ::1) plain HTTP,
# so a TLS registry on loopback needs per-builder configuration. On the docker0 bridge
# address the registry is an ordinary HTTPS registry for every client: dockerd (login,
# push from its BuildKit) trusts the CA via /etc/docker/certs.d/<addr>/ca.crt, the buildx
# CLI, cosign and curl via the system trust store, Node.js via NODE_EXTRA_CA_CERTS.

# docker0_ip — IPv4 address of Docker's default bridge (empty if there is none)
docker0_ip() {
  ip -4 -o addr show dev docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'
}

# resolve_auth_addr — set AUTH_REGISTRY_ADDR / DOCKER_CERTS_D_CA from the docker0 address
resolve_auth_addr() {
  [[ -n "$AUTH_REGISTRY_ADDR" ]] && return 0
  if ! command -v ip >/dev/null; then
    $CHECK_ONLY && die "no 'ip' command (iproute2) to read the docker0 address (run scripts/setup-stack.sh)"
    apt_install iproute2
  fi
  local addr
  addr="$(docker0_ip)"
  [[ "$addr" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "no IPv4 address on the docker0 bridge ('ip -4 -o addr show docker0': $(ip -4 -o addr show docker0 2>&1 | head -n1 || true)); the TLS registry listens there. Is dockerd running with its default bridge (not \"bridge\": \"none\" in daemon.json)?"
  AUTH_REGISTRY_ADDR="$addr:$AUTH_REGISTRY_PORT"
  DOCKER_CERTS_D_CA="/etc/docker/certs.d/$AUTH_REGISTRY_ADDR/ca.crt"
}

# auth_registry_status [CURL-ARGS...] — HTTP status of GET /v2/ (000: no answer / TLS error)
auth_registry_status() {
  curl -sS -m 5 -o /dev/null -w '%{http_code}' "$@" "https://$AUTH_REGISTRY_ADDR/v2/" 2>/dev/null || true
}
auth_registry_ok() { [[ "$(auth_registry_status --cacert "$TLS_CA")" == 401 ]]; }

# install_if_changed SRC DEST MODE — copy SRC to DEST unless identical; returns 1 if unchanged
install_if_changed() {
  if [[ -f "$2" ]] && cmp -s "$1" "$2"; then return 1; fi
  install -D -m "$3" "$1" "$2"
  log "installed $2"
}

# server_cert_has_ip CERT IP — the certificate's subjectAltName lists IP Address:IP
server_cert_has_ip() {
  openssl x509 -noout -ext subjectAltName -in "$1" 2>/dev/null | tr ',' '\n' |
    sed 's/^[[:space:]]*//' | grep -qxF "IP Address:$2"
}

# setup_tls — test CA and server certificate for the docker0 address and 127.0.0.1 (IP SANs) /
# localhost (DNS SAN), created only if missing, expiring within a day, (server) not issued by
# the current CA, or (server) without the current docker0 address. The CA is kept whenever
# it is still valid, so trust (certs.d, system store, NODE_EXTRA_CA_CERTS) stays stable.
# Sets TLS_CHANGED=true when the server certificate was (re)created.
TLS_CHANGED=false
setup_tls() {
  apt_install openssl ca-certificates
  mkdir -p "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
  local ca_key="$TLS_DIR/ca.key" srv_crt="$TLS_DIR/server.crt" srv_key="$TLS_DIR/server.key"
  if [[ ! -s "$TLS_CA" || ! -s "$ca_key" ]] || ! openssl x509 -checkend 86400 -noout -in "$TLS_CA" >/dev/null 2>&1; then
    log "creating test CA $TLS_CA"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$ca_key" -out "$TLS_CA" -subj "/CN=multiarch-release test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      >/dev/null 2>&1) || die "openssl: could not create the test CA"
    chmod 0644 "$TLS_CA"
    rm -f "$srv_crt" # a new CA needs a new server certificate
  fi
  local host="${AUTH_REGISTRY_ADDR%:*}"
  if [[ ! -s "$srv_crt" || ! -s "$srv_key" ]] ||
    ! openssl verify -CAfile "$TLS_CA" "$srv_crt" >/dev/null 2>&1 ||
    ! openssl x509 -checkend 86400 -noout -in "$srv_crt" >/dev/null 2>&1 ||
    ! server_cert_has_ip "$srv_crt" "$host" || ! server_cert_has_ip "$srv_crt" 127.0.0.1; then
    log "creating server certificate $srv_crt (IP:$host, IP:127.0.0.1, DNS:localhost)"
    local tmp
    tmp="$(mktemp -d)"
    (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$srv_key" \
      -out "$tmp/server.csr" -subj "/CN=$host" >/dev/null 2>&1) || die "openssl: could not create the server key/CSR"
    printf '%s\n' "subjectAltName=IP:$host,IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tmp/ext.cnf"
    openssl x509 -req -sha256 -days 825 -in "$tmp/server.csr" -CA "$TLS_CA" -CAkey "$ca_key" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/ext.cnf" -out "$srv_crt" >/dev/null 2>&1 ||
      die "openssl: could not sign the server certificate"
    rm -rf "$tmp"
    chmod 0644 "$srv_crt"
    TLS_CHANGED=true
  fi
  log "TLS: CA $TLS_CA, server certificate for $host $(openssl x509 -noout -enddate -in "$srv_crt" | sed 's/notAfter=/valid until /')"

  # trust: dockerd (certs.d, read per connection: no restart) and the system store
  install_if_changed "$TLS_CA" "$DOCKER_CERTS_D_CA" 0644 || true
  # certs.d entries for this CA under earlier addresses (127.0.0.1:5443, an old docker0 address)
  local d
  for d in /etc/docker/certs.d/*:"$AUTH_REGISTRY_PORT"; do
    [[ -d "$d" && "$d" != "${DOCKER_CERTS_D_CA%/ca.crt}" ]] || continue
    if [[ "$(ls -A "$d")" == ca.crt ]] && cmp -s "$TLS_CA" "$d/ca.crt"; then
      rm -rf "$d"
      log "removed stale $d"
    fi
  done
  if install_if_changed "$TLS_CA" "$SYSTEM_CA_FILE" 0644; then
    log "update-ca-certificates"
    update-ca-certificates >"$LOG_DIR/update-ca-certificates.log" 2>&1 ||
      { cat "$LOG_DIR/update-ca-certificates.log" >&2; die "update-ca-certificates failed"; }
  fi
}

setup_auth_registry() {
  apt_install docker-registry curl apache2-utils
  resolve_auth_addr
  setup_tls
  mkdir -p "$CONF_DIR" "$AUTH_REGISTRY_DATA"

  local restart=$TLS_CHANGED
  # bcrypt hashes are salted: only rewrite when the stored one does not match
  if ! htpasswd -vb "$AUTH_REGISTRY_HTPASSWD" "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" >/dev/null 2>&1; then
    (umask 077 && htpasswd -Bbn "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" >"$AUTH_REGISTRY_HTPASSWD.tmp")
    mv "$AUTH_REGISTRY_HTPASSWD.tmp" "$AUTH_REGISTRY_HTPASSWD"
    log "wrote $AUTH_REGISTRY_HTPASSWD (bcrypt, user $AUTH_REGISTRY_USER)"
    restart=true
  fi

  local envc
  envc="$(cat <<EOF
# written by scripts/setup-stack.sh (multiarch-release): TEST-ONLY credentials of the
# registry with TLS + htpasswd auth on the docker0 bridge address. docker, buildx (incl.
# imagetools), curl and cosign trust its CA; Node.js: NODE_EXTRA_CA_CERTS=\$REGISTRY_AUTH_CA
REGISTRY_AUTH_USER=$AUTH_REGISTRY_USER
REGISTRY_AUTH_PASSWORD=$AUTH_REGISTRY_PASSWORD
REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR
REGISTRY_AUTH_CA=$TLS_CA
EOF
)"
  if [[ ! -f "$AUTH_REGISTRY_ENV" ]] || [[ "$(cat "$AUTH_REGISTRY_ENV")" != "$envc" ]]; then
    echo "$envc" >"$AUTH_REGISTRY_ENV"
    chmod 0644 "$AUTH_REGISTRY_ENV"
    log "wrote $AUTH_REGISTRY_ENV"
  fi

  # An earlier version bound 127.0.0.1:5443 and needed a BuildKit config (http = false) for
  # `docker buildx imagetools`; on the bridge address no builder configuration is needed.
  if [[ -f "$OLD_AUTH_BUILDKITD_CONFIG" ]]; then
    rm -f "$OLD_AUTH_BUILDKITD_CONFIG"
    log "removed $OLD_AUTH_BUILDKITD_CONFIG (no longer needed)"
  fi

  local cfg
  cfg="$(cat <<EOF
# written by scripts/setup-stack.sh (multiarch-release); not the package's own config
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $AUTH_REGISTRY_DATA
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $AUTH_REGISTRY_ADDR
  tls:
    certificate: $TLS_DIR/server.crt
    key: $TLS_DIR/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: multiarch-release
    path: $AUTH_REGISTRY_HTPASSWD
EOF
)"
  if [[ ! -f "$AUTH_REGISTRY_CONFIG" ]] || [[ "$(cat "$AUTH_REGISTRY_CONFIG")" != "$cfg" ]]; then
    echo "$cfg" >"$AUTH_REGISTRY_CONFIG"
    restart=true
    log "wrote $AUTH_REGISTRY_CONFIG"
  fi

  local pidf="$RUN_DIR/registry-auth.pid" i
  if pid_alive "$pidf" docker-registry && $restart; then
    log "restarting registry-auth for the new configuration/certificate/htpasswd"
    kill "$(cat "$pidf")"
    for i in $(seq 1 20); do pid_alive "$pidf" docker-registry || break; sleep 0.5; done
    pid_alive "$pidf" docker-registry && die "registry-auth (pid $(cat "$pidf")) did not stop"
  fi
  if auth_registry_ok; then
    log "registry-auth already answers on https://$AUTH_REGISTRY_ADDR/v2/ (401 without credentials)"
    return 0
  fi
  if ! pid_alive "$pidf" docker-registry; then
    start_bg registry-auth "$LOG_DIR/registry-auth.log" /usr/bin/docker-registry serve "$AUTH_REGISTRY_CONFIG"
  fi
  for i in $(seq 1 30); do
    if auth_registry_ok; then log "registry-auth answers 401 on https://$AUTH_REGISTRY_ADDR/v2/ after ${i}s"; return 0; fi
    sleep 1
  done
  tail -n 30 "$LOG_DIR/registry-auth.log" >&2 || true
  die "registry-auth did not come up on $AUTH_REGISTRY_ADDR (status $(auth_registry_status --cacert "$TLS_CA"))"
}

# ---------------------------------------------------------------------------
# 5. fixtures: static busybox per architecture (names keyed by Docker's TARGETARCH)
# ---------------------------------------------------------------------------
elf_machine() { # prints e_machine of an ELF file (62 x86-64, 183 aarch64, 40 arm, 22 s390x, 21 ppc64)
  # in the file's own byte order (EI_DATA, byte 5: 1 little-endian, 2 big-endian such as s390x)
  local b
  read -r -a b <<<"$(od -An -t u1 -j 5 -N 1 "$1") $(od -An -t u1 -j 18 -N 2 "$1")"
  if [[ "${b[0]}" == 2 ]]; then echo $((b[1] * 256 + b[2])); else echo $((b[2] * 256 + b[1])); fi
}

setup_fixtures() {
  local bindir="$REPO_ROOT/example/bin"
  declare -A DEB_ARCH=([amd64]=amd64 [arm64]=arm64 [arm]=armhf [s390x]=s390x [ppc64le]=ppc64el)
  declare -A ELF=([amd64]=62 [arm64]=183 [arm]=40 [s390x]=22 [ppc64le]=21)
  local missing=() a
  for a in amd64 arm64 arm s390x ppc64le; do
    if [[ -x "$bindir/busybox-$a" ]] && [[ "$(elf_machine "$bindir/busybox-$a")" == "${ELF[$a]}" ]]; then
      continue
    fi
    missing+=("$a")
  done
  if ((${#missing[@]})); then
    # A separate apt instance for the foreign architectures, so the system's dpkg/apt
    # configuration is not changed (no dpkg --add-architecture needed for apt-get download).
    local dir="$STATE_DIR/apt-fixtures" opts codename
    codename="$(host_codename)"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs" "$bindir"
    # busybox-static comes from the release suite itself: base-only keeps this instance small
    write_sources "$dir" "$codename" "$codename" base-only
    mapfile -t opts < <(apt_opts "$dir" amd64 arm64 armhf s390x ppc64el)
    apt_update_dir "$dir" "${opts[@]}"
    local specs=()
    for a in "${missing[@]}"; do specs+=("busybox-static:${DEB_ARCH[$a]}"); done
    rm -f "$dir/debs/"*.deb
    log "apt-get download ${specs[*]}"
    (cd "$dir/debs" && apt-get "${opts[@]}" download -qq "${specs[@]}")
    for a in "${missing[@]}"; do
      local deb tmp
      deb="$(ls "$dir/debs/"busybox-static_*_"${DEB_ARCH[$a]}".deb)"
      tmp="$(mktemp -d)"
      dpkg-deb -x "$deb" "$tmp"
      [[ "$(elf_machine "$tmp/bin/busybox")" == "${ELF[$a]}" ]] || die "$deb: unexpected ELF machine"
      install -m 0755 "$tmp/bin/busybox" "$bindir/busybox-$a"
      rm -rf "$tmp"
      log "example/bin/busybox-$a <- $(basename "$deb")"
    done
  else
    log "fixtures present: example/bin/busybox-{amd64,arm64,arm,s390x,ppc64le}"
  fi

  local gi="$REPO_ROOT/.gitignore"
  if [[ ! -f "$gi" ]]; then
    printf '%s\n' node_modules/ example/bin/ coverage/ /tmp/ >"$gi"
    log "created .gitignore"
  elif ! grep -qxE '/?example/bin/?' "$gi"; then
    [[ -z "$(tail -c1 "$gi")" ]] || echo >>"$gi"
    echo example/bin/ >>"$gi"
    log "added example/bin/ to .gitignore"
  fi
}

# verify_auth_registry — checks of the TLS + auth registry (uses fail/ok of verify).
# docker login (dockerd), a multi-platform buildx push (dockerd's BuildKit), imagetools
# inspect/create (buildx CLI, no special builder), cosign sign/verify and the refusals
# (no credentials, wrong password), all with a throw-away DOCKER_CONFIG: the machine's docker
# config and builders are not touched.
verify_auth_registry() {
  local code out host="${AUTH_REGISTRY_ADDR%:*}" bindir="$REPO_ROOT/example/bin"
  code="$(auth_registry_status --cacert "$TLS_CA")"
  if [[ "$code" == 401 ]]; then ok "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ answers 401 without credentials"; else fail "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ without credentials: HTTP $code (expected 401)"; fi
  code="$(auth_registry_status --cacert "$TLS_CA" -u "$AUTH_REGISTRY_USER:$AUTH_REGISTRY_PASSWORD")"
  if [[ "$code" == 200 ]]; then ok "registry-auth: 200 with -u $AUTH_REGISTRY_USER:***"; else fail "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ with credentials: HTTP $code (expected 200)"; fi
  if server_cert_has_ip "$TLS_DIR/server.crt" "$host" && server_cert_has_ip "$TLS_DIR/server.crt" 127.0.0.1; then
    ok "registry-auth: server certificate has IP SANs $host and 127.0.0.1"
  else
    fail "registry-auth: $TLS_DIR/server.crt lacks IP SAN $host or 127.0.0.1 (run scripts/setup-stack.sh)"
  fi
  # system trust store (what buildx's CLI, cosign and curl use without --cacert)
  code="$(auth_registry_status)"
  if [[ "$code" == 401 ]]; then ok "registry-auth: test CA is in the system trust store"; else fail "registry-auth: curl without --cacert: HTTP $code (test CA not in the system trust store?)"; fi
  if [[ -f "$DOCKER_CERTS_D_CA" ]] && cmp -s "$TLS_CA" "$DOCKER_CERTS_D_CA"; then ok "dockerd trusts the test CA ($DOCKER_CERTS_D_CA)"; else fail "$DOCKER_CERTS_D_CA missing or not the current test CA"; fi
  if [[ -r "$AUTH_REGISTRY_ENV" ]] && grep -qxF "REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR" "$AUTH_REGISTRY_ENV"; then
    ok "$AUTH_REGISTRY_ENV: REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR"
  else
    fail "$AUTH_REGISTRY_ENV missing or REGISTRY_AUTH_HOST is not $AUTH_REGISTRY_ADDR (run scripts/setup-stack.sh)"
  fi
  if command -v node >/dev/null; then
    # Node.js ignores the system store: tests need NODE_EXTRA_CA_CERTS (read at process start)
    out="$(env -u NODE_OPTIONS NODE_EXTRA_CA_CERTS="$TLS_CA" timeout 20 node -e \
      "fetch('https://$AUTH_REGISTRY_ADDR/v2/').then(r => console.log(r.status), e => console.log(String(e.cause || e)))" 2>&1 || true)"
    if [[ "$out" == 401 ]]; then ok "registry-auth: Node.js fetch with NODE_EXTRA_CA_CERTS=$TLS_CA answers 401"; else fail "registry-auth: Node.js fetch with NODE_EXTRA_CA_CERTS: $out"; fi
  fi
  [[ "$code" == 401 && -f "$REPO_ROOT/example/Dockerfile" && -x "$bindir/busybox-amd64" && -x "$bindir/busybox-arm64" ]] || return 0

  local dc repo="$AUTH_REGISTRY_ADDR/$SELFTEST_TAG" alog="$LOG_DIR/selftest-auth.log" digest="" step=""
  dc="$(mktemp -d)"
  : >"$alog"
  # dc_run CMD... — run with the throw-away DOCKER_CONFIG, output to the log
  dc_run() { echo "+ $*" >>"$alog"; DOCKER_CONFIG="$dc" "$@" >>"$alog" 2>&1; }
  # dc_push REF — multi-platform build + push, up to 3 attempts. Such a push fails now and then
  # with "unexpected status from HEAD request to .../manifests/<tag>: 500 Internal Server
  # Error": dockerd 26 with the containerd image store pushes every platform manifest by tag
  # too (moby/moby#49949, fixed in later releases) and distribution 2.8's filesystem driver
  # rewrites the tag link in place, so a concurrent HEAD may read it half-written (registry
  # log: "invalid checksum digest format"). The plain registry on :5000 has the same race.
  dc_push() {
    local n
    for n in 1 2 3; do
      dc_run docker buildx build --builder default -q --platform linux/amd64,linux/arm64 -t "$1" --push "$REPO_ROOT/example" && return 0
      tail -n 1 "$alog" | grep -q '500 Internal Server Error' || return 1
      warn "registry-auth: push attempt $n hit the registry's tag race (HTTP 500, moby/moby#49949)"
    done
    return 1
  }

  # refusals first, while not logged in
  out="$(DOCKER_CONFIG="$dc" timeout 60 docker buildx imagetools inspect "$repo:latest" 2>&1 || true)"
  if [[ "$out" == *unauthorized* || "$out" == *authorization* || "$out" == *401* ]]; then
    ok "registry-auth: imagetools inspect without credentials refused ($(tail -n1 <<<"$out"))"
  else
    fail "registry-auth: imagetools inspect without credentials did not fail as unauthorized: $out"
  fi
  if out="$(printf 'wrong-password' | DOCKER_CONFIG="$dc" timeout 60 docker login "$AUTH_REGISTRY_ADDR" -u "$AUTH_REGISTRY_USER" --password-stdin 2>&1)"; then
    fail "registry-auth: docker login with a wrong password succeeded: $out"
  elif [[ "$out" == *unauthorized* || "$out" == *401* ]]; then
    ok "registry-auth: docker login with a wrong password refused ($(tail -n1 <<<"$out"))"
  else
    fail "registry-auth: docker login with a wrong password: $out"
  fi

  if ! printf '%s' "$AUTH_REGISTRY_PASSWORD" | dc_run docker login "$AUTH_REGISTRY_ADDR" -u "$AUTH_REGISTRY_USER" --password-stdin; then
    step="docker login $AUTH_REGISTRY_ADDR"
  elif ! dc_push "$repo:latest"; then
    step="docker buildx build --platform linux/amd64,linux/arm64 --push -t $repo:latest"
  elif ! DOCKER_CONFIG="$dc" docker buildx imagetools inspect --raw "$repo:latest" >"$dc/index.json" 2>>"$alog" ||
    ! grep -q '"arm64"' "$dc/index.json" || ! grep -q '"amd64"' "$dc/index.json"; then
    step="docker buildx imagetools inspect --raw $repo:latest (amd64+arm64 index)"
  elif ! digest="sha256:$(sha256sum "$dc/index.json" | awk '{print $1}')" ||
    ! dc_run docker buildx imagetools create --tag "$repo:copy" "$repo@$digest" ||
    ! dc_run docker buildx imagetools inspect "$repo:copy"; then
    step="docker buildx imagetools create --tag $repo:copy $repo@$digest"
  elif ! (cd "$dc" && COSIGN_PASSWORD=selftest dc_run cosign generate-key-pair) ||
    ! COSIGN_PASSWORD=selftest dc_run cosign sign --key "$dc/cosign.key" --tlog-upload=false --yes "$repo@$digest" ||
    ! dc_run cosign verify --key "$dc/cosign.pub" --insecure-ignore-tlog=true "$repo:latest"; then
    step="cosign sign/verify $repo@$digest"
  fi
  if [[ -n "$step" ]]; then
    fail "registry-auth: $step failed (see $alog)"
  else
    ok "registry-auth: docker login, buildx push (amd64+arm64), imagetools inspect/create and cosign sign/verify work on $AUTH_REGISTRY_ADDR"
  fi
  DOCKER_CONFIG="$dc" docker logout "$AUTH_REGISTRY_ADDR" >/dev/null 2>&1 || true
  rm -rf "$dc"
}

# ---------------------------------------------------------------------------
# 7. verification
# ---------------------------------------------------------------------------
verify() {
  local fails=0 out
  fail() { echo "[setup-stack] CHECK FAILED: $*" >&2; fails=$((fails + 1)); }
  ok() { log "ok: $*"; }

  command -v docker >/dev/null || die "no docker CLI on PATH"
  docker_info_ok || die "docker info fails: the engine is not running (run scripts/setup-stack.sh)"

  local client server buildx components
  client="$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')"
  server="$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
  components="$(docker version --format '{{range .Server.Components}}{{.Name}} {{.Version}}; {{end}}' 2>/dev/null || true)"
  buildx="$(docker buildx version 2>/dev/null | awk '{print $2}' || true)"
  log "docker client $client ($(command -v docker)), server $server"
  log "server components: ${components%; }"
  log "buildx ${buildx:-missing}"
  [[ -n "$buildx" ]] || fail "docker buildx is not available"

  if engine_uses_containerd_store; then ok "containerd image store in use"; else warn "engine does not use the containerd image store"; fi

  out="$(buildx_platforms)"
  if [[ "$out" == *linux/arm64* ]]; then ok "docker buildx ls lists linux/arm64"; else fail "docker buildx ls does not list linux/arm64:"$'\n'"$out"; fi

  local bindir="$REPO_ROOT/example/bin" a
  for a in amd64 arm64 arm; do [[ -x "$bindir/busybox-$a" ]] || fail "missing fixture example/bin/busybox-$a"; done

  [[ -f "$REPO_ROOT/example/Dockerfile" ]] || fail "missing example/Dockerfile"
  if [[ -x "$bindir/busybox-arm64" && -f "$REPO_ROOT/example/Dockerfile" ]]; then
    if docker buildx build -q --platform linux/arm64 --load -t "$SELFTEST_TAG:arm64" "$REPO_ROOT/example" >/dev/null 2>"$LOG_DIR/selftest-build.log"; then
      out="$(docker run --rm --platform linux/arm64 "$SELFTEST_TAG:arm64" uname -m 2>&1 || true)"
      if [[ "$out" == aarch64 ]]; then ok "linux/arm64 container runs (uname -m: $out)"; else fail "linux/arm64 container printed '$out', expected aarch64"; fi
    else
      fail "docker buildx build --platform linux/arm64 failed (see $LOG_DIR/selftest-build.log)"
    fi
  fi

  if [[ -x "$bindir/busybox-amd64" && -f "$REPO_ROOT/example/Dockerfile" ]]; then
    local cid="" port="" body=""
    if docker buildx build -q --platform linux/amd64 --load -t "$SELFTEST_TAG:amd64" "$REPO_ROOT/example" >/dev/null 2>>"$LOG_DIR/selftest-build.log" &&
      cid="$(docker run -d -p 127.0.0.1::8080 "$SELFTEST_TAG:amd64" 2>&1)"; then
      port="$(docker port "$cid" 8080/tcp 2>/dev/null | head -n1 | sed 's/.*://')"
      for _ in $(seq 1 20); do
        body="$(curl -fsS -m 2 "http://127.0.0.1:$port/health" 2>/dev/null || true)"
        [[ -n "$body" ]] && break
        sleep 0.5
      done
      docker rm -f "$cid" >/dev/null 2>&1 || true
      if [[ "$body" == ok* ]]; then ok "published port 127.0.0.1:$port -> 8080 answers /health"; else fail "published port 127.0.0.1:${port:-?} did not answer /health"; fi
    else
      fail "could not build/run the amd64 self-test container: $cid"
    fi
  fi

  if registry_ok; then
    ok "registry answers on http://$REGISTRY_ADDR/v2/"
    if [[ -f "$REPO_ROOT/example/Dockerfile" ]]; then
      local ref="$REGISTRY_ADDR/$SELFTEST_TAG:latest" idx
      if docker buildx build -q --platform linux/amd64,linux/arm64 -t "$ref" --push "$REPO_ROOT/example" >/dev/null 2>"$LOG_DIR/selftest-push.log"; then
        idx="$(curl -fsS -m 5 -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
          "http://$REGISTRY_ADDR/v2/$SELFTEST_TAG/manifests/latest" 2>/dev/null || true)"
        if [[ "$idx" == *'"arm64"'* && "$idx" == *'"amd64"'* ]]; then
          ok "buildx pushed a linux/amd64+linux/arm64 index to $ref"
        else
          fail "the pushed index at $ref does not list amd64 and arm64"
        fi
      else
        fail "docker buildx build --push to $ref failed (see $LOG_DIR/selftest-push.log)"
      fi
    fi
  else
    fail "registry does not answer on http://$REGISTRY_ADDR/v2/"
  fi

  if ! command -v ip >/dev/null; then
    fail "registry-auth: no 'ip' command (iproute2) to read the docker0 address"
  elif [[ -n "$(docker0_ip)" ]]; then
    resolve_auth_addr
    verify_auth_registry
  else
    fail "registry-auth: no IPv4 address on the docker0 bridge ('ip -4 -o addr show docker0'); the TLS registry listens there"
  fi

  if cosign_ok; then ok "cosign $(cosign_version)"; else fail "cosign version fails (not installed?)"; fi

  if ((fails)); then
    die "$fails check(s) failed"
  fi
  log "ready: engine $server, buildx ${buildx}, registry $REGISTRY_ADDR, registry-auth $AUTH_REGISTRY_ADDR (TLS+auth), cosign $(cosign_version)"
}

# ---------------------------------------------------------------------------
main() {
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$STATE_DIR"
  if $CHECK_ONLY; then
    verify
    return
  fi
  local t0=$SECONDS

  # QEMU first: BuildKit inside dockerd detects the emulated platforms when it starts.
  setup_qemu

  if engine_ready; then
    log "a working multi-platform Docker engine is already running; leaving it alone"
  else
    install_engine
    start_dockerd
  fi

  install_cosign
  setup_registry
  setup_auth_registry
  setup_fixtures
  verify
  log "done in $((SECONDS - t0))s"
}

main
