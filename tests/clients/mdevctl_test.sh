#!/usr/bin/env bash
# Debian's real mdevctl (1.2.0, /usr/bin/mdevctl) against the simulator, inside
# one `mdevsim exec` (the simulator on /sys, private empty /etc/mdevctl.d and
# /run/lock): types, start with attributes (in order), list, a conflicting
# start (EADDRINUSE) and an invalid attribute rolled back, define / stop /
# start from the definition / undefine, and a callout script that sees the
# documented arguments and stdin and can abort a start. The host's
# /etc/mdevctl.d and /run/lock must be untouched afterwards.
#
# The steps run inside the exec and leave, per step NAME, $T/NAME.out (stdout
# and stderr together), $T/NAME.rc and $T/NAME.log (what the callout logged
# during that step); the checks run afterwards, outside.
set -uo pipefail
: "${MDEVSIM:?}" "${MDEVSIM_SOURCE_DIR:?}"

source "$(dirname "${BASH_SOURCE[0]}")/needs_fuse.sh"
if [[ ! -x /usr/bin/mdevctl ]]; then
  echo "FAIL: /usr/bin/mdevctl not found (apt-get install mdevctl)" >&2
  exit 1
fi

fails=0
T=$(mktemp -d /tmp/mdevsim-mdevctl-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export T MDEVSIM
export U=11111111-2222-3333-4444-555555555555 V=22222222-2222-3333-4444-555555555555

host_state() {
  find /etc/mdevctl.d /run/lock -printf '%p %M %U:%G %s %T@\n' 2>&1 | sort
  find /etc/mdevctl.d /run/lock -type f -exec md5sum {} + 2>&1 | sort
}
host_before=$(host_state)

inner=$(
  cat <<'INNER'
set -u
cd "$T"
# run NAME COMMAND...: records output, status and the callout's log of the step.
run() {
  local name=$1
  shift
  "$@" >"$T/$name.out" 2>&1 </dev/null
  echo $? >"$T/$name.rc"
  if [[ -e $T/callout.log ]]; then mv "$T/callout.log" "$T/$name.log"; else : >"$T/$name.log"; fi
}
TYPE=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
D=/sys/bus/mdev/devices

# 1. types
run types mdevctl types
run types_json mdevctl types --dumpjson

# 2. adapters 5, 6 and domains 4, 0x47, 0xab, 0xff to vfio_ap
run apmask sh -c 'echo -5,-6 > /sys/bus/ap/apmask'
run aqmask sh -c 'echo -4,-0x47,-0xab,-0xff > /sys/bus/ap/aqmask'
run masks cat /sys/bus/ap/apmask /sys/bus/ap/aqmask
run vfio_ap_queues ls /sys/bus/ap/drivers/vfio_ap

# The callout: logs its arguments and stdin; answers "get attributes" with the
# attributes that rebuild the device's matrix and control domains; refuses
# every "pre" event (exit 1) while $T/callout.fail exists.
cat >/etc/mdevctl.d/scripts.d/callouts/log <<'CALLOUT'
#!/bin/bash
log=$T/callout.log
echo "ARGS: $*" >>"$log"
ev= act= uuid=
while getopts t:e:a:s:u:p: o; do
  case $o in e) ev=$OPTARG ;; a) act=$OPTARG ;; u) uuid=$OPTARG ;; *) ;; esac
done
if [[ $ev == get ]]; then
  [[ $act == attributes ]] || exit 2
  d=/sys/bus/mdev/devices/$uuid
  attrs=() seen=" "
  while IFS=. read -r a q; do
    [[ $seen == *" a$a "* ]] || { attrs+=("{\"assign_adapter\":\"$((16#$a))\"}"); seen+="a$a "; }
  done <"$d/matrix"
  while IFS=. read -r a q; do
    [[ $seen == *" d$q "* ]] || { attrs+=("$(printf '{"assign_domain":"0x%x"}' $((16#$q)))"); seen+="d$q "; }
  done <"$d/matrix"
  while read -r c; do
    attrs+=("$(printf '{"assign_control_domain":"0x%x"}' $((16#$c)))")
  done <"$d/control_domains"
  json="[$(IFS=,; echo "${attrs[*]}")]"
  echo "$json"
  echo "GOT: $json" >>"$log"
  exit 0
fi
echo "STDIN: $(cat)" >>"$log"
if [[ -e $T/callout.fail && $ev == pre ]]; then
  echo "refusing $act of $uuid" >&2
  exit 1
fi
exit 0
CALLOUT
chmod 755 /etc/mdevctl.d/scripts.d/callouts/log

# 3. start with attributes, then list
cat >"$T/u.json" <<'JSON'
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"},{"assign_domain":"0xab"},{"assign_control_domain":"0xab"}]}
JSON
run start mdevctl start -u "$U" -p matrix --jsonfile "$T/u.json"
run start_sysfs sh -c "cd $D && ls && readlink $U $U/mdev_type && cat $U/matrix $U/control_domains $TYPE/available_instances && ls $TYPE/devices"
run list mdevctl list
run list_v mdevctl list -v
run list_json mdevctl list --dumpjson
run types_after_start mdevctl types

# 4. a conflicting start and an invalid attribute, both rolled back
cat >"$T/conflict.json" <<'JSON'
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"}]}
JSON
run conflict mdevctl start -u "$V" -p matrix --jsonfile "$T/conflict.json"
run conflict_dmesg sh -c "'$MDEVSIM' dmesg /sys | grep 'Userspace may not' | sed 's/^\[ *[0-9.]*\] //'"
run conflict_sysfs sh -c "ls $D && cat $D/$U/matrix $TYPE/available_instances && ls $TYPE/devices"
run conflict_list mdevctl list
cat >"$T/invalid.json" <<'JSON'
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"6"},{"no_such_attr":"1"}]}
JSON
run invalid mdevctl start -u "$V" -p matrix --jsonfile "$T/invalid.json"
run invalid_sysfs sh -c "ls $D && cat $D/$U/matrix $TYPE/available_instances"
run invalid_list mdevctl list
# Attributes are written in order, a key may repeat: assign then unassign 0x47
# leaves only 06.00ff (the reverse order would leave 06.0047 assigned).
cat >"$T/order.json" <<'JSON'
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"6"},{"assign_domain":"0x47"},{"assign_domain":"0xff"},{"unassign_domain":"0x47"},{"assign_control_domain":"0x47"}]}
JSON
run order mdevctl start -u "$V" -p matrix --jsonfile "$T/order.json"
run order_sysfs sh -c "ls $D && cat $D/$V/matrix $D/$V/control_domains $TYPE/available_instances"
run order_stop mdevctl stop -u "$V"

# 5. define from the running device, stop, start from the definition, undefine
run define mdevctl define -u "$U"
run define_file sh -c "ls /etc/mdevctl.d /etc/mdevctl.d/matrix && cat /etc/mdevctl.d/matrix/$U && echo '<EOF>'"
run list_d mdevctl list -d
run list_d_v mdevctl list -d -v
run stop mdevctl stop -u "$U"
run stop_sysfs sh -c "ls -A $D && cat $TYPE/available_instances && ls -A $TYPE/devices && ls /sys/devices/vfio_ap/matrix"
run list_stopped mdevctl list
run list_d_stopped mdevctl list -d
run restart mdevctl start -u "$U"
run restart_sysfs sh -c "ls $D && cat $D/$U/matrix $D/$U/control_domains $TYPE/available_instances"
run restart_list mdevctl list
run stop2 mdevctl stop -u "$U"
run undefine mdevctl undefine -u "$U"
run undefine_state sh -c "ls -A /etc/mdevctl.d/matrix; ls -A $D; cat $TYPE/available_instances"
run list_d_undefined mdevctl list -d
run stop_missing mdevctl stop -u "$U"

# 6. a callout that fails on pre-start aborts the start
touch "$T/callout.fail"
run refused mdevctl start -u "$U" -p matrix --jsonfile "$T/u.json"
rm "$T/callout.fail"
run refused_sysfs sh -c "ls -A $D; cat $TYPE/available_instances"
run refused_list mdevctl list
INNER
)

timeout 240 "$MDEVSIM" exec -- bash -c "$inner"
exec_rc=$?

# expect NAME STATUS WANT: $T/NAME.rc is STATUS and $T/NAME.out is exactly WANT
# followed by a newline; WANT "" means no output at all and WANT "$EMPTY_LINE"
# one empty line.
EMPTY_LINE='(one empty line)'
expect() {
  local name=$1 status=$2 want=$3 got rc
  rc=$(cat "$T/$name.rc" 2>/dev/null || echo missing)
  got=$(cat "$T/$name.out" 2>/dev/null; echo .)
  got=${got%.}
  if [[ $want == "$EMPTY_LINE" ]]; then want=$'\n'; elif [[ -n $want ]]; then want+=$'\n'; fi
  if [[ $rc != "$status" || $got != "$want" ]]; then
    echo "FAIL $name: exit $rc (want $status)"
    diff <(printf '%s' "$want") <(printf '%s' "$got") | sed 's/^/  /'
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}

# expect_log NAME WANT: the callout's log during step NAME is WANT.
expect_log() {
  local name=$1 want=$2 got
  got=$(cat "$T/$name.log" 2>/dev/null || echo "(no log)")
  if [[ $got != "$want" ]]; then
    echo "FAIL $name (callout log)"
    diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
    fails=$((fails + 1))
  else
    echo "ok   $name (callout log)"
  fi
}

if [[ $exec_rc != 0 ]]; then
  echo "FAIL exec: exit $exec_rc (want 0)"
  fails=$((fails + 1))
fi

pre() { echo "ARGS: -t vfio_ap-passthrough -e pre -a $1 -s none -u ${3:-$U} -p matrix"; echo "STDIN: $2"; }
post() { echo "ARGS: -t vfio_ap-passthrough -e post -a $1 -s ${3:-success} -u ${4:-$U} -p matrix"; echo "STDIN: $2"; }
START_JSON='{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"},{"assign_domain":"0xab"},{"assign_control_domain":"0xab"}]}'
GOT_ATTRS='[{"assign_adapter":"5"},{"assign_domain":"0x4"},{"assign_domain":"0xab"},{"assign_control_domain":"0xab"}]'
DEF_JSON="{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\",\"attrs\":$GOT_ATTRS}"
STOP_JSON='{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[]}'
GET="ARGS: -t vfio_ap-passthrough -e get -a attributes -s none -u $U -p matrix
GOT: $GOT_ATTRS"

# 1. types
expect types 0 "matrix
  vfio_ap-passthrough
    Available instances: 65536
    Device API: vfio-ap
    Name: VFIO AP Passthrough Device
"
expect types_json 0 '[
  {
    "matrix": [
      {
        "vfio_ap-passthrough": {
          "available_instances": 65536,
          "device_api": "vfio-ap",
          "name": "VFIO AP Passthrough Device"
        }
      }
    ]
  }
]'

# 2. masks
expect apmask 0 ""
expect aqmask 0 ""
expect masks 0 "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe"
expect vfio_ap_queues 0 "05.0004
05.0047
05.00ab
05.00ff
06.0004
06.0047
06.00ab
06.00ff
bind
module
uevent
unbind"

# 3. start with attributes (in order), list. mdevctl 1.2.0 ends `list` with an
# empty line (and prints just that when there is nothing to list); list and define get the attributes of an undefined active
# device from the callout (`-e get -a attributes`).
expect start 0 ""
expect_log start "$(pre start "$START_JSON"; post start "$START_JSON")"
expect start_sysfs 0 "$U
../../../devices/vfio_ap/matrix/$U
../mdev_supported_types/vfio_ap-passthrough
05.0004
05.00ab
00ab
65535
$U"
expect list 0 "$U matrix vfio_ap-passthrough manual
"
expect_log list "$GET"
expect list_v 0 "$U matrix vfio_ap-passthrough manual
  Attrs:
    @{0}: {\"assign_adapter\":\"5\"}
    @{1}: {\"assign_domain\":\"0x4\"}
    @{2}: {\"assign_domain\":\"0xab\"}
    @{3}: {\"assign_control_domain\":\"0xab\"}
"
expect list_json 0 "[
  {
    \"matrix\": [
      {
        \"$U\": {
          \"mdev_type\": \"vfio_ap-passthrough\",
          \"start\": \"manual\",
          \"attrs\": [
            {
              \"assign_adapter\": \"5\"
            },
            {
              \"assign_domain\": \"0x4\"
            },
            {
              \"assign_domain\": \"0xab\"
            },
            {
              \"assign_control_domain\": \"0xab\"
            }
          ]
        }
      }
    ]
  }
]"
expect types_after_start 0 "matrix
  vfio_ap-passthrough
    Available instances: 65535
    Device API: vfio-ap
    Name: VFIO AP Passthrough Device
"

# 4. conflicting start: the kernel refuses assign_domain 4 for V (05.0004 is
# U's) with EADDRINUSE; mdevctl removes V again.
CONFLICT_JSON='{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"}]}'
expect conflict 1 "Error: Failed to write 4 to attribute assign_domain

Caused by:
    Address already in use (os error 98)"
expect_log conflict "$(pre start "$CONFLICT_JSON" "$V"; post start "$CONFLICT_JSON" failure "$V")"
expect conflict_dmesg 0 "vfio_ap_mdev $V: Userspace may not assign queue 05.0004 to mdev: already assigned to $U"
expect conflict_sysfs 0 "$U
05.0004
05.00ab
65535
$U"
expect conflict_list 0 "$U matrix vfio_ap-passthrough manual
"
INVALID_JSON='{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"6"},{"no_such_attr":"1"}]}'
expect invalid 1 "Error: Invalid attribute 'no_such_attr'"
expect_log invalid "$(pre start "$INVALID_JSON" "$V"; post start "$INVALID_JSON" failure "$V")"
expect invalid_sysfs 0 "$U
05.0004
05.00ab
65535"
expect invalid_list 0 "$U matrix vfio_ap-passthrough manual
"
ORDER_JSON='{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"6"},{"assign_domain":"0x47"},{"assign_domain":"0xff"},{"unassign_domain":"0x47"},{"assign_control_domain":"0x47"}]}'
expect order 0 ""
expect_log order "$(pre start "$ORDER_JSON" "$V"; post start "$ORDER_JSON" success "$V")"
expect order_sysfs 0 "$U
$V
06.00ff
0047
65534"
expect order_stop 0 ""

# 5. define / list -d / stop / start -u / undefine
expect define 0 ""
expect_log define "$GET
$(pre define "$DEF_JSON"; post define "$DEF_JSON")"
expect define_file 0 "/etc/mdevctl.d:
matrix
scripts.d

/etc/mdevctl.d/matrix:
$U
{
  \"mdev_type\": \"vfio_ap-passthrough\",
  \"start\": \"manual\",
  \"attrs\": [
    {
      \"assign_adapter\": \"5\"
    },
    {
      \"assign_domain\": \"0x4\"
    },
    {
      \"assign_domain\": \"0xab\"
    },
    {
      \"assign_control_domain\": \"0xab\"
    }
  ]
}<EOF>"
expect list_d 0 "$U matrix vfio_ap-passthrough manual (active)
"
expect_log list_d ""
expect list_d_v 0 "$U matrix vfio_ap-passthrough manual (active)
  Attrs:
    @{0}: {\"assign_adapter\":\"5\"}
    @{1}: {\"assign_domain\":\"0x4\"}
    @{2}: {\"assign_domain\":\"0xab\"}
    @{3}: {\"assign_control_domain\":\"0xab\"}
"
expect stop 0 ""
expect_log stop "$(pre stop "$STOP_JSON"; post stop "$STOP_JSON")"
expect stop_sysfs 0 "65536
driver
features
mdev_supported_types
subsystem
uevent"
expect list_stopped 0 "$EMPTY_LINE"
expect list_d_stopped 0 "$U matrix vfio_ap-passthrough manual
"
expect restart 0 ""
expect_log restart "$(pre start "$DEF_JSON"; post start "$DEF_JSON")"
expect restart_sysfs 0 "$U
05.0004
05.00ab
00ab
65535"
expect restart_list 0 "$U matrix vfio_ap-passthrough manual (defined)
"
expect stop2 0 ""
expect undefine 0 ""
expect_log undefine "$(pre undefine "$DEF_JSON"; post undefine "$DEF_JSON")"
expect undefine_state 0 "65536"
expect list_d_undefined 0 "$EMPTY_LINE"
expect stop_missing 1 "Error: Error removing device $U

Caused by:
    No such file or directory (os error 2)"

# 6. a callout failing on pre-start aborts the start; its stderr is shown
expect refused 1 "log: refusing start of $U
Error: callout script \"/etc/mdevctl.d/scripts.d/callouts/log\" failed with return code 1"
expect_log refused "$(pre start "$START_JSON")"
expect refused_sysfs 0 "65536"
expect refused_list 0 "$EMPTY_LINE"

# The host is untouched.
host_after=$(host_state)
if [[ $host_before != "$host_after" ]]; then
  echo "FAIL host untouched: /etc/mdevctl.d or /run/lock changed"
  diff <(echo "$host_before") <(echo "$host_after") | sed 's/^/  /'
  fails=$((fails + 1))
else
  echo "ok   host untouched"
fi

if ((fails)); then
  echo "$fails failed"
  exit 1
fi
