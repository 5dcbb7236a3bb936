#!/usr/bin/env bash
# stop-stack.sh — stop the processes that scripts/setup-stack.sh started (optional cleanup).
# Only processes recorded in /var/run/multiarch-release/*.pid, and only if the pid still
# belongs to the expected program, are stopped. dockerd stops the containerd it supervises.
# Installed packages, images, registry data and fixtures are left in place.
set -euo pipefail

RUN_DIR=/var/run/multiarch-release

log() { echo "[stop-stack] $*"; }

# alive PID COMM — the pid runs the expected program and is not a zombie.
alive() {
  [[ -r "/proc/$1/comm" ]] && [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2" ]] &&
    [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# stop NAME COMM — SIGTERM the recorded pid, wait up to 30s, then SIGKILL.
stop() {
  local name="$1" comm="$2" pidfile="$RUN_DIR/$1.pid" pid
  if [[ ! -f "$pidfile" ]]; then
    log "$name: no pid file"
    return 0
  fi
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! alive "$pid" "$comm"; then
    log "$name: not running (stale pid file removed)"
    rm -f "$pidfile"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    if ! alive "$pid" "$comm"; then
      rm -f "$pidfile"
      log "$name: stopped"
      return 0
    fi
    sleep 1
  done
  log "$name: still running after 30s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

[[ $(id -u) -eq 0 ]] || { echo "[stop-stack] ERROR: must run as root" >&2; exit 1; }

# the stacks beside the primary engine first (builders use the engines d28c/d28); dockerd d28
# stops the container of the docker-container builder mar-container
for daemon in remote fleet-amd64 fleet-arm64; do stop "buildkitd-$daemon" buildkitd; done
stop registry-token docker-registry
stop dockerd-d28 dockerd
stop dockerd-d28c dockerd
stop registry-auth docker-registry
stop registry-nodelete docker-registry
stop registry docker-registry
stop dockerd dockerd
# a containerd started separately (not the case by default: dockerd supervises its own)
stop containerd containerd
