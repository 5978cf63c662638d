#!/usr/bin/env bash
# Installs cortex from this checkout, with a systemd unit for its daemon.
#
#   ./install.sh --user     cortex in ~/.local/bin, a systemd user unit (cortex.service), started now
#   ./install.sh --system   (root) cortex in /usr/local/bin, the group `cortex`, a system unit
#                           running `cortex daemon --system` (socket /run/cortex/cortex.sock, 0660)
#
# Options: --dry-run prints what it would do; --no-start writes the unit but does not start it.
# Environment: CORTEX_INSTALL_ROOT prefixes every path it writes (for packaging and tests).
set -euo pipefail

mode=""
dry_run=0
start=1
for arg in "$@"; do
  case "$arg" in
    --user) mode=user ;;
    --system) mode=system ;;
    --dry-run) dry_run=1 ;;
    --no-start) start=0 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$mode" ]; then
  echo "install.sh: say --user or --system (see --help)" >&2
  exit 2
fi

checkout=$(cd "$(dirname "$0")" && pwd)
root="${CORTEX_INSTALL_ROOT:-}"
node_bin=$(command -v node || true)
if [ -z "$node_bin" ]; then
  echo "install.sh: node is not on PATH; install Node 20, 22 or 24 first" >&2
  exit 1
fi
entry="$checkout/dist/bin/cortex.cjs"

run() {
  if [ "$dry_run" = 1 ]; then echo "+ $*"; else "$@"; fi
}

write_file() {
  local path="$1" content="$2"
  if [ "$dry_run" = 1 ]; then
    echo "+ write $path:"
    printf '%s\n' "$content" | sed 's/^/    /'
  else
    mkdir -p "$(dirname "$path")"
    printf '%s\n' "$content" > "$path"
  fi
}

if [ ! -f "$entry" ]; then
  run bash -c "cd '$checkout' && npm ci"
fi

if [ "$mode" = user ]; then
  bin_dir="$root$HOME/.local/bin"
  unit="$root$HOME/.config/systemd/user/cortex.service"
  run mkdir -p "$bin_dir"
  run ln -sf "$entry" "$bin_dir/cortex"
  write_file "$unit" "[Unit]
Description=Cortex daemon (user mode)

[Service]
ExecStart=$node_bin $entry daemon
Restart=on-failure

[Install]
WantedBy=default.target"
  if [ "$start" = 1 ] && [ -z "$root" ] && command -v systemctl >/dev/null; then
    run systemctl --user daemon-reload
    run systemctl --user enable --now cortex.service
  fi
  echo "cortex installed for $(id -un): $bin_dir/cortex (make sure ~/.local/bin is on PATH)"
else
  if [ "$(id -u)" != 0 ] && [ "$dry_run" = 0 ]; then
    echo "install.sh: --system needs root" >&2
    exit 1
  fi
  # Into a packaging root the group is the package's business, not this machine's.
  if [ -z "$root" ] && ! getent group cortex >/dev/null; then
    run groupadd --system cortex
  fi
  run mkdir -p "$root/usr/local/bin" "$root/etc/cortex" "$root/var/lib/cortex"
  run chmod 0700 "$root/var/lib/cortex"
  run ln -sf "$entry" "$root/usr/local/bin/cortex"
  write_file "$root/etc/systemd/system/cortex.service" "[Unit]
Description=Cortex daemon (system mode)
After=network.target

[Service]
ExecStart=$node_bin $entry daemon --system
Restart=on-failure
RuntimeDirectory=cortex
RuntimeDirectoryMode=0750

[Install]
WantedBy=multi-user.target"
  if [ "$start" = 1 ] && [ -z "$root" ] && command -v systemctl >/dev/null; then
    run systemctl daemon-reload
    run systemctl enable --now cortex.service
  fi
  echo "cortex installed system-wide; add users to the group cortex to let them use it (usermod -aG cortex NAME)"
fi
