# shellcheck shell=bash
# skopeo.sh — skopeo (Debian's package), an OCI reader apart from Docker: the end-to-end tests
# read the release's OCI archive with it and copy it back into a registry, as the README
# promises (`skopeo copy oci-archive:…`). Its check is check_skopeo in checks.sh.

skopeo_version() { timeout 20 skopeo --version 2>/dev/null | awk '{print $3}' || true; }

setup_skopeo() {
  apt_install skopeo
  log "skopeo $(skopeo_version)"
}
