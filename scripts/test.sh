#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: sets up the real container stacks, installs
# dependencies, bundles the action, then runs the unit tests on Node.js 20 (the machine's) and
# 24, the whole end-to-end suite on the primary stack (Docker 26, containerd store, docker
# driver) and a subset of release tests on every other stack and builder (docs/stacks.md).
# Every end-to-end run goes through the bundle on Node.js 24, as action.yml declares.
#
# Usage: scripts/test.sh                       everything
#        scripts/test.sh --prepared            everything but `npm ci` and `npm run package`
#                                              (.ci/run has done both and checked dist/)
#        scripts/test.sh --subset STACK...     only the release subset, on the stacks named
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The release subset each other stack runs: test files, and the tests in them (jest -t).
SUBSET_FILES=(release triggers native-platforms supply-chain nothing-left)
SUBSET_TESTS=(
  'two platforms with smoke-run and smoke-http' # a full release with smoke on both platforms
  'a fork.s pull request builds and smoke-tests' # a pull-request build, smoke-tested per platform
  'two build-platform runs'                      # mode build-platform per platform, then assembly
  'as GHCR. after a failed publish'              # a failure, and the re-run that completes it,
  #                                                on a registry that refuses deletes
  'with cache: registry'                         # cache export by a release, import by the next
  "provenance left to buildx's default"          # the builder's default attestations
)
SUBSET_STACKS=(d28c d28-classic-container remote fleet)

whole=true
prepared=false
stacks=("${SUBSET_STACKS[@]}")
case "${1:-}" in
  --subset)
    shift
    whole=false
    (($#)) && stacks=("$@")
    ;;
  --prepared) prepared=true ;;
  "") ;;
  *)
    echo "unknown argument: $1 (use --prepared or --subset STACK...)" >&2
    exit 2
    ;;
esac

times=()
# section TITLE CMD... — runs CMD under a header and records how long it took
section() {
  local title="$1" t=$SECONDS rc=0
  shift
  echo "== $title"
  "$@" || rc=$?
  times+=("$(printf '%5ds  %s%s' $((SECONDS - t)) "$title" "$( ((rc == 0)) || echo "  FAILED (exit $rc)")")")
  return "$rc"
}

# shellcheck disable=SC2317 # called through section
e2e_subset() { # STACK
  local files=() t
  for t in "${SUBSET_FILES[@]}"; do files+=("__tests__/e2e/$t.test.ts"); done
  npx tsx scripts/e2e-stack.ts "$1"
  MULTIARCH_STACK="$1" npm run test:e2e -- --runInBand --verbose --forceExit "${files[@]}" -t "$(
    IFS='|'
    echo "${SUBSET_TESTS[*]}"
  )"
}

# shellcheck disable=SC2317 # called through section
e2e_whole() {
  npx tsx scripts/e2e-stack.ts d26
  # --forceExit: a failed test that leaves a server open must not hold CI until its timeout
  # (Jest still says so: "Force exiting Jest")
  MULTIARCH_STACK=d26 npm run test:e2e -- --runInBand --verbose --forceExit
}

if $whole; then
  section "Container stacks (setup-stack.sh)" bash scripts/setup-stack.sh
  if ! $prepared; then
    section "Dependencies" npm ci --no-audit --no-fund
    section "Bundle (dist/ is what the end-to-end tests run)" npm run package
  fi
fi
# shellcheck disable=SC1091 # written by scripts/setup-stack.sh (node24 module)
. /etc/multiarch-release/node24.env
[[ -x "${NODE24:-}" ]] || {
  echo "Node.js 24 is missing (/etc/multiarch-release/node24.env): run scripts/setup-stack.sh" >&2
  exit 1
}

failed=0
if $whole; then
  # with the coverage gate: src/ports and src/smoke at least 80% of lines (jest.config.js)
  section "Unit tests on Node.js $(node --version) (the machine's), with coverage" npm run test:coverage || failed=1
  section "Unit tests on Node.js $("$NODE24" --version)" env JEST_PROJECT=unit \
    NODE_OPTIONS=--experimental-vm-modules NODE_NO_WARNINGS=1 "$NODE24" node_modules/jest/bin/jest.js || failed=1
  section "End-to-end: the whole suite on stack d26" e2e_whole || failed=1
fi
for stack in "${stacks[@]}"; do
  section "End-to-end: the release subset on stack $stack" e2e_subset "$stack" || failed=1
done

echo "== Times"
printf '%s\n' "${times[@]}"
exit "$failed"
