# The HMI is static files served from web/ as they are; only third-party browser libraries are
# produced at build time: uPlot comes from its npm package (web/package.json + lock file) and is
# copied into $(BUILD)/web-vendor/, which smved serves under /vendor/.  Nothing vendored is
# committed.  Without npm (a build-only machine) the copy is skipped with a notice: the HMI still
# works, only the trend and energy plots say that their library is missing.
WEB_VENDOR     := $(BUILD)/web-vendor
WEB_UPLOT_SRC  := web/node_modules/uplot/dist
WEB_UPLOT_OUT  := $(WEB_VENDOR)/uplot/uPlot.esm.js $(WEB_VENDOR)/uplot/uPlot.min.css

.PHONY: web-vendor
all: web-vendor

web-vendor:
	@if [ ! -f $(WEB_UPLOT_SRC)/uPlot.esm.js ]; then \
		if command -v npm >/dev/null 2>&1; then \
			echo "  NPM     web (npm ci: uplot)"; \
			npm ci --prefix web --no-audit --no-fund --loglevel=error >/dev/null || exit 1; \
		else \
			echo "  NOTE    npm not found: uPlot not vendored, HMI trends disabled"; exit 0; \
		fi; \
	fi; \
	mkdir -p $(WEB_VENDOR)/uplot && \
	for f in uPlot.esm.js uPlot.min.css; do \
		cmp -s $(WEB_UPLOT_SRC)/$$f $(WEB_VENDOR)/uplot/$$f || cp $(WEB_UPLOT_SRC)/$$f $(WEB_VENDOR)/uplot/$$f; \
	done; \
	cp -f web/node_modules/uplot/LICENSE $(WEB_VENDOR)/uplot/LICENSE 2>/dev/null || true

.PHONY: install-web
install: install-web
install-web: web-vendor
	install -d $(DESTDIR)$(PREFIX)/share/smve/web-vendor
	if [ -d $(WEB_VENDOR) ]; then cp -r $(WEB_VENDOR)/. $(DESTDIR)$(PREFIX)/share/smve/web-vendor/; fi

# A complete web root for smved in one folder: the HMI, vendor/ and the screens of WEB_SCREENS
# (SVGs and the screens/eg sheets), for `web_root = build/www` until smved serves /vendor/ and
# /screens/ itself (web/README.md).
WEB_SCREENS ?= examples/station
WEB_ROOT_OUT := $(BUILD)/www

.PHONY: web-root
web-root: web-vendor
	@rm -rf $(WEB_ROOT_OUT) && mkdir -p $(WEB_ROOT_OUT)/screens
	@cp -r web/index.html web/css web/js $(WEB_ROOT_OUT)/
	@if [ -d $(WEB_VENDOR) ]; then cp -r $(WEB_VENDOR) $(WEB_ROOT_OUT)/vendor; fi
	@cp $(wildcard $(WEB_SCREENS)/*.svg) $(wildcard $(WEB_SCREENS)/screens.csv) $(wildcard $(WEB_SCREENS)/eg.csv) $(WEB_ROOT_OUT)/screens/
	@echo "  WEB     $(WEB_ROOT_OUT) (screens from $(WEB_SCREENS))"
