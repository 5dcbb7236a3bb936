#!/usr/bin/env bash
# dev-new-stacks.sh — temporary driver for the new stack modules until the real driver calls
# them: sources lib.sh (or the stand-in helpers) and the modules, then runs one action on the
# modules named (default: all, in dependency order).
#
# Usage: scripts/stack/dev-new-stacks.sh setup|check|stop [sid-engine buildkit token-registry builders]
set -euo pipefail

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_DIR/../.." && pwd)"
if [[ -f "$STACK_DIR/lib.sh" ]]; then
  # shellcheck source=/dev/null
  . "$STACK_DIR/lib.sh"
fi
# shellcheck source=scripts/stack/dev-lib-shim.sh
. "$STACK_DIR/dev-lib-shim.sh"
# shellcheck source=scripts/stack/sid-engine.sh
. "$STACK_DIR/sid-engine.sh"
# shellcheck source=scripts/stack/buildkit.sh
. "$STACK_DIR/buildkit.sh"
# shellcheck source=scripts/stack/builders.sh
. "$STACK_DIR/builders.sh"
# shellcheck source=scripts/stack/token-registry.sh
. "$STACK_DIR/token-registry.sh"

action="${1:-}"
shift || true
modules=("$@")
((${#modules[@]})) || modules=(sid-engine buildkit token-registry builders)
case "$action" in
  setup | check) ;;
  stop)
    # stop in reverse order: builders use the engines
    mapfile -t modules < <(printf '%s\n' "${modules[@]}" | tac)
    ;;
  *)
    echo "usage: $0 setup|check|stop [sid-engine buildkit token-registry builders]" >&2
    exit 2
    ;;
esac
[[ $(id -u) -eq 0 ]] || die "must run as root"
mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR" "$CONF_DIR"

rc=0
for m in "${modules[@]}"; do
  fn="${action}_${m//-/_}"
  declare -F "$fn" >/dev/null || die "unknown module: $m"
  t0=$(date +%s.%N)
  "$fn" || rc=1
  log "$fn took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
done
exit "$rc"
