# shellcheck shell=bash
# buildkit.sh — buildkitd and buildctl (BuildKit v0.25.2) built from Debian sid's packages:
# the BuildKit tree shipped in golang-github-docker-docker-dev, compiled with Debian's Go
# 1.27, everything unpacked with `dpkg -x` into a private root (nothing is installed into
# the system). Only the two static binaries are kept, in $BUILDKIT_BIN_DIR; the build is
# skipped while they answer `--version`. The private root (about 3 GB) is removed afterwards.
#
# Functions only (sourced by scripts/setup-stack.sh after lib.sh): setup_buildkit, stop_buildkit
# (nothing runs: the daemons are builders.sh's); its check is check_buildkit in checks.sh. Uses
# from lib.sh: log warn die apt_suite_prepare apt_opts; STATE_DIR LOG_DIR.

BUILDKIT_VERSION=v0.25.2
BUILDKIT_DIR="$STATE_DIR/buildkit"
BUILDKIT_BIN_DIR="$BUILDKIT_DIR/bin"
# the build's private root: unpacked .debs, GOPATH overlay, Go caches (never in the repository)
BUILDKIT_WORK_DIR="$STATE_DIR/buildkit-build"
# package versions the recipe was verified with; other versions are tried with a NOTE
BUILDKIT_SRC_PKG=golang-github-docker-docker-dev
BUILDKIT_SRC_VERSION=28.5.2+dfsg4-5
BUILDKIT_GO_PKGS=(golang-1.27-go golang-1.27-src)
# imported by buildkitd/buildctl but not dependencies of docker-dev
BUILDKIT_EXTRA_PKGS=(
  golang-github-agext-levenshtein-dev golang-github-azure-azure-sdk-for-go-dev
  golang-github-containerd-accelerated-container-image-dev golang-github-gofrs-flock-dev
  golang-github-google-shlex-dev golang-github-package-url-packageurl-go-dev
  golang-github-pkg-profile-dev golang-github-spdx-tools-golang-dev
  golang-github-tonistiigi-go-archvariant-dev golang-github-hashicorp-go-immutable-radix-v2-dev
)
# Go packages Debian does not ship, taken from the engine's vendor/ folder of the docker.io
# source tarball (its orig tarball downloads; the package's other parts answer 404)
BUILDKIT_VENDOR_IMPORTS=(github.com/tonistiigi/go-actions-cache github.com/moby/profiles)

# buildkit_bin_version BINARY — the version word of `BINARY --version` (empty if it fails)
buildkit_bin_version() {
  [[ -x "$1" ]] || return 0
  timeout 10 "$1" --version 2>/dev/null | awk '{print $3; exit}' || true
}

buildkit_present() {
  [[ "$(buildkit_bin_version "$BUILDKIT_BIN_DIR/buildkitd")" == "$BUILDKIT_VERSION" ]] &&
    [[ "$(buildkit_bin_version "$BUILDKIT_BIN_DIR/buildctl")" == "$BUILDKIT_VERSION" ]]
}

# buildkit_sid_opts — apt options of the sid instance plus an EMPTY dpkg status, so that
# apt resolves the whole dependency closure as if nothing were installed (nothing is).
buildkit_sid_opts() {
  local dir="$STATE_DIR/apt-sid"
  mkdir -p "$BUILDKIT_WORK_DIR"
  : >"$BUILDKIT_WORK_DIR/empty-status"
  apt_opts "$dir" amd64
  printf '%s\n' -o "Dir::State::status=$BUILDKIT_WORK_DIR/empty-status"
}

# buildkit_fetch_closure — download the closure's golang-* .debs and unpack them into root/
buildkit_fetch_closure() {
  local opts specs=() debs="$BUILDKIT_WORK_DIR/debs" root="$BUILDKIT_WORK_DIR/root" want="$BUILDKIT_SRC_PKG"
  mapfile -t opts < <(buildkit_sid_opts)
  if apt-cache "${opts[@]}" madison "$BUILDKIT_SRC_PKG" | grep -qF "| $BUILDKIT_SRC_VERSION |"; then
    want="$BUILDKIT_SRC_PKG=$BUILDKIT_SRC_VERSION"
  else
    warn "NOTE: sid no longer offers $BUILDKIT_SRC_PKG $BUILDKIT_SRC_VERSION; trying its current version"
  fi
  # "Inst NAME (VERSION REPO [ARCH])": every package of the closure, pinned to that version
  mapfile -t specs < <(apt-get "${opts[@]}" -s install --no-install-recommends \
    "$want" "${BUILDKIT_GO_PKGS[@]}" "${BUILDKIT_EXTRA_PKGS[@]}" 2>"$BUILDKIT_WORK_DIR/resolve.err" |
    awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2 "=" v }')
  ((${#specs[@]})) || die "apt could not resolve the BuildKit build closure: $(head -n 5 "$BUILDKIT_WORK_DIR/resolve.err")"
  log "closure: ${#specs[@]} packages ($(printf '%s\n' "${specs[@]}" | grep -vc '^golang-') not golang-*)"
  mkdir -p "$debs" "$root"
  # only golang-* packages matter for a CGO_ENABLED=0 build (the rest is libc & co.)
  mapfile -t specs < <(printf '%s\n' "${specs[@]}" | grep '^golang-')
  log "apt-get download ${#specs[@]} golang-* packages into $debs"
  (cd "$debs" && apt-get "${opts[@]}" download -qq "${specs[@]}") >"$BUILDKIT_WORK_DIR/download.log" 2>&1 ||
    { tail -n 20 "$BUILDKIT_WORK_DIR/download.log" >&2; die "apt-get download of the BuildKit closure failed"; }
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  log "unpacked $(find "$debs" -name '*.deb' | wc -l) packages into $root ($(du -sh "$root" | cut -f1))"
  rm -rf "$debs"
}

# buildkit_fetch_vendor — the modules Debian does not package, from the docker.io orig tarball
buildkit_fetch_vendor() {
  local src="$BUILDKIT_WORK_DIR/src-apt" opts tarball overlay="$BUILDKIT_WORK_DIR/gopath/src" imp paths=()
  mkdir -p "$src/lists/partial" "$src/cache/archives/partial" "$src/sources.list.d" "$src/dl"
  # the sid deb entries as deb-src, in an apt instance of their own (deb822 or one-line format)
  local f
  for f in "$STATE_DIR/apt-sid/sources.list.d/debian.sources" "$STATE_DIR/apt-sid/sources.list.d/debian.list"; do
    if [[ -s "$f" ]]; then sed -E 's/^Types: deb$/Types: deb-src/; s/^deb /deb-src /' "$f" >"$src/sources.list.d/${f##*/}"; fi
  done
  mapfile -t opts < <(apt_opts "$src" amd64)
  log "apt-get update (sid sources index, separate state in $src)"
  apt-get "${opts[@]}" update -qq >"$src/update.log" 2>&1 || warn "apt-get update (deb-src sid): $(grep -E '^(E|W):' "$src/update.log" | head -n 2)"
  # the command fails on the parts the archive does not serve; the orig tarball arrives
  (cd "$src/dl" && apt-get "${opts[@]}" source --download-only -qq "docker.io=$BUILDKIT_SRC_VERSION") >"$src/source.log" 2>&1 || true
  tarball="$(find "$src/dl" -maxdepth 1 -name 'docker.io_*.orig.tar.*' ! -name '*-*.orig*' | head -n 1)"
  [[ -n "$tarball" ]] || { tail -n 10 "$src/source.log" >&2; die "could not download docker.io's orig tarball (apt-get source)"; }
  for imp in "${BUILDKIT_VENDOR_IMPORTS[@]}"; do paths+=("*/engine/vendor/$imp/*"); done
  mkdir -p "$src/x"
  tar -xf "$tarball" -C "$src/x" --wildcards "${paths[@]}"
  for imp in "${BUILDKIT_VENDOR_IMPORTS[@]}"; do
    local from
    from="$(find "$src/x" -type d -path "*/engine/vendor/$imp" | head -n 1)"
    [[ -n "$from" ]] || die "$(basename "$tarball") has no engine/vendor/$imp"
    mkdir -p "$overlay/$imp"
    cp -a "$from/." "$overlay/$imp/"
  done
  log "vendored from $(basename "$tarball"): ${BUILDKIT_VENDOR_IMPORTS[*]}"
}

# buildkit_prepare_overlay — GOPATH overlay: BuildKit's tree with a go.mod (GOPATH mode then
# resolves /vN imports), without the stargz snapshotter (Debian's is built on containerd v1),
# and a stand-in fuse-overlayfs package (not packaged; "auto" then picks overlayfs)
buildkit_prepare_overlay() {
  local overlay="$BUILDKIT_WORK_DIR/gopath/src" gocode="$BUILDKIT_WORK_DIR/root/usr/share/gocode/src"
  local bk="$overlay/github.com/moby/buildkit" fo="$overlay/github.com/containerd/fuse-overlayfs-snapshotter/v2"
  [[ -d "$gocode/github.com/moby/buildkit/cmd/buildkitd" ]] || die "$BUILDKIT_SRC_PKG has no BuildKit tree (cmd/buildkitd)"
  rm -rf "$bk"
  mkdir -p "$bk" "$fo"
  cp -a "$gocode/github.com/moby/buildkit/." "$bk/"
  printf 'module github.com/moby/buildkit\n\ngo 1.24\n' >"$bk/go.mod"
  cat >"$fo/fuseoverlayfs.go" <<'GO'
// Package fuseoverlayfs stands in for the fuse-overlayfs snapshotter, which Debian does not package.
package fuseoverlayfs

import (
	"errors"

	"github.com/containerd/containerd/v2/core/snapshots"
)

var errNotBuilt = errors.New("fuse-overlayfs snapshotter is not part of this build")

// Supported always fails, so buildkitd's "auto" snapshotter falls back to overlayfs or native.
func Supported(string) error { return errNotBuilt }

// NewSnapshotter always fails.
func NewSnapshotter(string) (snapshots.Snapshotter, error) { return nil, errNotBuilt }
GO
  buildkit_drop_stargz "$bk/cmd/buildkitd/main_oci_worker.go"
}

# buildkit_drop_stargz FILE — remove the stargz snapshotter option from buildkitd's OCI worker:
# its imports, its case of the snapshotter switch, and its helpers (labels, sourceWithSession);
# then every import the rest no longer uses.
buildkit_drop_stargz() {
  local f="$1"
  perl -0pi -e '
    s/^\t(?:sgz\w+|remotesn) "github\.com\/containerd\/stargz-snapshotter\/[^"]*"\n//mg;
    s/^\tcase "stargz":\n.*?(?=^\tdefault:\n)//ms;
    s/^const \(\n\t\/\/ targetRefLabel.*\z//ms;
  ' "$f"
  grep -q 'stargz' "$f" && die "could not remove the stargz snapshotter from $f"
  local line name path body
  body="$(sed '/^import (/,/^)/d' "$f")"
  while IFS= read -r line; do
    path="$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$line")"
    if [[ "$line" =~ ^[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+\" ]]; then
      name="${BASH_REMATCH[1]}"
    else
      name="$(sed -E 's#/v[0-9]+$##; s#.*/##; s#^go-##' <<<"$path")"
    fi
    [[ "$name" == _ ]] && continue
    grep -qE "(^|[^A-Za-z0-9_.])$name\." <<<"$body" && continue
    log "dropping unused import $path from $(basename "$f")"
    IMPORT_PATH="$path" perl -0pi -e 's/^\t(?:\w+ )?"\Q$ENV{IMPORT_PATH}\E"\n//m' "$f"
  done < <(sed -n '/^import (/,/^)/p' "$f" | grep '"')
}

buildkit_compile() {
  local root="$BUILDKIT_WORK_DIR/root" goroot go
  goroot="$(find "$root/usr/lib" -maxdepth 1 -type d -name 'go-1.*' | sort -V | tail -n 1)"
  go="$goroot/bin/go"
  [[ -x "$go" ]] || die "no go binary in $root/usr/lib/go-1.*"
  log "building buildkitd and buildctl $BUILDKIT_VERSION with $("$go" version)"
  mkdir -p "$BUILDKIT_WORK_DIR/out" "$BUILDKIT_WORK_DIR/gocache" "$BUILDKIT_WORK_DIR/tmp"
  # GOPATH mode, as Debian builds dockerd: the overlay first, then the unpacked gocode
  (cd "$BUILDKIT_WORK_DIR/gopath/src/github.com/moby/buildkit" &&
    env -i PATH="$goroot/bin:/usr/bin:/bin" HOME="$BUILDKIT_WORK_DIR" GOROOT="$goroot" \
      GOPATH="$BUILDKIT_WORK_DIR/gopath:$root/usr/share/gocode" GOCACHE="$BUILDKIT_WORK_DIR/gocache" \
      GOTMPDIR="$BUILDKIT_WORK_DIR/tmp" GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 \
      "$go" build -trimpath -o "$BUILDKIT_WORK_DIR/out/" -tags "osusergo netgo static_build seccomp" \
      -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
      github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl) \
    >"$LOG_DIR/buildkit-build.log" 2>&1 ||
    { tail -n 30 "$LOG_DIR/buildkit-build.log" >&2; die "go build of BuildKit failed (log: $LOG_DIR/buildkit-build.log)"; }
}

setup_buildkit() {
  if buildkit_present; then
    log "BuildKit $BUILDKIT_VERSION present: $BUILDKIT_BIN_DIR/{buildkitd,buildctl}"
    return 0
  fi
  local t0=$SECONDS t
  mkdir -p "$LOG_DIR" "$BUILDKIT_BIN_DIR"
  buildkit_work_dir_create
  t=$SECONDS
  apt_suite_prepare sid base-only
  buildkit_fetch_closure
  log "closure downloaded and unpacked in $((SECONDS - t))s"
  t=$SECONDS
  buildkit_fetch_vendor
  buildkit_prepare_overlay
  log "sources prepared in $((SECONDS - t))s"
  t=$SECONDS
  buildkit_compile
  log "go build took $((SECONDS - t))s"
  local b
  for b in buildkitd buildctl; do
    install -m 0755 "$BUILDKIT_WORK_DIR/out/$b" "$BUILDKIT_BIN_DIR/$b"
  done
  buildkit_present || die "the built binaries do not answer --version $BUILDKIT_VERSION"
  buildkit_work_dir_remove
  log "built BuildKit $BUILDKIT_VERSION in $((SECONDS - t0))s: $(cd "$BUILDKIT_BIN_DIR" && du -h buildkitd buildctl | tr '\n\t' '  ')"
}

# The private root is 3.1 GB of small files: on a tmpfs when memory allows (unpacking and
# removing it on this disk took minutes), else on disk.
buildkit_work_dir_create() {
  buildkit_work_dir_remove
  mkdir -p "$BUILDKIT_WORK_DIR"
  local avail_kb
  avail_kb="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
  if ((avail_kb > 10 * 1024 * 1024)); then
    mount -t tmpfs -o size=7g,mode=0700 mar-buildkit-build "$BUILDKIT_WORK_DIR"
    log "build root $BUILDKIT_WORK_DIR on a tmpfs (7 GB limit)"
  fi
}

buildkit_work_dir_remove() {
  if mountpoint -q "$BUILDKIT_WORK_DIR" 2>/dev/null; then umount "$BUILDKIT_WORK_DIR"; fi
  rm -rf "$BUILDKIT_WORK_DIR"
}

# nothing of this module runs; the daemons belong to builders.sh
stop_buildkit() { :; }
