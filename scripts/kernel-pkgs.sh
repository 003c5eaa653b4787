#!/usr/bin/env bash
# Names the Debian kernel packages SMVE builds and tests against, chosen dynamically (the archive
# moves; never hard-code an ABI number).  For each series (6.1, 6.12) the newest header package
# already installed wins, else the newest in the archive.
#   kernel-pkgs.sh releases std|rt   -> kernel release strings, e.g. 6.1.0-56-amd64
#   kernel-pkgs.sh headers  std|rt   -> linux-headers-<release> package names
#   kernel-pkgs.sh images   std|rt   -> linux-image-<release>-unsigned package names
set -euo pipefail
what=${1:?usage: kernel-pkgs.sh releases|headers|images std|rt}
flavour=${2:-std}
case $flavour in
std) suffix=amd64 ;;
rt) suffix=rt-amd64 ;;
*) echo "kernel-pkgs.sh: flavour must be std or rt" >&2; exit 2 ;;
esac

pick() { # $1: regex of the release part
	local re=$1 r
	r=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-*' 2>/dev/null |
		awk '/install ok installed/ {print $1}' | sed 's/^linux-headers-//' |
		grep -E "^${re}-${suffix}\$" | sort -V | tail -n 1 || true)
	if [ -z "$r" ]; then
		r=$(apt-cache search --names-only "^linux-headers-${re}-${suffix}\$" 2>/dev/null |
			awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1 || true)
	fi
	[ -n "$r" ] || { echo "kernel-pkgs.sh: no linux-headers-${re}-${suffix} in the archive (run apt-get update)" >&2; exit 1; }
	echo "$r"
}

releases=("$(pick '6\.1\.0-[0-9]+')" "$(pick '6\.12\.[0-9]+\+deb12')")
for r in "${releases[@]}"; do
	case $what in
	releases) echo "$r" ;;
	headers) echo "linux-headers-$r" ;;
	images) echo "linux-image-$r-unsigned" ;;
	*) echo "kernel-pkgs.sh: unknown query $what" >&2; exit 2 ;;
	esac
done
