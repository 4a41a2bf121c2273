#!/usr/bin/env bash
# bench/init-ca.sh: the guide's openssl script against `init-ca`, side by side in one run.
#   bench/init-ca.sh [ROUNDS]          (default 9; build first with `make` or `make dist`)
# Each round runs, in fresh directories and interleaved so load changes hit all alike:
#   1. bench/guide-certs.sh (the guide's script, verbatim: 3 x rsa:2048, 5 openssl runs)
#   2. init-ca                       (default: ec:p256)
#   3. init-ca --key-type rsa:2048   (the guide's key type; keys generated in parallel)
# then prints medians and ratios, the median time of `--version`, and peak RSS.
# Targets (issue 2): default >= 50x faster than the guide, rsa:2048 <= 0.6x the guide's
# time on 2 cores, --version < 3 ms, peak RSS < 10 MB. Not run by CI (timing is noisy).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
source "$here/binary.bash"
rounds=${1:-9}
work=$(mktemp -d "${TMPDIR:-/tmp}/kt-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

# run_timed OUTFILE CMD...: append the wall time of CMD in microseconds to OUTFILE, and
# its CPU time (user + sys of it and its children) to OUTFILE.cpu, from bash's `times`.
# `times` must run in this shell (a $(...) subshell starts with zero children times).
cpu_us() { times >"$work/times"; awk 'NR == 2 {
	split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e6 }' "$work/times"; }
run_timed() {
	local out=$1 t0 t1 c0 c1; shift
	cpu_us >"$work/c0"
	t0=$(now_us)
	"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
	t1=$(now_us)
	cpu_us >"$work/c1"
	echo $((t1 - t0)) >>"$out"
	echo $(($(cat "$work/c1") - $(cat "$work/c0"))) >>"$out.cpu"
}

median() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'; }
ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $rounds rounds on $(nproc) CPUs, $(openssl version)"
for ((r = 1; r <= rounds; r++)); do
	d=$work/r$r
	mkdir -p "$d/guide" "$d/ec" "$d/rsa"
	(cd "$d/guide" && run_timed "$work/guide.us" bash "$here/guide-certs.sh")
	run_timed "$work/ec.us" "$KT" init-ca --out "$d/ec/certs"
	run_timed "$work/rsa.us" "$KT" init-ca --out "$d/rsa/certs" --key-type rsa:2048
	rm -rf "$d"
	printf '.'
done
echo
for ((r = 1; r <= 50; r++)); do
	run_timed "$work/version.us" "$KT" --version
done

g=$(median "$work/guide.us")
e=$(median "$work/ec.us")
s=$(median "$work/rsa.us")
v=$(median "$work/version.us")
echo "load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg) (wall-clock ratios mean little when it exceeds the CPU count)"
printf '%-34s %9s ms   cpu %s ms\n' "guide script (openssl, rsa:2048)" "$(ms "$g")" "$(ms "$(median "$work/guide.us.cpu")")"
printf '%-34s %9s ms   cpu %s ms   guide/ours %sx (target >= 50x)\n' "init-ca (ec:p256)" "$(ms "$e")" "$(ms "$(median "$work/ec.us.cpu")")" "$(ratio "$g" "$e")"
printf '%-34s %9s ms   cpu %s ms   ours/guide %s (target <= 0.6)\n' "init-ca --key-type rsa:2048" "$(ms "$s")" "$(ms "$(median "$work/rsa.us.cpu")")" "$(ratio "$s" "$g")"
printf '%-34s %9s ms   (median of 50; target < 3 ms)\n' "--version" "$(ms "$v")"

# Peak resident memory, from /usr/bin/time -v (Debian package 'time') or Python's getrusage.
peak_kb() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
	else
		python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
	fi
}
printf 'peak RSS (target < 10 MB): init-ca %s KB, init-ca rsa:2048 %s KB, --version %s KB\n' \
	"$(peak_kb "$KT" init-ca --out "$work/m1")" \
	"$(peak_kb "$KT" init-ca --out "$work/m2" --key-type rsa:2048)" \
	"$(peak_kb "$KT" --version)"
