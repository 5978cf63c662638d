#!/usr/bin/env bash
# Installs cortex from this checkout, with a systemd unit for its daemon (cortexd.service).
#
#   ./install.sh --user     cortex in ~/.local/bin (a link into this checkout), a user unit, started now
#   ./install.sh --system   (root) a copy of cortex owned by root in /usr/local/lib/cortex, the
#                           group `cortex`, a hardened system unit running `cortex daemon --system`
#                           (socket /run/cortex/cortex.sock, 0660)
#   --uninstall             with --user or --system: removes what that install put in place
#                           (data and configuration are kept unless their directories are empty)
#
# Options: --dry-run prints what it would do; --no-start writes the unit but does not start it.
# Environment: CORTEX_INSTALL_ROOT prefixes every path it writes (for packaging and tests).
set -euo pipefail

mode=""
dry_run=0
start=1
uninstall=0
for arg in "$@"; do
  case "$arg" in
    --user) mode=user ;;
    --system) mode=system ;;
    --uninstall) uninstall=1 ;;
    --dry-run) dry_run=1 ;;
    --no-start) start=0 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$mode" ]; then
  echo "install.sh: say --user or --system (see --help)" >&2
  exit 2
fi

checkout=$(cd "$(dirname "$0")" && pwd -P)
root="${CORTEX_INSTALL_ROOT:-}"
unit_name=cortexd.service
# systemctl acts on this machine only, never on a packaging root.
use_systemctl=0
if [ -z "$root" ] && command -v systemctl >/dev/null; then use_systemctl=1; fi

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

# Removes a directory the install made, if nothing was put in it since.
remove_if_empty() {
  if [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; then
    run rmdir "$1"
  elif [ -d "$1" ]; then
    echo "install.sh: kept $1 (it holds data or configuration; remove it yourself if you mean to)"
  fi
}

if [ "$mode" = system ] && [ "$(id -u)" != 0 ] && [ "$dry_run" = 0 ]; then
  echo "install.sh: --system needs root" >&2
  exit 1
fi

# ---- uninstall ----
if [ "$uninstall" = 1 ]; then
  if [ "$mode" = user ]; then
    unit="$root$HOME/.config/systemd/user/$unit_name"
    if [ "$use_systemctl" = 1 ] && [ -f "$unit" ]; then run systemctl --user disable --now "$unit_name" || true; fi
    run rm -f "$unit" "$root$HOME/.local/bin/cortex"
    if [ "$use_systemctl" = 1 ]; then run systemctl --user daemon-reload; fi
    echo "cortex uninstalled for $(id -un) (its data in ~/.local/share/cortex is kept)"
    exit 0
  fi
  lib="$root/usr/local/lib/cortex"
  unit="$root/etc/systemd/system/$unit_name"
  if [ "$use_systemctl" = 1 ] && [ -f "$unit" ]; then run systemctl disable --now "$unit_name" || true; fi
  created_group=0
  if [ -f "$lib/installed-group" ]; then created_group=1; fi
  run rm -f "$unit" "$root/usr/local/bin/cortex"
  run rm -rf "$lib"
  if [ "$use_systemctl" = 1 ]; then run systemctl daemon-reload; fi
  remove_if_empty "$root/var/lib/cortex"
  remove_if_empty "$root/etc/cortex"
  if [ "$created_group" = 1 ] && [ -z "$root" ] && getent group cortex >/dev/null; then run groupdel cortex; fi
  echo "cortex uninstalled system-wide"
  exit 0
fi

# ---- install ----
node_bin=$(command -v node || true)
if [ -z "$node_bin" ]; then
  echo "install.sh: node is not on PATH; install Node 20, 22 or 24 first" >&2
  exit 1
fi
if [ ! -f "$checkout/dist/bin/cortex.js" ]; then
  run bash -c "cd '$checkout' && npm ci"
fi

if [ "$mode" = user ]; then
  # A user's daemon runs as that user: a link into the user's own checkout gives nobody more rights.
  bin_dir="$root$HOME/.local/bin"
  entry="$checkout/dist/bin/cortex.js"
  unit="$root$HOME/.config/systemd/user/$unit_name"
  run mkdir -p "$bin_dir"
  run ln -sf "$entry" "$bin_dir/cortex"
  write_file "$unit" "[Unit]
Description=Cortex daemon (user mode)

[Service]
ExecStart=$node_bin $entry daemon
Restart=on-failure

[Install]
WantedBy=default.target"
  if [ "$start" = 1 ] && [ "$use_systemctl" = 1 ]; then
    run systemctl --user daemon-reload
    run systemctl --user enable --now "$unit_name"
  fi
  echo "cortex installed for $(id -un): $bin_dir/cortex (make sure ~/.local/bin is on PATH)"
  exit 0
fi

# System mode runs as root: it runs a copy owned by root, so whoever can write the checkout
# cannot change what root runs. The copy holds the build, the production dependencies and the
# native addon, laid out as in the checkout.
lib="$root/usr/local/lib/cortex"
stage="$lib.new"
entry="/usr/local/lib/cortex/dist/bin/cortex.js"
addon="daemon/native/build/Release/cortex_native.node"
created_group=0
# Into a packaging root the group is the package's business, not this machine's.
if [ -z "$root" ] && ! getent group cortex >/dev/null; then
  run groupadd --system cortex
  created_group=1
fi
run rm -rf "$stage"
run mkdir -p "$stage/node_modules" "$stage/$(dirname "$addon")"
run mkdir -p "$stage/dist"
run cp -R "$checkout/dist/bin" "$checkout/dist/src" "$checkout/dist/daemon" "$checkout/dist/tui" "$stage/dist/"
run cp "$checkout/package.json" "$stage/"
if [ -f "$checkout/$addon" ]; then
  run cp "$checkout/$addon" "$stage/$addon"
else
  echo "install.sh: the native addon is not built ($addon): the daemon will refuse its group socket" >&2
fi
# Only what the daemon needs at run time: the production dependencies, as npm resolved them.
packages=$( (cd "$checkout" && npm ls --omit=dev --all --parseable 2>/dev/null || true) | sed -n "s|^$checkout/node_modules/||p")
for package in $packages; do
  run mkdir -p "$stage/node_modules/$(dirname "$package")"
  if [ ! -e "$stage/node_modules/$package" ]; then run cp -R "$checkout/node_modules/$package" "$stage/node_modules/$package"; fi
done
if [ "$created_group" = 1 ]; then run touch "$stage/installed-group"; fi
run chown -R 0:0 "$stage"
run chmod -R u+rwX,go+rX,go-w "$stage"
run rm -rf "$lib"
run mv "$stage" "$lib"
run mkdir -p "$root/usr/local/bin" "$root/etc/cortex" "$root/var/lib/cortex"
run chmod 0700 "$root/var/lib/cortex"
run ln -sfn "$entry" "$root/usr/local/bin/cortex"
write_file "$root/etc/systemd/system/$unit_name" "[Unit]
Description=Cortex daemon (system mode)
After=network.target

[Service]
ExecStart=$node_bin $entry daemon --system
Restart=on-failure
RuntimeDirectory=cortex
RuntimeDirectoryMode=0750
UMask=0077
# Work for users runs as those users: setpriv lowers the uid, gid and groups without any setuid
# program, so NoNewPrivileges does not stop it; it keeps sudo and other setuid programs from
# raising anybody's rights inside a Cortex terminal or session.
NoNewPrivileges=yes
# What the daemon needs of root: switching users, owning and reading users' files, signalling
# their processes.
CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_KILL
# /usr, /boot and /etc read-only (its own configuration excepted); users' workspaces live in
# their homes and elsewhere, so /home stays writable (ProtectHome would take them away).
ProtectSystem=full
ReadWritePaths=/etc/cortex /var/lib/cortex
ProtectHome=no
# The daemon and its sessions get a /tmp of their own: a workspace cannot live in the host's /tmp.
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target"
if [ "$start" = 1 ] && [ "$use_systemctl" = 1 ]; then
  run systemctl daemon-reload
  run systemctl enable --now "$unit_name"
fi
echo "cortex installed system-wide in /usr/local/lib/cortex; add users to the group cortex to let them use it (usermod -aG cortex NAME)"
