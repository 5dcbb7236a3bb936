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
#   * cosign (Debian trixie's package) for signing tests, skopeo (Debian's) for the OCI archive tests,
#   * per-architecture static busybox fixtures in example/bin/ (amd64, arm64, arm; s390x and
#     ppc64le for the benchmark's platform scaling, bench/run.ts),
#   * Node.js 24 for the end-to-end runs in /var/lib/multiarch-release/node24, its binary named
#     in /etc/multiarch-release/node24.env (NODE24=...),
#   * the stacks users run beside the primary engine (docs/stacks.md): Docker 28.5.2 engines d28c
#     (containerd store) and d28 (classic store) from Debian sid; BuildKit v0.25.2 built from
#     Debian's Go packages (about 4 minutes the first time; the binaries are kept in
#     /var/lib/multiarch-release/buildkit/bin and the build skipped while they are there);
#     a token-auth registry on <docker0>:5444; builders mar-remote, mar-fleet (two nodes, one
#     per platform) and mar-container (docker-container driver on d28). A test selects each
#     through its env file in /etc/multiarch-release/ (engine-*.env, builder-*.env,
#     registry-token.env).
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
#   dockerd d28c, d28        pid /var/run/multiarch-release/dockerd-NAME.pid    log /var/log/multiarch-release/dockerd-NAME.log
#   registry-token           pid /var/run/multiarch-release/registry-token.pid  log /var/log/multiarch-release/registry-token.log
#   buildkitd remote, fleet-amd64, fleet-arm64
#                            pid /var/run/multiarch-release/buildkitd-NAME.pid  log /var/log/multiarch-release/buildkitd-NAME.log
#   mar-container's BuildKit container on engine d28 (buildx's docker-container driver)

# shellcheck source-path=SCRIPTDIR
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stack"

# The stack, in setup order. Each NAME is scripts/stack/NAME.sh, which defines setup_NAME
# (and stop_NAME for what it starts); scripts/stack/checks.sh defines check_NAME (and optionally
# selftest_NAME) for it. In function names a '-' of NAME is a '_'.
STACK_MODULES=(
  engine         # QEMU binfmt first (dockerd's BuildKit sees emulators at start), then the engine
  cosign         # cosign, Debian trixie's package
  skopeo         # skopeo, Debian's package: an OCI reader apart from Docker (the OCI archive tests)
  tls            # test CA and server certificate of the auth registry, trusted system-wide
  registries     # registry on 127.0.0.1:5000, TLS + htpasswd registry on <docker0>:5443
  fixtures       # static busybox per architecture in example/bin
  node24         # Node.js 24: the end-to-end runs, the demo and the benchmark run the bundle on it
  sid-engine     # Docker 28.5.2 engines d28c (containerd store) and d28 (classic store)
  buildkit       # buildkitd/buildctl v0.25.2 from Debian's Go packages (built once, then kept)
  token-registry # registry with token auth on <docker0>:5444 (after registries: docker0_ip)
  builders       # mar-remote, mar-fleet, mar-container (after sid-engine, buildkit, registries)
)

# shellcheck source=stack/lib.sh
. "$STACK_DIR/lib.sh"
for module in "${STACK_MODULES[@]}"; do
  # shellcheck disable=SC1090 # named in STACK_MODULES; shellcheck checks each module on its own
  . "$STACK_DIR/$module.sh"
done
# after the modules: the checks use their constants and helpers
# shellcheck source=stack/checks.sh
. "$STACK_DIR/checks.sh"

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
for module in "${STACK_MODULES[@]}"; do
  t=$SECONDS
  "setup_${module//-/_}"
  log "setup_${module//-/_}: $((SECONDS - t))s"
done
t=$SECONDS
run_checks full "${STACK_MODULES[@]}"
log "checks and self-tests: $((SECONDS - t))s"
log "done in $((SECONDS - t0))s"
