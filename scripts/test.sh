#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: sets up the real container stack,
# installs dependencies, bundles the action, then runs the unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== Container stack (engine, buildx, QEMU, registry, fixtures)"
bash scripts/setup-stack.sh

echo "== Dependencies"
npm ci --no-audit --no-fund

echo "== Bundle (dist/ is what the end-to-end tests run)"
npm run package

echo "== Tests"
npm test
