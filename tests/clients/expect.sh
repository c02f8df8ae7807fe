# Sourced by client tests. expect NAME STATUS OUTPUT -- COMMAND...: the
# command's exit status and combined output; failures are counted in $fails.
fails=0
expect() {
  local name=$1 status=$2 want=$3
  shift 4
  local got rc
  got=$("$@" 2>&1)
  rc=$?
  if [[ $rc != "$status" || $got != "$want" ]]; then
    echo "FAIL $name: exit $rc (want $status)"
    diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
