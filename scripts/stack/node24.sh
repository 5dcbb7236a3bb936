# shellcheck shell=bash
# node24.sh — Node.js 24 for the end-to-end runs, beside (not instead of) the machine's node:
# npm's node-linux-<arch> package at the newest 24.x when first installed, unpacked into
# $NODE24_DIR/<version>, its binary named in $NODE24_ENV (NODE24=/…/bin/node). Not one of the
# project's dependencies. A re-run keeps the installed 24.x; remove $NODE24_DIR to take a newer one.

NODE24_DIR="$STATE_DIR/node24"
NODE24_ENV="$CONF_DIR/node24.env"

# node24_bin — NODE24 from the env file (empty if there is none)
node24_bin() { sed -n 's/^NODE24=//p' "$NODE24_ENV" 2>/dev/null | tail -n 1; }

# node24_version — what $NODE24 --version prints (empty if it does not run)
node24_version() {
  local bin
  bin="$(node24_bin)"
  [[ -n "$bin" && -x "$bin" ]] || return 0
  timeout 20 "$bin" --version 2>/dev/null || true
}

node24_ok() { [[ "$(node24_version)" == v24.* ]]; }

setup_node24() {
  if node24_ok; then
    log "Node.js 24 present: $(node24_bin) $(node24_version)"
    return 0
  fi
  local arch pkg version tmp tgz
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) die "node24: no npm package of Node.js for $(uname -m)" ;;
  esac
  pkg="node-linux-$arch"
  command -v npm >/dev/null || apt_install npm
  version="$(npm view "$pkg@24" version --json | grep -oE '24\.[0-9]+\.[0-9]+' | sort -V | tail -n 1)"
  [[ "$version" == 24.* ]] || die "node24: npm view $pkg@24 version gave '$version'"
  tmp="$(mktemp -d)"
  log "npm pack $pkg@$version"
  tgz="$(cd "$tmp" && npm pack --silent "$pkg@$version")" || die "node24: npm pack $pkg@$version failed"
  mkdir -p "$NODE24_DIR"
  rm -rf "${NODE24_DIR:?}/$version" "$NODE24_DIR/$version.tmp"
  mkdir -p "$NODE24_DIR/$version.tmp"
  tar -xzf "$tmp/$tgz" -C "$NODE24_DIR/$version.tmp" --strip-components=1 --no-same-owner
  rm -rf "$tmp"
  chmod 0755 "$NODE24_DIR/$version.tmp/bin/node"
  mv "$NODE24_DIR/$version.tmp" "$NODE24_DIR/$version"
  write_if_changed "$NODE24_ENV" "$(printf '%s\n' \
    "# written by scripts/setup-stack.sh (multiarch-release): Node.js 24 ($pkg $version from npm)" \
    "NODE24=$NODE24_DIR/$version/bin/node")" || true
  chmod 0644 "$NODE24_ENV"
  node24_ok || die "node24: $(node24_bin) --version prints '$(node24_version)', expected v24.*"
  log "installed Node.js $(node24_version) at $(node24_bin)"
}
