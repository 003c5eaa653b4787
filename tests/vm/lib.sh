# shellcheck shell=bash
# Host-side building blocks of the QEMU test bed, sourced by tests/vm/run-vm, the vm-* and dkms
# suites and bench/vm-bus/run.  Everything is built under $VM (default $SMVE_BUILD/vm) and the
# downloaded Debian packages are cached in $SMVE_BUILD/.cache/kernel so that a second run needs no
# network.  Functions print a reason on stderr and return non-zero when something is missing; the
# callers turn that into a TAP skip or failure.

SMVE_TOP=${SMVE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SMVE_BUILD=${SMVE_BUILD:-$SMVE_TOP/build}
case $SMVE_BUILD in /*) ;; *) SMVE_BUILD=$SMVE_TOP/$SMVE_BUILD ;; esac
VM=${VM:-$SMVE_BUILD/vm}
VM_CACHE=$SMVE_BUILD/.cache/kernel
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_TESTLOGS=$SMVE_BUILD/test-logs

vm_log() { echo "# vm: $*" >&2; }

# vm_locked <name> <command...>: run a command holding $VM/.lock-<name>.  Several engineers and
# suites use the test bed at once: builds into shared directories and VM boots (which compete for
# the two cores and would skew each other's timing) are serialised.
vm_locked() {
	local name=$1 fd rc
	shift
	mkdir -p "$VM"
	exec {fd}>"$VM/.lock-$name"
	if ! flock -w 3600 "$fd"; then
		exec {fd}>&-
		echo "timed out waiting for $VM/.lock-$name" >&2
		return 1
	fi
	"$@"
	rc=$?
	exec {fd}>&-
	return $rc
}

# Monotonic seconds with sub-second resolution, for the timings the suites print.
vm_now() { awk '{print $1}' /proc/uptime; }
vm_elapsed() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN {printf "%.1f", b - a}'; }

# vm_release <series> [std|rt]: the Debian kernel release of series 6.1 or 6.12, chosen by
# scripts/kernel-pkgs.sh (never a hard-coded ABI number).
vm_release() {
	local series=$1 flavour=${2:-std} r
	for r in $("$SMVE_TOP/scripts/kernel-pkgs.sh" releases "$flavour"); do
		case $r in "$series".*) echo "$r"; return 0 ;; esac
	done
	echo "no $flavour kernel release of series $series (scripts/kernel-pkgs.sh)" >&2
	return 1
}

# vm_need_tools: everything the host side runs; names the first missing one.
vm_need_tools() {
	local t
	for t in qemu-system-x86_64 busybox cpio gcc make ldd dpkg-deb apt-get; do
		command -v "$t" >/dev/null 2>&1 || { echo "$t not installed (packaging/deps/check.txt)" >&2; return 1; }
	done
	[ -x /bin/busybox ] && file_is_static /bin/busybox ||
		{ echo "busybox-static not installed (the guest needs a static busybox)" >&2; return 1; }
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

# vm_kernel <release>: path of the guest kernel image.  The linux-image-<release>-unsigned package
# is downloaded with apt-get download into the cache and only its /boot is unpacked: it is never
# installed on the host.
vm_kernel() {
	vm_locked "kernel-$1" vm_kernel_unlocked "$1"
}

vm_kernel_unlocked() {
	local rel=$1 dir=$VM/kernel/$1 deb
	if [ ! -s "$dir/vmlinuz" ]; then
		mkdir -p "$VM_CACHE" "$dir"
		deb=$(ls "$VM_CACHE"/linux-image-"$rel"-unsigned_*.deb 2>/dev/null | tail -n 1)
		if [ -z "$deb" ]; then
			vm_log "downloading linux-image-$rel-unsigned"
			(cd "$VM_CACHE" && apt-get download "linux-image-$rel-unsigned" >/dev/null 2>&1) ||
				{ echo "cannot download linux-image-$rel-unsigned (apt-get update? network?)" >&2; return 1; }
			deb=$(ls "$VM_CACHE"/linux-image-"$rel"-unsigned_*.deb 2>/dev/null | tail -n 1)
		fi
		[ -n "$deb" ] || { echo "linux-image-$rel-unsigned: no package file after download" >&2; return 1; }
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" ./boot ||
			{ echo "cannot unpack $deb" >&2; return 1; }
		cp "$dir.tmp/boot/vmlinuz-$rel" "$dir/vmlinuz" && cp "$dir.tmp/boot/config-$rel" "$dir/config"
		rm -rf "$dir.tmp"
	fi
	# The guest needs nothing from /lib/modules: the 8250 UART, devtmpfs, unix sockets and the
	# initramfs formats are built in.  Refuse a kernel where that stops being true.
	local opt
	for opt in CONFIG_SERIAL_8250 CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD CONFIG_UNIX; do
		grep -q "^$opt=y" "$dir/config" || { echo "$rel: $opt is not built in" >&2; return 1; }
	done
	# Decompressing the bzImage under TCG costs 5-15 s per boot; Debian's kernels have a PVH
	# entry, so QEMU can start the uncompressed ELF directly.  Fall back to the bzImage when the
	# extraction does not give a complete ELF with that entry note.
	if [ ! -s "$dir/vmlinux" ] && grep -q '^CONFIG_PVH=y' "$dir/config"; then
		vm_extract_vmlinux "$dir/vmlinuz" "$dir/vmlinux.tmp" && mv "$dir/vmlinux.tmp" "$dir/vmlinux"
		rm -f "$dir/vmlinux.tmp"
	fi
	if [ -s "$dir/vmlinux" ]; then
		echo "$dir/vmlinux"
	else
		echo "$dir/vmlinuz"
	fi
}

# vm_extract_vmlinux <bzImage> <out>: the ELF kernel inside a bzImage (xz or zstd payload, the
# formats of Debian's 6.1 and 6.12).  The decompressors complain about the bytes that follow the
# payload, so success is judged on the result: a whole ELF (readelf reads its section table at
# the end of the file) carrying the PVH entry note (Xen note type 0x12).
vm_extract_vmlinux() {
	local in=$1 out=$2 off
	for fmt in xz zstd; do
		case $fmt in
		xz) magic='fd377a585a00' ;;
		zstd) magic='28b52ffd' ;;
		esac
		off=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(bytes.fromhex(sys.argv[2])))' \
			"$in" "$magic") || continue
		[ "$off" -ge 0 ] || continue
		tail -c +$((off + 1)) "$in" | "$fmt" -dc >"$out" 2>/dev/null
		if readelf -S "$out" >/dev/null 2>&1 && [ -z "$(readelf -S "$out" 2>&1 >/dev/null)" ] &&
			readelf -n "$out" 2>/dev/null | grep -q 'note type: (0x00000012)'; then
			return 0
		fi
	done
	return 1
}

# vm_headers <release>: the kernel build directory of the installed linux-headers package.
vm_headers() {
	local d=/usr/src/linux-headers-$1
	[ -f "$d/Makefile" ] || { echo "linux-headers-$1 not installed (scripts/deps.sh check)" >&2; return 1; }
	echo "$d"
}

# vm_module <release>: builds smve.ko for <release> out of the source tree (a copy of Kbuild and
# kernel/ in $VM/module-<release>, so that several releases can be built side by side) and prints
# its path.  Build output goes to $VM/module-<release>.log.
vm_module() {
	vm_locked "module-$1" vm_module_unlocked "$1"
}

vm_module_unlocked() {
	local rel=$1 kdir out=$VM/module-$1 log=$VM/module-$1.log
	kdir=$(vm_headers "$rel") || return 1
	[ -f "$SMVE_TOP/Kbuild" ] || { echo "no Kbuild at the top of the tree yet (kernel engineer)" >&2; return 1; }
	mkdir -p "$out"
	# Copy the sources only (an in-tree build may have left objects for another release) and keep
	# their times, so that make stays incremental across runs.
	tar -C "$SMVE_TOP" --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='modules.order' --exclude='Module.symvers' \
		-cf - Kbuild kernel | tar -C "$out" -xf - || return 1
	if ! make -C "$kdir" M="$out" modules >"$log" 2>&1; then
		echo "smve.ko does not build for $rel; see $log:" >&2
		grep -E 'error|Error' "$log" | head -n 15 >&2
		return 1
	fi
	local ko
	ko=$(find "$out" -name smve.ko | head -n 1)
	[ -n "$ko" ] || { echo "build for $rel produced no smve.ko" >&2; return 1; }
	echo "$ko"
}

# vm_ksft_dir: directory holding kselftest_harness.h and kselftest.h, taken from Debian's
# linux-source-6.1 tarball at build time (never committed).
vm_ksft_dir() {
	local d=$VM/ksft tarball
	if [ ! -f "$d/kselftest_harness.h" ]; then
		tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
		[ -n "$tarball" ] || { echo "linux-source-6.1 not installed (kselftest harness headers)" >&2; return 1; }
		rm -rf "$d.tmp" && mkdir -p "$d.tmp" "$d"
		tar -xf "$tarball" -C "$d.tmp" --wildcards '*/kselftest_harness.h' '*/kselftest.h' ||
			{ echo "cannot extract the kselftest headers from $tarball" >&2; return 1; }
		find "$d.tmp" -name 'kselftest*.h' -exec cp {} "$d/" \;
		rm -rf "$d.tmp"
	fi
	echo "$d"
}

# vm_build_guest_programs: builds every tests/kernel/*.c (kselftest harness programs) and the
# bench/vm-bus poller as static binaries into $VM/bin.  Each program is one .c file plus the
# shared tests/kernel/lib/*.c helpers.
vm_build_guest_programs() {
	local ksft src bin libs cflags rc=0
	ksft=$(vm_ksft_dir) || return 1
	mkdir -p "$VM/bin"
	libs=$(ls "$SMVE_TOP"/tests/kernel/lib/*.c 2>/dev/null)
	cflags=(-std=gnu11 -O2 -g -static -Wall -Wextra -Werror -Wno-unused-parameter
		-Wno-sign-compare -Wno-missing-field-initializers
		-I"$ksft" -I"$SMVE_TOP/tests/kernel/lib" -I"$SMVE_TOP/kernel/include/uapi"
		-I"$SMVE_TOP/kernel" -I"$SMVE_TOP/userspace/libsmve/include" -pthread)
	local libsmve=$SMVE_BUILD/lib/libsmve.a link
	for src in "$SMVE_TOP"/tests/kernel/*.c "$SMVE_TOP"/bench/vm-bus/*.c; do
		[ -f "$src" ] || continue
		bin=$VM/bin/$(basename "$src" .c)
		# Test programs share tests/kernel/lib; the benchmark poller is a libsmve program.
		case $src in
		*/bench/*)
			[ -f "$libsmve" ] || { echo "$libsmve not built (make): skipping $(basename "$src")" >&2; continue; }
			link=$libsmve
			;;
		*) link=$libs ;;
		esac
		if [ ! -x "$bin" ] || [ -n "$(find "$src" "$SMVE_TOP/tests/kernel/lib" "$SMVE_TOP/kernel/include" \
			"$SMVE_TOP/kernel/mara.h" ${link:+$link} -newer "$bin" 2>/dev/null | head -n 1)" ]; then
			# shellcheck disable=SC2086
			if ! gcc "${cflags[@]}" -o "$bin" "$src" $link \
				>"$bin.log" 2>&1; then
				echo "cannot build $(basename "$src"):" >&2
				head -n 20 "$bin.log" >&2
				rc=1
			fi
		fi
	done
	return $rc
}

# vm_copy_with_libs <stage> <binary>...: copies dynamically linked binaries into the initramfs
# stage together with every library ldd names (including the loader).
vm_copy_with_libs() {
	local stage=$1 f lib
	shift
	for f in "$@"; do
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
		for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
	done
}

# vm_base_initramfs: the release-independent part of the guest (busybox, util-linux ldattach,
# systemd-udevd + udevadm with the shipped rules, the init script, the test programs), as an
# uncompressed newc archive.  The module and the scenario are appended as further archives (the
# kernel unpacks concatenated archives in order).
vm_base_initramfs() {
	vm_locked base vm_base_initramfs_unlocked
}

vm_base_initramfs_unlocked() {
	local stage out=$VM/base.cpio
	vm_build_guest_programs || return 1
	stage=$(mktemp -d "$VM/stage-base.XXXXXX") || return 1
	mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,tests,lib/modules,lib/udev/rules.d,etc/udev/rules.d,var/log}
	cp /bin/busybox "$stage/bin/busybox"
	local applet
	for applet in $("$stage/bin/busybox" --list); do
		[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
	done
	# util-linux's ldattach (busybox has none); udevd is the same binary as udevadm in Debian 12.
	vm_copy_with_libs "$stage" /usr/sbin/ldattach /usr/bin/udevadm || return 1
	ln -sf /usr/bin/udevadm "$stage/bin/udevd"
	# smvectl runs the bus the way the smve-bus@TTY unit does (PEH gated on clock sync).
	if [ -x "$SMVE_BUILD/bin/smvectl" ]; then
		mkdir -p "$stage/usr/bin"
		vm_copy_with_libs "$stage" "$SMVE_BUILD/bin/smvectl" || return 1
		mv "$stage$SMVE_BUILD/bin/smvectl" "$stage/usr/bin/smvectl"
	fi
	mkdir -p "$stage/lib/systemd" && ln -sf /usr/bin/udevadm "$stage/lib/systemd/systemd-udevd"
	local rules
	for rules in "$SMVE_TOP"/packaging/udev/*.rules; do
		[ -f "$rules" ] && cp "$rules" "$stage/lib/udev/rules.d/"
	done
	# The shipped rules name groups; udevd resolves them through the files NSS built into glibc.
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
	printf 'root:x:0:\ndialout:x:20:\nsmve:x:990:\nsmve-ctl:x:991:\n' >"$stage/etc/group"
	cp "$SMVE_TOP/tests/vm/guest-init" "$stage/init"
	chmod 755 "$stage/init"
	cp "$VM"/bin/* "$stage/tests/" 2>/dev/null
	rm -f "$stage"/tests/*.log
	# Renamed into place: a boot that is concatenating the previous archive keeps reading it.
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp.$$" ||
		{ rm -rf "$stage" "$out.tmp.$$"; return 1; }
	mv -f "$out.tmp.$$" "$out"
	rm -rf "$stage"
	echo "$out"
}

# vm_cpio_files <out.cpio> <dest=src>...: a small archive holding the given files.
vm_cpio_files() {
	local out=$1 stage pair
	shift
	stage=$(mktemp -d "$VM/stage.XXXXXX")
	for pair in "$@"; do
		mkdir -p "$stage/$(dirname "${pair%%=*}")"
		cp "${pair#*=}" "$stage/${pair%%=*}"
	done
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out"
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# vm_sim_binary: smve-sim from the userspace build, or empty when it is not built.
vm_sim_binary() {
	local b=$SMVE_BUILD/bin/smve-sim
	[ -x "$b" ] && echo "$b"
}

# Kernel messages that fail the "dmesg clean" test.
# shellcheck disable=SC2034 # used by run-vm
VM_DMESG_BAD='WARNING:|BUG:|BUG |Oops|general protection fault|sleeping function called from invalid context|KASAN|UBSAN|kernel BUG|Call Trace|list_(add|del) corruption|refcount_t: |INFO: task .* blocked|rcu_.*stall|Kernel panic|double free|use-after-free|scheduling while atomic|lockdep|possible recursive locking|circular locking'
