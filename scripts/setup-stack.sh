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
#     ppc64le for the benchmark's platform scaling, bench/run.ts),
#   * Node.js 24 for the end-to-end runs in /var/lib/multiarch-release/node24, its binary named
#     in /etc/multiarch-release/node24.env (NODE24=...).
#
# Target: Debian bookworm, as root, no systemd, only Debian's apt mirrors (and npm) reachable.
# Every module is idempotent: a re-run only checks and returns quickly.
# An engine that already works for multi-platform builds (e.g. a GitHub-hosted runner)
# is left alone.
#
# Usage: scripts/setup-stack.sh                   install/start what is missing, then verify
#        scripts/setup-stack.sh --check           verify only (no installs, nothing started;
#                                                 builds and pushes self-test images); no root
#                                                 needed, only access to the Docker socket
#        scripts/setup-stack.sh --check --quick   verify without the self-tests (seconds; what
#                                                 the end-to-end suite runs first)
#        STACK_REGISTRY_ADDR=host:port            (--check only) check that registry instead
#                                                 of 127.0.0.1:5000
#
# Started processes (stop them with scripts/stop-stack.sh):
#   dockerd        pid /var/run/multiarch-release/dockerd.pid        log /var/log/multiarch-release/dockerd.log
#                  (dockerd starts and supervises its own containerd; its output goes to the same log)
#   registry       pid /var/run/multiarch-release/registry.pid       log /var/log/multiarch-release/registry.log
#   registry-auth  pid /var/run/multiarch-release/registry-auth.pid  log /var/log/multiarch-release/registry-auth.log

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stack"

# The stack, in setup order. Each NAME is scripts/stack/NAME.sh, which defines setup_NAME;
# scripts/stack/checks.sh defines check_NAME (and optionally selftest_NAME) for it.
STACK_MODULES=(
  engine     # QEMU binfmt first (dockerd's BuildKit sees emulators at start), then the engine
  cosign     # cosign, Debian trixie's package
  tls        # test CA and server certificate of the auth registry, trusted system-wide
  registries # registry on 127.0.0.1:5000, TLS + htpasswd registry on <docker0>:5443
  fixtures   # static busybox per architecture in example/bin
  node24     # Node.js 24 for the end-to-end runs
)

# shellcheck source=stack/lib.sh
. "$STACK_DIR/lib.sh"
# shellcheck source=stack/checks.sh
. "$STACK_DIR/checks.sh"
for module in "${STACK_MODULES[@]}"; do
  # shellcheck disable=SC1090 # named in STACK_MODULES; shellcheck checks each module on its own
  . "$STACK_DIR/$module.sh"
done

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

mode=setup
while (($#)); do
  case "$1" in
    --check) [[ "$mode" == quick ]] || mode=full ;;
    --quick) mode=quick ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $1 (use --check, --check --quick or --help)" ;;
  esac
  shift
done

if [[ "$mode" != setup ]]; then
  run_checks "$mode" "${STACK_MODULES[@]}"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (scripts/setup-stack.sh --check does not)"
[[ -z "${STACK_REGISTRY_ADDR:-}" ]] || die "STACK_REGISTRY_ADDR is for --check only: setup configures the registry on 127.0.0.1:5000"
t0=$SECONDS
stack_dirs_create
for module in "${STACK_MODULES[@]}"; do "setup_$module"; done
run_checks full "${STACK_MODULES[@]}"
log "done in $((SECONDS - t0))s"
