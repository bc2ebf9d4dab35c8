# bash completion for taskvisorctl (installed as BASHCOMPDIR/taskvisorctl by `make install`).
#
# Commands come from `taskvisorctl help` and task subcommands with their options from
# `taskvisorctl task --help` (no daemon needed). Program and group names (`avail`), task labels
# (`task cleanup --config`), task ids (`task list --ids`) and worker names (`worker list`) come
# from the running daemon, found with the -c/-s the line gave; when it does not answer within
# 2 s there is simply nothing to offer.

# taskvisorctl with the line's -c/-s, a short timeout, errors silenced.
_taskvisorctl_ask()
{
	"${_tvc_prog:-taskvisorctl}" "${_tvc_opts[@]}" --timeout 2 "$@" 2>/dev/null
}

_taskvisorctl_commands()
{
	"${_tvc_prog:-taskvisorctl}" help 2>/dev/null | awk '/^  [a-z]/ {print $1}'
}

# Process names, group:* for each group, and "all".
_taskvisorctl_names()
{
	_taskvisorctl_ask avail | awk '
		{ print $1; if (index($1, ":") > 0) { split($1, g, ":"); if (!(g[1] in seen)) { seen[g[1]] = 1; print g[1] ":*" } } }
		END { print "all" }'
}

_taskvisorctl_groups()
{
	_taskvisorctl_ask avail | awk '{ n = $1; sub(/:.*/, "", n); if (!(n in seen)) { seen[n] = 1; print n } }'
}

_taskvisorctl_labels()
{
	_taskvisorctl_ask task cleanup --config | awk 'NR > 1 && !/^\(/ {print $1}'
}

_taskvisorctl_task_ids()
{
	_taskvisorctl_ask task list --ids --limit 100 | awk '/^[0-9a-f-]+$/ {print $1}'
}

_taskvisorctl_workers()
{
	_taskvisorctl_ask worker list | awk 'NR > 1 && NF > 0 && $1 != "No" {print $1}'
}

# The options of "task SUB", from its usage line.
_taskvisorctl_task_opts()
{
	"${_tvc_prog:-taskvisorctl}" task --help 2>/dev/null |
		awk -v sub_="$1" '$1 == "task" && $2 == sub_ { for (i = 3; i <= NF; i++) if ($i ~ /^\[?-/) { o = $i; gsub(/[][|]/, "", o); print o } }'
	echo --json
}

# COMPREPLY from compgen ARGS... for the word cur, without globbing; when cur holds a ':' (a word
# break for bash), the part bash already has is taken off each match.
_taskvisorctl_reply()
{
	local cur=$1 pre="" m
	shift
	[[ $cur == *:* && $COMP_WORDBREAKS == *:* ]] && pre=${cur%"${cur##*:}"}
	COMPREPLY=()
	while IFS= read -r m; do
		COMPREPLY+=("${m#"$pre"}")
	done < <(set -f; compgen "$@" -- "$cur")
}

_taskvisorctl()
{
	local cur prev i w cmd="" ci=0 n words line cword
	local -a _tvc_opts=() tw=()
	local _tvc_prog=${COMP_WORDS[0]}
	COMPREPLY=()
	# The words as typed (bash splits "group:name" and "unix:///x" at ':' in COMP_WORDS).
	if [ -n "${COMP_LINE+x}" ]; then
		line=${COMP_LINE:0:COMP_POINT}
		read -ra tw <<<"$line"
		[[ -z $line || $line == *[[:space:]] ]] && tw+=("")
	else
		tw=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
	fi
	cword=$((${#tw[@]} - 1))
	cur=${tw[cword]}
	prev=""
	[ "$cword" -gt 0 ] && prev=${tw[cword - 1]}

	# Global options before the command word; remember -c/-s for asking the daemon.
	for ((i = 1; i < cword; i++)); do
		w=${tw[i]}
		case $w in
		-c | --configuration | -s | --serverurl | --socket)
			_tvc_opts+=("$w" "${tw[i + 1]}")
			((i++))
			;;
		-t | --timeout) ((i++)) ;;
		--configuration=* | --serverurl=* | --socket=*) _tvc_opts+=("$w") ;;
		-*) ;;
		*)
			cmd=$w
			ci=$i
			break
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		case $prev in
		-c | --configuration | -s | --serverurl | --socket)
			_taskvisorctl_reply "$cur" -f
			return
			;;
		-t | --timeout) return ;;
		esac
		if [[ $cur == -* ]]; then
			_taskvisorctl_reply "$cur" -W "-c --configuration -s --serverurl -j --json -t --timeout -h --help"
		else
			_taskvisorctl_reply "$cur" -W "$(_taskvisorctl_commands)"
		fi
		return
	fi

	n=$((cword - ci)) # 1: the first word after the command
	case $cmd in
	status | start | stop | restart | pid | clear)
		words="$(_taskvisorctl_names)"
		;;
	fg)
		[ "$n" -eq 1 ] && words="$(_taskvisorctl_names | grep -v -e '^all$' -e ':\*$')"
		;;
	signal)
		if [ "$n" -eq 1 ]; then
			words="TERM HUP INT QUIT KILL USR1 USR2 STOP CONT"
		else
			words="$(_taskvisorctl_names)"
		fi
		;;
	tail)
		case $prev in
		stdout | stderr) return ;;
		esac
		if [[ $cur == -* ]]; then
			words="-f"
		elif [[ $prev == -* || $prev == tail ]]; then
			words="$(_taskvisorctl_names | grep -v -e '^all$' -e ':\*$')"
		else
			words="stdout stderr"
		fi
		;;
	maintail) words="-f" ;;
	update) words="all $(_taskvisorctl_groups)" ;;
	add | remove) words="$(_taskvisorctl_groups)" ;;
	help) [ "$n" -eq 1 ] && words="$(_taskvisorctl_commands)" ;;
	open) [ "$n" -eq 1 ] && words="unix://" ;;
	check)
		case $prev in
		--label) words="$(_taskvisorctl_labels)" ;;
		--warn | --crit | --restarts-warn | --restarts-crit | --window) return ;;
		*)
			if [[ $cur == -* ]]; then
				words="--warn --crit --restarts-warn --restarts-crit --window --label --json"
			else
				words="processes memory queue paused stuck canary"
			fi
			;;
		esac
		;;
	recurring)
		if [ "$n" -eq 1 ]; then
			words="list show cancel"
		elif [ "$n" -eq 2 ] && [[ ${tw[ci + 1]} == show || ${tw[ci + 1]} == cancel ]]; then
			words="$(_taskvisorctl_ask recurring list | awk 'NR > 1 && /^[0-9a-f-]+ / {print $1}')"
		else
			words="--tasks --json"
		fi
		;;
	worker | workers)
		if [ "$n" -eq 1 ]; then
			words="list show"
		elif [ "$n" -eq 2 ] && [ "${tw[ci + 1]}" = show ]; then
			words="$(_taskvisorctl_workers)"
		else
			words="--json"
		fi
		;;
	queue | queues) words="list --json" ;;
	task | tasks)
		if [ "$n" -eq 1 ]; then
			words="$("${_tvc_prog:-taskvisorctl}" task --help 2>/dev/null | awk '$1 == "task" {print $2}')"
		else
			local sub=${tw[ci + 1]}
			case $prev in
			--format) words="csv html json" ;;
			--order) words="id label name state result started_at ended_at" ;;
			--states) words="stopped" ;;
			--file) _taskvisorctl_reply "$cur" -f && return ;;
			--input | --search | --limit | --start-at | --start-before | --cron | --iterations | --until | --after | --batch-size | --days) return ;;
			*)
				if [[ $cur == -* ]]; then
					words="$(_taskvisorctl_task_opts "$sub")"
				else
					case $sub in
					submit | schedule) [ "$n" -eq 2 ] && words="$(_taskvisorctl_labels)" ;;
					show | tail | resume | skip | cancel | unlock | force-unlock) words="$(_taskvisorctl_task_ids)" ;;
					esac
				fi
				;;
			esac
		fi
		;;
	esac
	[[ $cur == -* && $words != *--json* && $cmd != maintail && $cmd != tail ]] && words="$words --json"
	_taskvisorctl_reply "$cur" -W "$words"
}

complete -F _taskvisorctl taskvisorctl
