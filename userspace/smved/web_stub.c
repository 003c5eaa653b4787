// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Weak stand-ins for the web half's hooks (smved.h), so that the core links
 * and runs (sources, store, journal; no HTTP) in a tree or a build where
 * the web half is absent.  The web half's strong definitions replace them.
 * They accept no keys, so a configuration that uses web keys fails the
 * check with "unknown key" rather than being silently ignored.
 */
#include <stdio.h>
#include <stdlib.h>

#include "smved.h"

struct web_config {
	int unused;
};

__attribute__((weak)) struct web_config *web_config_new(void)
{
	return calloc(1, sizeof(struct web_config));
}

__attribute__((weak)) void web_config_free(struct web_config *wc)
{
	free(wc);
}

__attribute__((weak)) int web_config_key(struct web_config *wc,
					 const char *section, const char *key,
					 const char *value, char *err,
					 size_t errlen)
{
	(void)wc; (void)section; (void)key; (void)value; (void)err; (void)errlen;
	return 1;
}

__attribute__((weak)) int web_config_finish(struct web_config *wc, char *err,
					    size_t errlen)
{
	(void)wc; (void)err; (void)errlen;
	return 0;
}

__attribute__((weak)) int web_start(struct smved *sm,
				    const struct web_config *wc)
{
	(void)sm; (void)wc;
	smved_log(LOG_WARNING, "built without the web half: no HTTP, REST or WebSocket");
	return 0;
}

__attribute__((weak)) int web_reload(struct smved *sm,
				     const struct web_config *wc)
{
	(void)sm; (void)wc;
	return 0;
}

__attribute__((weak)) void web_stop(struct smved *sm)
{
	sm->web = NULL;
}

__attribute__((weak)) int web_add_user(struct smved *sm,
				       const struct web_config *wc,
				       const char *name, const char *role,
				       const char *password, char *err,
				       size_t errlen)
{
	(void)sm; (void)wc; (void)name; (void)role; (void)password;
	snprintf(err, errlen, "this smved was built without user management (the web half)");
	return -1;
}
