# shellcheck shell=bash
# fixtures.sh — static busybox per architecture in example/bin/busybox-ARCH (ARCH as Docker's
# TARGETARCH: amd64, arm64, arm; s390x and ppc64le for the benchmark's platform scaling,
# bench/run.ts), from Debian's busybox-static of the host's own suite.

FIXTURE_ARCHS=(amd64 arm64 arm s390x ppc64le)
FIXTURE_DIR="$REPO_ROOT/example/bin"
declare -A FIXTURE_DEB_ARCH=([amd64]=amd64 [arm64]=arm64 [arm]=armhf [s390x]=s390x [ppc64le]=ppc64el)
# ELF e_machine: 62 x86-64, 183 aarch64, 40 arm, 22 s390x, 21 ppc64
declare -A FIXTURE_ELF=([amd64]=62 [arm64]=183 [arm]=40 [s390x]=22 [ppc64le]=21)

# elf_machine FILE — e_machine of an ELF file, in the file's own byte order (EI_DATA, byte 5:
# 1 little-endian, 2 big-endian such as s390x)
elf_machine() {
  local b
  read -r -a b <<<"$(od -An -t u1 -j 5 -N 1 "$1") $(od -An -t u1 -j 18 -N 2 "$1")"
  if [[ "${b[0]}" == 2 ]]; then echo $((b[1] * 256 + b[2])); else echo $((b[2] * 256 + b[1])); fi
}

# fixture_ok ARCH — example/bin/busybox-ARCH is executable and built for ARCH
fixture_ok() {
  [[ -x "$FIXTURE_DIR/busybox-$1" ]] && [[ "$(elf_machine "$FIXTURE_DIR/busybox-$1")" == "${FIXTURE_ELF[$1]}" ]]
}

setup_fixtures() {
  local missing=() a
  for a in "${FIXTURE_ARCHS[@]}"; do fixture_ok "$a" || missing+=("$a"); done
  if ((${#missing[@]} == 0)); then
    log "fixtures present: example/bin/busybox-{$(
      IFS=,
      echo "${FIXTURE_ARCHS[*]}"
    )}"
    return 0
  fi
  # A separate apt instance for the foreign architectures, so the system's dpkg/apt
  # configuration is not changed (no dpkg --add-architecture needed for apt-get download).
  # busybox-static comes from the release suite itself: base-only keeps this instance small.
  local debs="$STATE_DIR/apt-fixtures/debs" specs=() deb tmp
  mkdir -p "$FIXTURE_DIR"
  apt_state_prepare fixtures "$(host_codename)" base-only amd64 arm64 armhf s390x ppc64el
  for a in "${missing[@]}"; do specs+=("busybox-static:${FIXTURE_DEB_ARCH[$a]}"); done
  rm -f "$debs/"*.deb
  apt_state_download fixtures "${specs[@]}"
  for a in "${missing[@]}"; do
    deb="$(ls "$debs/"busybox-static_*_"${FIXTURE_DEB_ARCH[$a]}".deb)"
    tmp="$(mktemp -d)"
    dpkg-deb -x "$deb" "$tmp"
    [[ "$(elf_machine "$tmp/bin/busybox")" == "${FIXTURE_ELF[$a]}" ]] || die "$deb: unexpected ELF machine"
    install -m 0755 "$tmp/bin/busybox" "$FIXTURE_DIR/busybox-$a"
    rm -rf "$tmp"
    log "example/bin/busybox-$a <- $(basename "$deb")"
  done
}
