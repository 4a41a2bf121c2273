#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed[, N skipped]".
#   test/run.sh            unit tests (test/unit, cmocka) and shell tests (test/t/*.bats)
#   test/run.sh unit|shell one kind only
#   T=t1100 test/run.sh    only the bats files whose name starts with $T
# Environment: KT (the binary under test), UNIT_DIR (built unit-test binaries).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
what=${1:-all}
export KT=${KT:-$top/bin/kubectl-kong_tls}
UNIT_DIR=${UNIT_DIR:-$top/bin/test}
log=$(mktemp -d "${TMPDIR:-/tmp}/kt-test.XXXXXX")
passed=0 failed=0 skipped=0

count_tap() { # file -> adds to counters; TAP from bats or cmocka (CMOCKA_MESSAGE_OUTPUT=TAP)
	local p f s
	# cmocka 1.1 reports a skipped test as "not ok N # SKIP": a skip, not a failure.
	p=$(grep -cE '^ok [0-9]+' "$1" || true)
	s=$(grep -cE '^ok [0-9]+.* # ?[sS][kK][iI][pP]' "$1" || true)
	ns=$(grep -cE '^not ok [0-9]+ # ?[sS][kK][iI][pP]' "$1" || true)
	f=$(grep -cE '^not ok [0-9]+' "$1" || true)
	f=$((f - ns))
	passed=$((passed + p - s)); skipped=$((skipped + s + ns)); failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		echo "--- failures in $2:"
		grep -v -E '^not ok [0-9]+ # ?[sS][kK][iI][pP]' "$1" | grep -A30 -E '^not ok ' | head -120
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for u in "$UNIT_DIR"/u-*; do
		[ -x "$u" ] || continue
		name=$(basename "$u")
		CMOCKA_MESSAGE_OUTPUT=TAP "$u" >"$log/$name.tap" 2>&1
		rc=$?
		count_tap "$log/$name.tap" "$name"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log/$name.tap"; then
			echo "--- $name exited $rc without a failing test (crash?):"; tail -20 "$log/$name.tap"
			failed=$((failed + 1))
		fi
		echo "unit  $name: $(grep -cE '^ok ' "$log/$name.tap") ok, $(grep -E '^not ok ' "$log/$name.tap" | grep -cvE ' # ?[sS][kK][iI][pP]') not ok"
	done
fi

if [ "$what" = all ] || [ "$what" = shell ]; then
	for t in "$here"/t/${T:-}*.bats; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .bats)
		bats --tap "$t" >"$log/$name.tap" 2>&1
		rc=$?
		count_tap "$log/$name.tap" "$name"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log/$name.tap"; then
			echo "--- $name exited $rc without a failing test:"; tail -20 "$log/$name.tap"
			failed=$((failed + 1))
		fi
		echo "shell $name: $(grep -cE '^ok ' "$log/$name.tap") ok, $(grep -cE '^not ok ' "$log/$name.tap") not ok"
	done
fi

rm -rf "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
