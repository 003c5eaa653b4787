# Packaging of the kernel side: module sources for DKMS, udev rules, systemd unit, modprobe and
# sysusers configuration (`make install` runs install-kernel-files), plus the host build of the
# module's freestanding core for the unit tests (kernel/host.mk).
include kernel/host.mk

UDEV_RULES_DIR   ?= /etc/udev/rules.d
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
MODPROBE_DIR     ?= /etc/modprobe.d
SYSUSERS_DIR     ?= /etc/sysusers.d
DKMS_SRC_DIR     ?= /usr/src/smve-$(VERSION)
SMVE_DOC_DIR     ?= $(PREFIX)/share/doc/smve
KMOD_SOURCES     := Kbuild dkms.conf $(wildcard kernel/*.c kernel/*.h)

$(BUILD)/packaging/smve-bus@.service: packaging/systemd/smve-bus@.service.in
	@mkdir -p $(dir $@)
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@DOCDIR@|$(SMVE_DOC_DIR)|g' $< >$@

.PHONY: install-kernel-files
install: install-kernel-files
install-kernel-files: $(BUILD)/packaging/smve-bus@.service
	install -d $(DESTDIR)$(DKMS_SRC_DIR)/kernel/include/uapi/linux
	install -m 0644 Kbuild dkms.conf $(DESTDIR)$(DKMS_SRC_DIR)/
	install -m 0644 $(filter kernel/%,$(KMOD_SOURCES)) $(DESTDIR)$(DKMS_SRC_DIR)/kernel/
	install -m 0644 kernel/include/uapi/linux/smve.h $(DESTDIR)$(DKMS_SRC_DIR)/kernel/include/uapi/linux/
	install -d $(DESTDIR)$(UDEV_RULES_DIR) $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(MODPROBE_DIR) \
		$(DESTDIR)$(SYSUSERS_DIR) $(DESTDIR)$(SMVE_DOC_DIR) $(DESTDIR)/etc/smve
	install -m 0644 packaging/udev/60-smve.rules packaging/udev/61-smve-bus.rules $(DESTDIR)$(UDEV_RULES_DIR)/
	install -m 0644 $(BUILD)/packaging/smve-bus@.service $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	install -m 0644 packaging/modprobe/smve.conf $(DESTDIR)$(MODPROBE_DIR)/
	install -m 0644 packaging/sysusers/smve.conf $(DESTDIR)$(SYSUSERS_DIR)/
	install -m 0644 kernel/README.md $(DESTDIR)$(SMVE_DOC_DIR)/kernel-README.md
	@echo "smve: module sources in $(DESTDIR)$(DKMS_SRC_DIR); build with: dkms install smve/$(VERSION)"
