# Conformance runner for t4200: compare `verify --address` with a real nginx proxy, case by case.
# Usage: bash compare.bash DIR PATTERN   (DIR holds cases, ports; env: KT, CONF_PX, CONF_D, CONF_KP_DIR)
# A case line is "NAME SERVED CA DEPTH HOST [caobj]" (caobj: compare verdicts only; see t4200). Prints one line per case; exits 1 if any disagrees.
set -u
dir=$1 pattern=$2
source "$(dirname "$0")/kong-proxy.bash"
KP_DIR=$CONF_KP_DIR
bad=0 n=0
while read -r cname served ca depth host note; do
	[[ "$cname" =~ $pattern ]] || continue
	n=$((n + 1))
	port=$(awk -v s="$served" '$1 == s { print $2 }' "$dir/ports")
	kp_clear_log "$cname"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Host: $cname" "http://127.0.0.1:$CONF_PX/")
	first=$(kp_first_error "$cname") last=$(kp_last_error "$cname") line=$(kp_log_line "$cname")
	args=(verify --address "127.0.0.1:$port" --hostname "$host" --timeout 5s)
	case $ca in
	none) ;;
	both) args+=(--ca-file "$CONF_D/root.pem" --ca-file "$CONF_D/ia1.pem") ;;
	*) args+=(--ca-file "$CONF_D/$ca.pem") ;;
	esac
	[ "$depth" = - ] || args+=(--depth "$depth")
	vout=$("$KT" "${args[@]}" 2>&1)
	vrc=$?
	verdict="nginx=$code first=${first:--} last=${last:--} verify=$vrc"
	why=
	if { [ "$code" = 200 ] && [ $vrc -ne 0 ]; } || { [ "$code" = 502 ] && [ $vrc -ne 1 ]; } ||
		{ [ "$code" != 200 ] && [ "$code" != 502 ]; }; then
		why="verdict "
	elif [ "$note" = caobj ]; then
		[[ "$vout" == *"is not a valid CA object"* ]] || why="caobj   "
	elif [ -n "$first" ] && [[ "$vout" != *"($first:"* ]]; then
		why="code    "
	elif [[ "$line" == *"does not match"* ]] && [[ "$vout" != *"does not match \"$host\""* ]]; then
		why="hostname"
	fi
	if [ -n "$why" ]; then
		echo "MISMATCH $why $cname: $verdict${line:+ ($line)}"
		echo "$vout" | sed 's/^/    | /'
		bad=$((bad + 1))
	else
		echo "same $cname: $verdict"
	fi
done <"$dir/cases"
echo "$n cases, $bad disagreements"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
