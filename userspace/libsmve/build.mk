# libsmve: the shared Mara codec (kernel/mara.c, compiled here too) plus the userspace-only parts.
LIBSMVE_SRCS := kernel/mara.c $(sort $(wildcard userspace/libsmve/src/*.c))
LIBSMVE_OBJS := $(LIBSMVE_SRCS:%.c=$(BUILD)/obj/%.o)
LIBSMVE_SO   := $(BUILD)/lib/libsmve.so.$(SOVERSION)
LIBSMVE_A    := $(BUILD)/lib/libsmve.a
LIBSMVE_PC   := $(BUILD)/lib/pkgconfig/libsmve.pc
# Programs link the static archive so they run in place from the build tree without rpath games;
# the shared library (with soname) is what `make install` ships for other programs.
LIBSMVE_LINK := $(LIBSMVE_A)

all: $(LIBSMVE_SO) $(LIBSMVE_A) $(LIBSMVE_PC)

$(LIBSMVE_A): $(LIBSMVE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBSMVE_SO): $(LIBSMVE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libsmve.so.$(SOVERSION) $(LDFLAGS_ALL) -o $@ $^
	ln -sf libsmve.so.$(SOVERSION) $(BUILD)/lib/libsmve.so

$(LIBSMVE_PC): userspace/libsmve/libsmve.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< >$@

.PHONY: install-libsmve
install: install-libsmve
install-libsmve: $(LIBSMVE_SO) $(LIBSMVE_A) $(LIBSMVE_PC)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/smve $(DESTDIR)$(PREFIX)/include/linux
	install -m 0644 $(LIBSMVE_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libsmve.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libsmve.so
	install -m 0644 $(LIBSMVE_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(LIBSMVE_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 userspace/libsmve/include/smve/*.h $(DESTDIR)$(PREFIX)/include/smve/
	if [ -f kernel/include/uapi/linux/smve.h ]; then install -m 0644 kernel/include/uapi/linux/smve.h $(DESTDIR)$(PREFIX)/include/linux/; fi
