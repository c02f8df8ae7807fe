#!/usr/bin/env bash
# A server's life around its mount: run files (pid file, control socket),
# umount waiting for the server to be gone, exec's namespace, and use by a
# user who is not root. Regression tests of issue 12, items 3, 5, 6, 8, 10 (item 2 in
# tests/unit/control_server_test.cpp).
set -uo pipefail
: "${MDEVSIM:?}" "${MDEVSIM_SOURCE_DIR:?}"
source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
  for m in "$tmp"/mp "$tmp"/x/c_d "$tmp"/x/c/d "$tmp"/user/mp; do umount -l "$m" 2>/dev/null; done
  rm -rf "$tmp" /tmp/mdevsim-65534
}
trap cleanup EXIT
run_dir=/run/mdevsim
mkdir -p "$tmp/mp" "$tmp/x/c_d" "$tmp/x/c/d"
esc() { systemd-escape --path "$1" 2>/dev/null || echo "${1#/}" | sed 's/-/\\x2d/g; s#/#-#g'; }

# Item 3: umount returns once the server is gone, and a server removes only
# the files it made.
"$MDEVSIM" mount --host "$MDEVSIM_SOURCE_DIR/testdata/hosts/full-256x256.json" "$tmp/mp"
pid=$(head -n 1 "$run_dir/$(esc "$tmp/mp").pid")
"$MDEVSIM" umount "$tmp/mp"
# Gone, or a zombie that its new parent has not reaped yet.
alive() { [[ -e /proc/$1/stat && $(awk '{print $3}' "/proc/$1/stat") != Z ]] && echo alive || echo gone; }
expect "umount returns after the server has exited (256x256 host)" 0 "gone" -- alive "$pid"
"$MDEVSIM" mount "$tmp/mp"
sock="$run_dir/$(esc "$tmp/mp").sock"
mv "$sock" "$tmp/old.sock"
echo "another server's" > "$sock"
"$MDEVSIM" umount "$tmp/mp"
expect "a server leaves a socket path it did not make" 0 "another server's" -- cat "$sock"
rm -f "$sock"

# Item 8: /x/c_d and /x/c/d have run files of their own.
"$MDEVSIM" mount "$tmp/x/c_d" && "$MDEVSIM" mount "$tmp/x/c/d"
echo -5 > "$tmp/x/c_d/bus/ap/apmask"
apmask_events() { "$MDEVSIM" uevents "$1" | grep -c APMASK; }
expect "each mount answers on its own socket" 0 "1 0" -- echo "$(apmask_events "$tmp/x/c_d") $(apmask_events "$tmp/x/c/d")"
"$MDEVSIM" umount "$tmp/x/c_d"
expect "the other mount's socket outlives an umount" 0 "ok" -- sh -c "'$MDEVSIM' dmesg '$tmp/x/c/d' >/dev/null && echo ok"
"$MDEVSIM" umount "$tmp/x/c/d"

# Item 6: a running exec does not pin other mounts.
"$MDEVSIM" mount "$tmp/mp"
"$MDEVSIM" exec -- sh -c "while [ ! -e '$tmp/stop' ]; do sleep 0.1; done" &
sleep 0.5
expect "umount of another mount while exec runs" 0 "" -- "$MDEVSIM" umount "$tmp/mp"
touch "$tmp/stop"
wait

# Held up in the probe, kept so: a killed server leaves a dead mount that
# umount clears, and the mount point can be served again.
"$MDEVSIM" mount "$tmp/mp"
kill -9 "$(head -n 1 "$run_dir/$(esc "$tmp/mp").pid")"
expect "the mount of a killed server is dead" 1 "Transport endpoint is not connected" -- \
  sh -c "cat '$tmp/mp/bus/ap/apmask' 2>&1 | sed 's/.*: //'; exit 1"
expect "umount clears it" 0 "" -- "$MDEVSIM" umount "$tmp/mp"
"$MDEVSIM" mount "$tmp/mp"
expect "and a new server takes its place" 0 "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" -- \
  cat "$tmp/mp/bus/ap/apmask"

# ...and a user who is not root cannot change a root mount: every writable
# file refuses them at open() (EACCES), and the control socket is out of reach.
writable=$(find "$tmp/mp" -type f -perm /222 | wc -l)
written=$(find "$tmp/mp" -type f -perm /222 -print0 |
  env -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups -- \
  xargs -0 sh -c 'for f; do (printf 1 > "$f") 2>/dev/null && echo "$f"; done' sh | wc -l)
expect "nobody writes none of the $writable writable files" 0 "0" -- echo "$written"
expect "nor reaches the control socket" 1 "stat: cannot statx '$run_dir/$(esc "$tmp/mp").sock': Permission denied" -- \
  env -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups -- stat "$run_dir/$(esc "$tmp/mp").sock"
"$MDEVSIM" umount "$tmp/mp"

# Items 5 and 10: a user who is not root. The binary must be reachable by them.
mkdir -p "$tmp/user/mp" "$tmp/user/bin"
cp "$MDEVSIM" "$(dirname "$MDEVSIM")"/libmdevsim-preload.so "$tmp/user/bin/" 2>/dev/null
chown -R 65534:65534 "$tmp/user"
as_nobody() { env -u XDG_RUNTIME_DIR setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
sim="$tmp/user/bin/mdevsim"
rm -rf /tmp/mdevsim-65534
ln -s "$tmp/user" /tmp/mdevsim-65534
expect "run directory planted as a link: refused" 1 \
  "mdevsim: run directory /tmp/mdevsim-65534: not a directory; refusing to use it" -- as_nobody "$sim" mount "$tmp/user/mp"
rm /tmp/mdevsim-65534
mkdir -m 0777 /tmp/mdevsim-65534
expect "run directory made by another user: refused" 1 \
  "mdevsim: run directory /tmp/mdevsim-65534: owned by another user; refusing to use it" -- as_nobody "$sim" mount "$tmp/user/mp"
rmdir /tmp/mdevsim-65534
expect "mount as a user" 0 "" -- as_nobody "$sim" mount "$tmp/user/mp"
expect "run directory made 0700" 0 "700 nobody" -- stat -c '%a %U' /tmp/mdevsim-65534
expect "the mounting user owns the nodes" 0 "nobody" -- as_nobody stat -c %U "$tmp/user/mp/bus/ap/apmask"
expect "and may write them" 0 "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" -- \
  as_nobody sh -c "echo -5 > '$tmp/user/mp/bus/ap/apmask' && cat '$tmp/user/mp/bus/ap/apmask'"
expect "other users (root too) cannot reach it" 2 "sh: 1: cannot create $tmp/user/mp/bus/ap/apmask: Permission denied" -- \
  sh -c "echo +5 > '$tmp/user/mp/bus/ap/apmask'"
expect "umount as a user (fusermount3 -u)" 0 "" -- as_nobody "$sim" umount "$tmp/user/mp"
expect "unmounted" 32 "" -- mountpoint -q "$tmp/user/mp"
expect "umount as a user: not mounted" 1 "mdevsim: $tmp/user/mp: not mounted" -- as_nobody "$sim" umount "$tmp/user/mp"
mkdir -m 0700 "$tmp/user/xdg" && chown 65534:65534 "$tmp/user/xdg"
as_nobody env XDG_RUNTIME_DIR="$tmp/user/xdg" "$sim" mount "$tmp/user/mp"
expect "XDG_RUNTIME_DIR holds the run files" 0 "$(esc "$tmp/user/mp").pid
$(esc "$tmp/user/mp").sock" -- ls "$tmp/user/xdg/mdevsim"
as_nobody env XDG_RUNTIME_DIR="$tmp/user/xdg" "$sim" umount "$tmp/user/mp"

[[ $fails == 0 ]] && echo "all lifecycle checks passed"
exit $((fails > 0))
