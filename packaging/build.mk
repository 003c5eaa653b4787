# Packaging of the kernel side: DKMS source tree, udev rules, systemd units, modprobe/modules-load
# configuration, and the host build of the module's freestanding core for the unit tests.
include kernel/host.mk
