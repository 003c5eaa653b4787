#!/usr/bin/env bash
# Installs the Debian and npm packages SMVE needs for the given tiers (build, check, full, demo),
# or, when not root, stops with the exact command to run.  Package names live in
# packaging/deps/<tier>.txt (one per line, '#' comments); kernel header/image packages are chosen
# dynamically by scripts/kernel-pkgs.sh because the archive moves.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(build)

want=()
for t in "${tiers[@]}"; do
	f=$top/packaging/deps/$t.txt
	[ -f "$f" ] || continue
	# "package [command]": with a command, a machine that already has it (e.g. Node.js and npm
	# from another source, which conflict with Debian's packages) is not asked to install.
	while read -r p c _; do
		[ -n "$p" ] && [ "${p:0:1}" != "#" ] || continue
		[ -n "${c:-}" ] && [ "${c:0:1}" != "#" ] && command -v "$c" >/dev/null && continue
		want+=("$p")
	done <"$f"
done

# Kernel headers for the module builds and VM tests (check tier and above).
for t in "${tiers[@]}"; do
	case $t in
	check) [ -x "$top/scripts/kernel-pkgs.sh" ] && want+=($("$top/scripts/kernel-pkgs.sh" headers std)) ;;
	full) [ -x "$top/scripts/kernel-pkgs.sh" ] && want+=($("$top/scripts/kernel-pkgs.sh" headers rt)) ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	echo "deps: installed ${#missing[@]} packages"
fi

# npm development packages (browser tests, WebSocket oracle, uPlot) for the check tiers.
for t in "${tiers[@]}"; do
	case $t in
	check | full | demo)
		for d in "$top/tests/browser" "$top/web"; do
			[ -f "$d/package.json" ] || continue
			# npm ci leaves its hidden lock file in node_modules: without it (no folder, an
			# empty or half-installed one) or older than the lock file, install again.
			stamp=$d/node_modules/.package-lock.json
			if [ ! -f "$stamp" ] || [ "$d/package-lock.json" -nt "$stamp" ]; then
				(cd "$d" && npm ci --no-audit --no-fund --loglevel=error) || {
					echo "deps: npm ci failed in $d" >&2
					exit 1
				}
			fi
		done
		;;
	esac
done
exit 0
