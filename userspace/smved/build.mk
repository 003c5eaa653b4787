# smved, the daemon.  Everything but main.c also goes into an internal archive so unit tests
# (tests/unit/test_smved_*.c) can link the modules they exercise.
SMVED_SRCS     := $(sort $(wildcard userspace/smved/*.c))
SMVED_OBJS     := $(SMVED_SRCS:%.c=$(BUILD)/obj/%.o)
SMVED_LIBOBJS  := $(filter-out $(BUILD)/obj/userspace/smved/main.o,$(SMVED_OBJS))
SMVED_LIB      := $(BUILD)/lib/libsmved-internal.a
SMVED_PKGS     := libevent libevent_openssl libudev sqlite3 jansson inih openssl
SMVED_CFLAGS   := $(shell pkg-config --cflags $(SMVED_PKGS) 2>/dev/null)
# wslay ships no pkg-config file in Debian 12.
SMVED_LIBS     := $(shell pkg-config --libs $(SMVED_PKGS) 2>/dev/null) -lwslay -lm

$(SMVED_OBJS): XCFLAGS += $(SMVED_CFLAGS) -I$(TOP)/userspace/smved
# The installed default web root is PREFIX/share/smve/web (log.c).
$(BUILD)/obj/userspace/smved/log.o: XCFLAGS += -DSMVE_PREFIX='"$(PREFIX)"'

ifneq ($(SMVED_SRCS),)
all: $(BUILD)/bin/smved
$(BUILD)/bin/smved: $(SMVED_OBJS) $(LIBSMVE_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SMVED_LIBS)

$(SMVED_LIB): $(SMVED_LIBOBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

.PHONY: install-smved
install: install-smved
install-smved: $(BUILD)/bin/smved
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/smve/web
	install -m 0755 $(BUILD)/bin/smved $(DESTDIR)$(PREFIX)/sbin/
	if [ -d web ]; then cp -r web/. $(DESTDIR)$(PREFIX)/share/smve/web/; fi
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/share/smve/examples/station
	sed 's|@PREFIX@|$(PREFIX)|g' packaging/systemd/smved.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/smved.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/smved.service
	install -m 0644 packaging/systemd/smve.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/smve.conf
	install -m 0644 examples/smved.conf $(DESTDIR)$(PREFIX)/share/smve/examples/
	install -m 0644 examples/station/*.csv $(DESTDIR)$(PREFIX)/share/smve/examples/station/
endif
