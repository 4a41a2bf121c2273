#!/usr/bin/env bats
# Shell completion: the __complete protocol (spec kubectl-plugin-ecosystem.md §2.2), drawn
# from the same tables as --help; the generated bash/zsh/fish scripts in the real shells;
# and kubectl's own plugin completion through kubectl_complete-kong_tls.

load helper
bats_require_minimum_version 1.5.0

setup() {
	TMUX_SOCK=
	kt_setup
	mkdir -p bin
	ln -s "$KT" bin/kubectl-kong_tls
	export PATH=$PWD/bin:$PATH
}

teardown() {
	[ -z "$TMUX_SOCK" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
}

# The commands `--help` lists, one per line.
help_commands() {
	"$KT" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# The long flags `CMD --help` lists, one per line, sorted.
help_flags() {
	"$KT" "$1" --help | sed -n '/^Flags:/,/^$/p' | sed -nE 's/^  (-[[:alnum:]], |    )--([[:alnum:]-]+).*/--\2/p' | sort
}

# Candidates without descriptions (and without the directive line), sorted.
candidates() {
	printf '%s\n' "$output" | sed '$d' | cut -f1 | sort
}

directive() {
	printf '%s\n' "$output" | tail -n1
}

@test "__complete: commands come from the dispatch table, with summaries, hidden ones left out" {
	run --separate-stderr "$KT" __complete ""
	assert_exit 0
	[ -z "$stderr" ]
	[ "$(directive)" = ":4" ]
	for c in $(help_commands); do
		printf '%s\n' "$output" | grep -q "^$c	" || { echo "missing $c"; echo "$output"; return 1; }
	done
	[[ "$output" != *__complete* && "$output" != *__man* ]]
	# the description is the summary --help shows
	summary=$("$KT" --help | awk '$1 == "init-ca" { $1 = ""; sub(/^ +/, ""); print }')
	printf '%s\n' "$output" | grep -qxF "init-ca	$summary"
	run "$KT" __complete ver
	[ "$(candidates)" = "$(printf 'verify\nversion')" ]
	run "$KT" __complete help ""
	assert_contains "attach	"
}

@test "__complete: each command's flags are exactly the flags its --help shows" {
	for c in $(help_commands); do
		run --separate-stderr "$KT" __complete "$c" --
		assert_exit 0
		[ "$(directive)" = ":4" ]
		diff <(candidates) <(help_flags "$c") || { echo "flags of $c differ from its --help"; return 1; }
	done
	# shorthands only when asked for one
	run "$KT" __complete version -
	assert_contains "-o	"
	run "$KT" __complete version --
	[[ "$output" != *"-o	"* ]]
}

@test "__complete: enumerated flag values, after a space and after '='" {
	run "$KT" __complete version -o ""
	[ "$(candidates)" = "json" ]
	[ "$(directive)" = ":4" ]
	run "$KT" __complete version --output=j
	[ "$(candidates)" = "json" ]
	run "$KT" __complete version --output j
	[ "$(candidates)" = "json" ]
	run "$KT" __complete completion ""
	[ "$(candidates)" = "$(printf 'bash\nfish\nkubectl\nzsh')" ]
	# enumerated flags of the other commands, wherever their tables define them
	local c f seen=0
	for c in $(help_commands); do
		for f in --key-type --ca-kind --dry-run --output; do
			help_flags "$c" | grep -qx -- "$f" || continue
			"$KT" "$c" --help | grep -E -- "$f( |\[|=)" | grep -q '[A-Z]' || continue
			run "$KT" __complete "$c" "$f" ""
			[ "$(directive)" = ":4" ] || { echo "$c $f: $output"; return 1; }
			seen=$((seen + 1))
		done
	done
	[ "$seen" -ge 1 ]
}

@test "__complete: path flags ask the shell for files or directories" {
	local c f n=0
	for c in $(help_commands); do
		for f in $("$KT" "$c" --help | sed -n '/^Flags:/,/^$/p' |
			sed -nE 's/^  (-[[:alnum:]], |    )--([[:alnum:]-]+) (FILE|DIR)\b.*/--\2:\3/p'); do
			run "$KT" __complete "$c" "${f%:*}" ""
			case ${f#*:} in
			DIR) [ "$(directive)" = ":16" ] || { echo "$c ${f%:*}: $output"; return 1; } ;;
			*) [ "$(directive)" = ":0" ] || { echo "$c ${f%:*}: $output"; return 1; } ;;
			esac
			n=$((n + 1))
		done
	done
	[ "$n" -gt 0 ] || skip "no command has a FILE/DIR flag yet"
}

@test "__complete never fails and never writes to stderr, whatever the words" {
	for words in "nope ''" "--bogus" "version --output=nope ''" "version -o" "init-ca --kubeconfig /nonexistent --context ''" \
		"attach -n ''" "-- --" "help help help ''"; do
		eval "run --separate-stderr \"\$KT\" __complete $words"
		assert_exit 0
		[ -z "$stderr" ] || { echo "stderr for $words: $stderr"; return 1; }
		[[ "$(directive)" =~ ^:[0-9]+$ ]]
	done
}

@test "completion: usage errors for a missing or unknown shell" {
	run "$KT" completion
	assert_exit 2
	assert_error_line
	run "$KT" completion tcsh
	assert_exit 2
	assert_error_line
	assert_contains "tcsh"
	run "$KT" completion bash zsh
	assert_exit 2
	run "$KT" completion kubectl
	assert_exit 0
	[ "$(head -n1 <<<"$output")" = "#!/bin/sh" ]
}

# bash: source the script with bash-completion loaded, fill COMP_* the way readline does
# (COMP_WORDBREAKS splits '=' and ':' into words of their own) and call the function.
bash_complete() { # LINE -> prints COMPREPLY, one per line
	bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		source <(kubectl-kong_tls completion bash)
		line=$1
		COMP_LINE=$line; COMP_POINT=${#line}; COMP_WORDS=()
		read -ra ws <<<"$line"
		[[ $line == *" " ]] && ws+=("")
		for w in "${ws[@]}"; do
			if [[ -z $w ]]; then COMP_WORDS+=(""); continue; fi
			while [[ $w =~ ^([^=:]*)([=:])(.*)$ ]]; do
				[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
				COMP_WORDS+=("${BASH_REMATCH[2]}"); w=${BASH_REMATCH[3]}
			done
			[[ -n $w ]] && COMP_WORDS+=("$w")
		done
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		$(complete -p kubectl-kong_tls | sed -E "s/.* -F ([^ ]+) .*/\1/")
		printf "%s\n" "${COMPREPLY[@]}"' _ "$1"
}

@test "bash: commands, flags, values after a space and after '='" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash_complete "kubectl-kong_tls ver"
	[ "$output" = "$(printf 'verify\nversion')" ]
	run bash_complete "kubectl-kong_tls version --o"
	[ "$output" = "--output" ]
	run bash_complete "kubectl-kong_tls version -o "
	[ "$output" = "json" ]
	run bash_complete "kubectl-kong_tls version --output=j"
	[ "$output" = "json" ]
	run bash_complete "kubectl-kong_tls completion "
	[ "$(sort <<<"$output")" = "$(printf 'bash\nfish\nkubectl\nzsh')" ]
	run bash_complete "kubectl-kong_tls nope "
	[ -z "$output" ]
}

@test "bash: a FILE flag completes file names, a DIR flag directories" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	local c f found=
	for c in $(help_commands); do
		f=$("$KT" "$c" --help | sed -n '/^Flags:/,/^$/p' | sed -nE 's/^  (-[[:alnum:]], |    )--([[:alnum:]-]+) FILE\b.*/--\2/p' | head -n1)
		[ -n "$f" ] && { found="$c $f"; break; }
	done
	[ -n "$found" ] || skip "no command has a FILE flag yet"
	mkdir -p work/subdir && touch work/ca.pem work/other.txt
	cd work
	run bash_complete "kubectl-kong_tls $found c"
	[ "$output" = "ca.pem" ]
	run bash_complete "kubectl-kong_tls $found "
	assert_contains "other.txt"
	assert_contains "subdir"
}

# zsh: a real interactive zsh with compinit in a private tmux server; type, press TAB, read the screen.
zsh_start() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	command -v zsh >/dev/null || skip "zsh is not installed"
	mkdir -p zdot/fpath
	kubectl-kong_tls completion zsh >zdot/fpath/_kubectl-kong_tls
	cat >zdot/.zshrc <<-EOF
		PS1='%% '
		fpath=($PWD/zdot/fpath \$fpath)
		autoload -U compinit && compinit -u -D
	EOF
	# a socket in the test's own directory: nothing left in /tmp/tmux-UID afterwards
	TMUX_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -x 160 -y 40 \
		"env -i PATH='$PATH' HOME='$HOME' TERM=xterm ZDOTDIR='$PWD/zdot' zsh -d -i" 3>&-
	wait_screen '^%( |$)'
}

wait_screen() { # REGEX: poll the pane for up to 5 s
	local i
	for i in $(seq 50); do
		screen=$(tmux -S "$TMUX_SOCK" capture-pane -p)
		grep -qE -- "$1" <<<"$screen" && return 0
		sleep 0.1
	done
	echo "screen never matched $1:"; echo "$screen"
	return 1
}

zsh_type() { # TEXT: clear the line and screen, type TEXT, press TAB
	tmux -S "$TMUX_SOCK" send-keys C-u C-l
	sleep 0.2
	tmux -S "$TMUX_SOCK" send-keys "$1" Tab
}

@test "zsh: commands with descriptions, unique completions, values after '='" {
	zsh_start
	zsh_type "kubectl-kong_tls vers"
	wait_screen '^% kubectl-kong_tls version ?$'
	zsh_type "kubectl-kong_tls "
	wait_screen '^init-ca +-- create a root'
	wait_screen '^attach +-- '
	zsh_type "kubectl-kong_tls version --output="
	wait_screen '^% kubectl-kong_tls version --output=json ?$'
	zsh_type "kubectl-kong_tls completion "
	wait_screen 'bash +fish +kubectl +zsh'
}

@test "fish: commands with descriptions, flags, values after '='" {
	command -v fish >/dev/null || skip "fish is not installed"
	kubectl-kong_tls completion fish >kt.fish
	run fish --no-config -c 'source kt.fish; complete -C "kubectl-kong_tls "'
	assert_exit 0
	assert_contains "init-ca	create a root"
	run fish --no-config -c 'source kt.fish; complete -C "kubectl-kong_tls version --output="'
	[ "$output" = "--output=json" ]
	run fish --no-config -c 'source kt.fish; complete -C "kubectl-kong_tls version --"'
	assert_contains "--output	print as"
	run fish --no-config -c 'source kt.fish; complete -C "kubectl-kong_tls completion k"'
	[ "$output" = "kubectl" ]
}

@test "kubectl: 'kubectl kong-tls <TAB>' through kubectl_complete-kong_tls" {
	command -v kubectl >/dev/null || skip "kubectl is not installed"
	# without the helper kubectl falls back to file completion (spec §2.1)
	run --separate-stderr kubectl __complete kong-tls ""
	[ "$(directive)" = ":0" ]
	kubectl-kong_tls completion kubectl >bin/kubectl_complete-kong_tls
	chmod +x bin/kubectl_complete-kong_tls
	run --separate-stderr kubectl __complete kong-tls ""
	assert_exit 0
	[ "$(directive)" = ":4" ]
	assert_contains "init-ca	create a root"
	run --separate-stderr kubectl __complete kong-tls version -o ""
	[ "$(candidates)" = "json" ]
	run --separate-stderr kubectl __complete kong-tls version --output=j
	[ "$(candidates)" = "json" ]
	run --separate-stderr kubectl __completeNoDesc kong-tls ver
	[ "$(candidates)" = "$(printf 'verify\nversion')" ]
	[[ "$output" != *"	"* ]]
	# a FILE flag gives kubectl's "default" directive, so the shell completes files
	local c f
	for c in $(help_commands); do
		f=$("$KT" "$c" --help | sed -n '/^Flags:/,/^$/p' | sed -nE 's/^  (-[[:alnum:]], |    )--([[:alnum:]-]+) FILE\b.*/--\2/p' | head -n1)
		[ -n "$f" ] || continue
		run --separate-stderr kubectl __complete kong-tls "$c" "$f" ""
		[ "$(directive)" = ":0" ]
		break
	done
}
