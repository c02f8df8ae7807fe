#!/bin/bash
# Real libudev clients against the simulator: udevadm (systemd 252 on Debian
# 12) and tests/clients/udev_enumerate.cpp, run inside `mdevsim exec`, which
# puts the simulator on /sys in a private mount namespace.
#
# Environment (set by ctest): MDEVSIM, UDEV_ENUMERATE, MDEVSIM_SOURCE_DIR.
#
# Every check compares exact output; a mismatch prints a unified diff
# (expected vs. actual) and the test exits non-zero after running the rest.
set -euo pipefail

: "${MDEVSIM:?MDEVSIM must name the mdevsim binary}"
: "${UDEV_ENUMERATE:?UDEV_ENUMERATE must name the udev_enumerate binary}"

source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
if ! command -v udevadm >/dev/null; then
  echo "FAIL: udevadm not found (apt-get install udev)" >&2
  exit 1
fi

T=$(mktemp -d /tmp/mdevsim-udev-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export T UDEV_ENUMERATE

failures=0
passes=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect NAME: compares $T/NAME.out with $T/NAME.exp and $T/NAME.rc with 0.
expect() {
  local name=$1
  local rc
  rc=$(cat "$T/$name.rc" 2>/dev/null || echo "missing")
  if [[ $rc != 0 ]]; then
    fail "$name: exit status $rc (expected 0)"
    if [[ -s $T/$name.err ]]; then sed 's/^/    stderr: /' "$T/$name.err"; fi
  fi
  if diff -u --label "$name (expected)" --label "$name (actual)" "$T/$name.exp" "$T/$name.out"; then
    if [[ $rc == 0 ]]; then
      echo "ok:   $name"
      passes=$((passes + 1))
    fi
  else
    fail "$name: output differs (diff above: - expected, + actual)"
    if [[ -s $T/$name.err ]]; then sed 's/^/    stderr: /' "$T/$name.err"; fi
  fi
  return 0
}

# expect_lines NAME: every line of $T/NAME.exp must occur (as a whole line)
# in $T/NAME.out; for long outputs whose other lines may legitimately grow.
expect_lines() {
  local name=$1 rc missing
  rc=$(cat "$T/$name.rc" 2>/dev/null || echo "missing")
  missing=$(grep -vxF -f "$T/$name.out" "$T/$name.exp" || true)
  if [[ $rc == 0 && -z $missing ]]; then
    echo "ok:   $name"
    passes=$((passes + 1))
    return 0
  fi
  if [[ $rc != 0 ]]; then
    fail "$name: exit status $rc (expected 0)"
  fi
  if [[ -n $missing ]]; then
    fail "$name: lines missing from the output:"
    sed 's/^/    missing: /' <<<"$missing"
    echo "    --- actual output:"
    sed 's/^/    | /' "$T/$name.out"
  fi
  if [[ -s $T/$name.err ]]; then sed 's/^/    stderr: /' "$T/$name.err"; fi
  return 0
}

# ---------------------------------------------------------------- the CLI
# The documented form is `mdevsim exec [--host F] -- CMD...`.
EXEC=("$MDEVSIM" exec --)
if out=$("$MDEVSIM" exec -- true 2>&1); then
  echo "ok:   'mdevsim exec -- true' runs"
  passes=$((passes + 1))
else
  fail "'mdevsim exec -- true' is rejected by the command line parser: $out"
  echo "    (continuing with 'mdevsim exec CMD...' so that the udev checks still run)"
  EXEC=("$MDEVSIM" exec)
fi

# systemd (252 on Debian 12) refuses devices whose directory is not on sysfs (statfs
# magic, "sd-device: the syspath ... is outside of sysfs, refusing"), and
# FUSE always reports FUSE_SUPER_MAGIC; `mdevsim exec` preloads a library
# that reports SYSFS_MAGIC for its mount. Check that this works out of the
# box; if not, fail, and run the rest with SYSTEMD_DEVICE_VERIFY_SYSFS=0 so
# that the other checks still say something.
if out=$(env -u SYSTEMD_DEVICE_VERIFY_SYSFS "${EXEC[@]}" udevadm info -q path -p /devices/ap/card05 2>&1) &&
   [[ $out == /devices/ap/card05 ]]; then
  echo "ok:   udevadm finds /devices/ap/card05 under 'mdevsim exec' without extra environment"
  passes=$((passes + 1))
else
  fail "under 'mdevsim exec', udevadm info -p /devices/ap/card05 fails without SYSTEMD_DEVICE_VERIFY_SYSFS=0: $out"
  echo "    (continuing with SYSTEMD_DEVICE_VERIFY_SYSFS=0)"
  export SYSTEMD_DEVICE_VERIFY_SYSFS=0
fi

# ------------------------------------------------------ expected outputs
cat >"$T/info_card05.exp" <<'EOF'
P: /devices/ap/card05
M: card05
R: 05
U: ap
T: ap_card
V: cex4card
E: DEVPATH=/devices/ap/card05
E: SUBSYSTEM=ap
E: DEVTYPE=ap_card
E: DRIVER=cex4card
E: DEV_TYPE=000B
E: MODALIAS=ap:t0B
E: MODE=cca

EOF

cat >"$T/info_card06.exp" <<'EOF'
P: /devices/ap/card06
M: card06
R: 06
U: ap
T: ap_card
V: cex4card
E: DEVPATH=/devices/ap/card06
E: SUBSYSTEM=ap
E: DEVTYPE=ap_card
E: DRIVER=cex4card
E: DEV_TYPE=000B
E: MODALIAS=ap:t0B
E: MODE=accel

EOF

cat >"$T/info_05.0004.exp" <<'EOF'
P: /devices/ap/card05/05.0004
M: 05.0004
R: 0004
U: ap
T: ap_queue
V: cex4queue
E: DEVPATH=/devices/ap/card05/05.0004
E: SUBSYSTEM=ap
E: DEVTYPE=ap_queue
E: DRIVER=cex4queue
E: MODE=cca

EOF

cat >"$T/info_06.00ff_props.exp" <<'EOF'
DEVPATH=/devices/ap/card06/06.00ff
DEVTYPE=ap_queue
DRIVER=cex4queue
MODE=accel
SUBSYSTEM=ap
EOF

# The root device: an empty uevent, no subsystem (registered before its bus).
cat >"$T/info_root.exp" <<'EOF'
P: /devices/ap
M: ap

EOF

# Through the /sys/bus/ap/devices link, udevadm resolves the real syspath.
cat >"$T/info_buslink.exp" <<'EOF'
/devices/ap/card06
EOF

cat >"$T/attrwalk_card05.exp" <<'EOF'
  looking at device '/devices/ap/card05':
    KERNEL=="card05"
    SUBSYSTEM=="ap"
    DRIVER=="cex4card"
    ATTR{chkstop}=="0"
    ATTR{config}=="1"
    ATTR{hwtype}=="11"
    ATTR{raw_hwtype}=="11"
    ATTR{online}=="1"
    ATTR{type}=="CEX5C"
  looking at parent device '/devices/ap':
    KERNELS=="ap"
    SUBSYSTEMS==""
    DRIVERS==""
EOF

cat >"$T/attrwalk_05.0004.exp" <<'EOF'
  looking at device '/devices/ap/card05/05.0004':
    KERNEL=="05.0004"
    SUBSYSTEM=="ap"
    DRIVER=="cex4queue"
    ATTR{config}=="1"
    ATTR{online}=="1"
    ATTR{reset}=="No Reset Timer set."
  looking at parent device '/devices/ap/card05':
    KERNELS=="card05"
    SUBSYSTEMS=="ap"
    DRIVERS=="cex4card"
    ATTRS{hwtype}=="11"
    ATTRS{type}=="CEX5C"
  looking at parent device '/devices/ap':
    KERNELS=="ap"
EOF

cat >"$T/enum_default.exp" <<'EOF'
05.0004 ap ap_queue cex4queue
05.0047 ap ap_queue cex4queue
05.00ab ap ap_queue cex4queue
05.00ff ap ap_queue cex4queue
06.0004 ap ap_queue cex4queue
06.0047 ap ap_queue cex4queue
06.00ab ap ap_queue cex4queue
06.00ff ap ap_queue cex4queue
card05 ap ap_card cex4card
card06 ap ap_card cex4card
EOF

cat >"$T/enum_props.exp" <<'EOF'
05.0004 ap ap_queue cex4queue MODE=cca DEV_TYPE=- MODALIAS=-
05.0047 ap ap_queue cex4queue MODE=cca DEV_TYPE=- MODALIAS=-
05.00ab ap ap_queue cex4queue MODE=cca DEV_TYPE=- MODALIAS=-
05.00ff ap ap_queue cex4queue MODE=cca DEV_TYPE=- MODALIAS=-
06.0004 ap ap_queue cex4queue MODE=accel DEV_TYPE=- MODALIAS=-
06.0047 ap ap_queue cex4queue MODE=accel DEV_TYPE=- MODALIAS=-
06.00ab ap ap_queue cex4queue MODE=accel DEV_TYPE=- MODALIAS=-
06.00ff ap ap_queue cex4queue MODE=accel DEV_TYPE=- MODALIAS=-
card05 ap ap_card cex4card MODE=cca DEV_TYPE=000B MODALIAS=ap:t0B
card06 ap ap_card cex4card MODE=accel DEV_TYPE=000B MODALIAS=ap:t0B
EOF

cat >"$T/trigger_dry.exp" <<'EOF'
/sys/devices/ap/card05
/sys/devices/ap/card05/05.0004
/sys/devices/ap/card05/05.0047
/sys/devices/ap/card05/05.00ab
/sys/devices/ap/card05/05.00ff
/sys/devices/ap/card06
/sys/devices/ap/card06/06.0004
/sys/devices/ap/card06/06.0047
/sys/devices/ap/card06/06.00ab
/sys/devices/ap/card06/06.00ff
EOF

# Both adapters and all four usage domains taken from the default drivers:
# the queues move to vfio_ap, the cards stay with cex4card.
printf '' >"$T/write_apmask.exp"
printf '' >"$T/write_aqmask.exp"
cat >"$T/masks_after.exp" <<'EOF'
0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe
EOF

cat >"$T/enum_vfio.exp" <<'EOF'
05.0004 ap ap_queue vfio_ap
05.0047 ap ap_queue vfio_ap
05.00ab ap ap_queue vfio_ap
05.00ff ap ap_queue vfio_ap
06.0004 ap ap_queue vfio_ap
06.0047 ap ap_queue vfio_ap
06.00ab ap ap_queue vfio_ap
06.00ff ap ap_queue vfio_ap
card05 ap ap_card cex4card
card06 ap ap_card cex4card
EOF

cat >"$T/info_05.0004_vfio.exp" <<'EOF'
P: /devices/ap/card05/05.0004
M: 05.0004
R: 0004
U: ap
T: ap_queue
V: vfio_ap
E: DEVPATH=/devices/ap/card05/05.0004
E: SUBSYSTEM=ap
E: DEVTYPE=ap_queue
E: DRIVER=vfio_ap
E: MODE=cca

EOF

# Adapter 5 back, then domain 4: only APQN 05.0004 is in both masks again.
cat >"$T/enum_mixed.exp" <<'EOF'
05.0004 ap ap_queue cex4queue
05.0047 ap ap_queue vfio_ap
05.00ab ap ap_queue vfio_ap
05.00ff ap ap_queue vfio_ap
06.0004 ap ap_queue vfio_ap
06.0047 ap ap_queue vfio_ap
06.00ab ap ap_queue vfio_ap
06.00ff ap ap_queue vfio_ap
card05 ap ap_card cex4card
card06 ap ap_card cex4card
EOF

cp "$T/enum_vfio.exp" "$T/enum_apmask_back.exp"
cp "$T/enum_default.exp" "$T/enum_restored.exp"

# ------------------------------------------------------------- the run
# One `mdevsim exec`: every step writes NAME.out, NAME.err and NAME.rc.
inner=$(cat <<'EOS'
set -u
run() {
  local name=$1
  shift
  "$@" >"$T/$name.out" 2>"$T/$name.err"
  echo $? >"$T/$name.rc"
}
# A mask write the way a shell does it: open O_TRUNC, one write().
write_attr() { echo "$1" >"$2"; }

run info_card05 udevadm info -p /devices/ap/card05
run info_card06 udevadm info -p /devices/ap/card06
run info_05.0004 udevadm info -p /devices/ap/card05/05.0004
run info_06.00ff_props udevadm info -q property -p /devices/ap/card06/06.00ff
run info_root udevadm info -p /devices/ap
run info_buslink udevadm info -q path /sys/bus/ap/devices/card06
run attrwalk_card05 udevadm info -a -p /devices/ap/card05
run attrwalk_05.0004 udevadm info --attribute-walk --path=/devices/ap/card05/05.0004
run enum_default "$UDEV_ENUMERATE"
run enum_props "$UDEV_ENUMERATE" MODE DEV_TYPE MODALIAS
run trigger_dry udevadm trigger --dry-run --verbose --subsystem-match=ap

run write_apmask write_attr -5,-6 /sys/bus/ap/apmask
run write_aqmask write_attr -4,-0x47,-0xab,-0xff /sys/bus/ap/aqmask
run masks_after cat /sys/bus/ap/apmask /sys/bus/ap/aqmask
run enum_vfio "$UDEV_ENUMERATE"
run info_05.0004_vfio udevadm info -p /devices/ap/card05/05.0004

run write_apmask_back write_attr +5 /sys/bus/ap/apmask
run enum_apmask_back "$UDEV_ENUMERATE"
run write_aqmask_back write_attr +4 /sys/bus/ap/aqmask
run enum_mixed "$UDEV_ENUMERATE"
run write_apmask_all write_attr +6 /sys/bus/ap/apmask
run write_aqmask_all write_attr +0x47,+0xab,+0xff /sys/bus/ap/aqmask
run enum_restored "$UDEV_ENUMERATE"
exit 0
EOS
)

echo "running: ${EXEC[*]} bash -c '...'"
set +e
"${EXEC[@]}" bash -c "$inner"
exec_rc=$?
set -e
if [[ $exec_rc != 0 ]]; then
  fail "mdevsim exec exited with status $exec_rc"
fi

for name in info_card05 info_card06 info_05.0004 info_06.00ff_props info_root info_buslink \
            enum_default enum_props trigger_dry \
            write_apmask write_aqmask masks_after enum_vfio info_05.0004_vfio enum_apmask_back enum_mixed enum_restored; do
  expect "$name"
done
for name in attrwalk_card05 attrwalk_05.0004; do
  expect_lines "$name"
done
for name in write_apmask_back write_aqmask_back write_apmask_all write_aqmask_all; do
  printf '' >"$T/$name.exp"
  expect "$name"
done

echo
if ((failures > 0)); then
  echo "udev_test: $failures check(s) FAILED, $passes passed"
  exit 1
fi
echo "udev_test: all $passes checks passed"
