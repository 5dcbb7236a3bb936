#!/usr/bin/env bash
# floor.sh — the floor of a release (issue 19): one `buildx build --push` of the four final
# tags, with no check at all. Nothing a release does can be faster than this.
#
# Usage: bench/floor.sh IMAGE VERSION PLATFORMS [CONTEXT]
# With BENCH_TIMINGS=FILE, the build's seconds are appended to FILE ("build seconds").
set -euo pipefail

image="$1" version="$2" platforms="$3" context="${4:-.}"
t="${EPOCHREALTIME/./}"
IFS=. read -r major minor _ <<<"$version"
docker buildx build --platform "$platforms" \
  --label "org.opencontainers.image.version=$version" \
  --tag "$image:$version" --tag "$image:$major.$minor" --tag "$image:$major" \
  --tag "$image:latest" --push --quiet "$context" >/dev/null
if [[ -n "${BENCH_TIMINGS:-}" ]]; then
  us=$((${EPOCHREALTIME/./} - t))
  printf 'build %d.%06d\n' $((us / 1000000)) $((us % 1000000)) >>"$BENCH_TIMINGS"
fi
echo "released $image:$version for $platforms"
