#!/usr/bin/env bash
# by-hand.sh — the release a careful maintainer writes by hand, which multiarch-release replaces:
# build and push every platform to a candidate tag, smoke-test each platform from the registry
# one after another, inspect the candidate, then copy it to the final tags. No GitHub Release.
#
# Usage: bench/by-hand.sh IMAGE VERSION PLATFORMS [CONTEXT]
#   e.g. bench/by-hand.sh 127.0.0.1:5000/acme/app 1.2.3 linux/amd64,linux/arm64 example
# PROVENANCE (default false) is passed to --provenance.
# With BENCH_TIMINGS=FILE, the duration of each phase is appended to FILE ("phase seconds"),
# timed with bash's own clock ($EPOCHREALTIME), so the timing itself starts no process.
set -euo pipefail

image="$1" version="$2" platforms="$3" context="${4:-.}"
candidate="$image:candidate-$version"
metadata="$(mktemp)"
trap 'rm -f "$metadata"' EXIT

# phase NAME START — records the seconds since START (microseconds: ${EPOCHREALTIME/./}) under NAME
phase() {
  [[ -n "${BENCH_TIMINGS:-}" ]] || return 0
  local us=$((${EPOCHREALTIME/./} - $2))
  printf '%s %d.%06d\n' "$1" $((us / 1000000)) $((us % 1000000)) >>"$BENCH_TIMINGS"
}

# smoke PLATFORM — the platform's image from the registry: a command, then the health probe.
# By the candidate tag: the classic image store cannot hold one index digest for two platforms.
smoke() {
  local p="$1" ref="$candidate" cid port body=""
  docker pull --quiet --platform "$p" "$ref" >/dev/null
  docker run --rm --platform "$p" "$ref" true
  cid="$(docker run -d --platform "$p" -p 127.0.0.1::8080 "$ref")"
  port="$(docker port "$cid" 8080/tcp | head -n 1)"
  # up to 60 s (QEMU is slow to start), polled every 250 ms
  for _ in $(seq 1 240); do
    body="$(curl -fsS -m 2 "http://127.0.0.1:${port##*:}/health" 2>/dev/null)" && break
    sleep 0.25
  done
  docker rm -f "$cid" >/dev/null
  if [[ "$body" != ok ]]; then
    echo "smoke test failed on $p: /health answered '${body}'" >&2
    exit 1
  fi
}

t="${EPOCHREALTIME/./}"
docker buildx build --platform "$platforms" --provenance="${PROVENANCE:-false}" \
  --label "org.opencontainers.image.version=$version" \
  --metadata-file "$metadata" --tag "$candidate" --push --quiet "$context" >/dev/null
digest="$(jq -r '."containerimage.digest"' "$metadata")"
phase build "$t"

t="${EPOCHREALTIME/./}"
IFS=, read -r -a list <<<"$platforms"
for p in "${list[@]}"; do smoke "$p"; done
phase smoke "$t"

t="${EPOCHREALTIME/./}"
# the candidate must list every platform asked for before anything is tagged (one platform
# without attestations is a plain manifest: its config names the platform)
if [[ ${#list[@]} -eq 1 && "${PROVENANCE:-false}" == false ]]; then
  inspect="$(docker buildx imagetools inspect --format '{{.Image.OS}}/{{.Image.Architecture}}' "$candidate")"
  [[ "$inspect" == "${list[0]}" ]] || { echo "$candidate is $inspect, not ${list[0]}" >&2; exit 1; }
else
  inspect="$(docker buildx imagetools inspect "$candidate")"
  for p in "${list[@]}"; do
    re="Platform: +$p"$'\n'
    [[ "$inspect"$'\n' =~ $re ]] || { echo "$candidate lacks $p" >&2; exit 1; }
  done
fi
phase inspect "$t"

t="${EPOCHREALTIME/./}"
IFS=. read -r major minor _ <<<"$version"
for tag in "$version" "$major.$minor" "$major" latest; do
  docker buildx imagetools create --tag "$image:$tag" "$image@$digest" >/dev/null
done
phase promote "$t"
echo "released $image:$version ($digest) for $platforms"
