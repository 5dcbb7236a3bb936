#!/usr/bin/env bash
# setup-stack.sh — install and start the container stack the end-to-end tests need:
#   * a Docker engine with buildx and the containerd image store (multi-platform images),
#   * QEMU user emulation registered with binfmt_misc (linux/arm64, linux/arm/v7),
#   * a local registry (distribution 2.8) on 127.0.0.1:5000,
#   * per-architecture static busybox fixtures in example/bin/.
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
#   dockerd   pid /var/run/multiarch-release/dockerd.pid   log /var/log/multiarch-release/dockerd.log
#             (dockerd starts and supervises its own containerd; its output goes to the same log)
#   registry  pid /var/run/multiarch-release/registry.pid  log /var/log/multiarch-release/registry.log
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
  -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  write_sources "$dir" bookworm trixie
  mapfile -t opts < <(apt_opts "$dir" amd64)
  apt_update_dir "$dir" "${opts[@]}"

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
# 5. fixtures: static busybox per architecture (names keyed by Docker's TARGETARCH)
# ---------------------------------------------------------------------------
elf_machine() { # prints e_machine of an ELF file (62 x86-64, 183 aarch64, 40 arm)
  od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '
}

setup_fixtures() {
  local bindir="$REPO_ROOT/example/bin"
  declare -A DEB_ARCH=([amd64]=amd64 [arm64]=arm64 [arm]=armhf)
  declare -A ELF=([amd64]=62 [arm64]=183 [arm]=40)
  local missing=() a
  for a in amd64 arm64 arm; do
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
    mapfile -t opts < <(apt_opts "$dir" amd64 arm64 armhf)
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
    log "fixtures present: example/bin/busybox-{amd64,arm64,arm}"
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

  if ((fails)); then
    die "$fails check(s) failed"
  fi
  log "ready: engine $server, buildx ${buildx}, registry $REGISTRY_ADDR"
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

  setup_registry
  setup_fixtures
  verify
  log "done in $((SECONDS - t0))s"
}

main
