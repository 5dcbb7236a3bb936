#!/usr/bin/env bash
# A complete demo release on a fresh Debian machine: sets up the real stack, bundles the
# action, then releases the example image (linux/amd64 + linux/arm64) to 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-stack.sh
npm ci --no-audit --no-fund
npm run package
npx tsx scripts/demo.ts
