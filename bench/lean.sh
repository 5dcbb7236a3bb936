#!/usr/bin/env bash
# lean.sh — the least a careful maintainer writes by hand for a checked multi-platform release
# (issue 19): build and push to a candidate tag; per platform, one after another, a detached
# container on a loopback port polled with curl until /health answers; the candidate's index
# must list every platform; then one `imagetools create` gives it the four final tags.
# No GitHub Release. bench/by-hand.sh is the longer version (pulls, an extra run, a tag per call).
#
# Usage: bench/lean.sh IMAGE VERSION PLATFORMS [CONTEXT]
#   e.g. bench/lean.sh 127.0.0.1:5000/acme/app 1.2.3 linux/amd64,linux/arm64 example
# With BENCH_TIMINGS=FILE, each phase's seconds are appended to FILE ("phase seconds"), timed
# with bash's own clock ($EPOCHREALTIME), so the timing starts no process.
set -euo pipefail

image="$1" version="$2" platforms="$3" context="${4:-.}"
candidate="$image:candidate-$version"
metadata="$(mktemp)"
trap 'rm -f "$metadata"' EXIT

# phase NAME START — records the seconds since START (microseconds: ${EPOCHREALTIME/./})
phase() {
  [[ -n "${BENCH_TIMINGS:-}" ]] || return 0
  local us=$((${EPOCHREALTIME/./} - $2))
  printf '%s %d.%06d\n' "$1" $((us / 1000000)) $((us % 1000000)) >>"$BENCH_TIMINGS"
}

t="${EPOCHREALTIME/./}"
docker buildx build --platform "$platforms" \
  --label "org.opencontainers.image.version=$version" \
  --metadata-file "$metadata" --tag "$candidate" --push --quiet "$context" >/dev/null
digest="$(jq -r '."containerimage.digest"' "$metadata")"
phase build "$t"

IFS=, read -r -a list <<<"$platforms"
smoke_started="${EPOCHREALTIME/./}"
# By the candidate tag, not image@digest: Docker's classic image store (GitHub's runners) keeps
# one image per digest, so a second platform of the same index fails ("cannot overwrite digest").
for p in "${list[@]}"; do
  t="${EPOCHREALTIME/./}"
  cid="$(docker run -d --platform "$p" -p 127.0.0.1::8080 "$candidate")"
  port="$(docker port "$cid" 8080/tcp | head -n 1)"
  body=""
  # up to 60 s (emulated platforms start slowly), every 100 ms
  for _ in $(seq 1 600); do
    body="$(curl -fsS -m 2 "http://127.0.0.1:${port##*:}/health" 2>/dev/null)" && break
    sleep 0.1
  done
  docker rm -f "$cid" >/dev/null
  [[ "$body" == ok ]] || { echo "smoke test failed on $p: /health answered '$body'" >&2; exit 1; }
  phase "smoke:$p" "$t"
done
phase smoke "$smoke_started"

t="${EPOCHREALTIME/./}"
listed="$(docker buildx imagetools inspect --raw "$image@$digest" |
  jq -r '.manifests[].platform | select(.os != "unknown") | "\(.os)/\(.architecture)"')"
for p in "${list[@]}"; do
  grep -qx "$p" <<<"$listed" || { echo "$image@$digest lacks $p" >&2; exit 1; }
done
phase inspect "$t"

t="${EPOCHREALTIME/./}"
IFS=. read -r major minor _ <<<"$version"
docker buildx imagetools create --tag "$image:$version" --tag "$image:$major.$minor" \
  --tag "$image:$major" --tag "$image:latest" "$image@$digest" >/dev/null
phase promote "$t"
echo "released $image:$version ($digest) for $platforms"
