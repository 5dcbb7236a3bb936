# shellcheck shell=bash
# cosign.sh — cosign for the signing tests: Debian trixie's package on bookworm (bookworm has
# none; a static Go binary, Depends: libc6), the host's own package on later suites.

cosign_ok() { timeout 20 cosign version >/dev/null 2>&1; }

# cosign_version — Debian's build reports "GitVersion: devel": show the package version then
cosign_version() {
  local v
  v="$(timeout 20 cosign version 2>/dev/null | awk '/^GitVersion:/ {print $2}' || true)"
  if [[ -z "$v" || "$v" == devel ]] && [[ -n "$(installed_version cosign)" ]]; then
    v="${v:-?} (Debian package $(installed_version cosign))"
  fi
  echo "$v"
}

setup_cosign() {
  if cosign_ok; then
    log "cosign present: $(cosign_version) ($(command -v cosign))"
    return 0
  fi
  if [[ "$(host_codename)" != bookworm ]]; then
    apt_install cosign
  else
    # trixie first; unstable (sid, same mirror, base suite only) if trixie ever drops it.
    # NOTE: sid carries cosign 3.x (3.1.1 when this was written), whose signing defaults
    # and flags differ from trixie's 2.5 (the version the tests were written against).
    local suite cand=""
    for suite in trixie sid; do
      if [[ "$suite" == sid ]]; then apt_suite_prepare sid base-only; else apt_suite_prepare "$suite"; fi
      cand="$(apt_suite_candidate "$suite" cosign)"
      [[ -n "$cand" ]] && break
      log "NOTE: $suite offers no cosign package"
    done
    [[ -n "$cand" ]] || die "no cosign package in trixie or sid"
    local debs="$STATE_DIR/apt-$suite/debs"
    rm -f "$debs/"cosign_*.deb
    apt_state_download "$suite" "cosign=$cand"
    log "dpkg -i $(cd "$debs" && echo cosign_*.deb)"
    dpkg -i "$debs/"cosign_*.deb >"$LOG_DIR/dpkg-cosign.log" 2>&1 ||
      {
        tail -n 30 "$LOG_DIR/dpkg-cosign.log" >&2
        die "dpkg -i of cosign ($suite) failed"
      }
  fi
  cosign_ok || die "cosign installed but 'cosign version' fails"
  log "installed cosign $(cosign_version) (package $(installed_version cosign))"
}
