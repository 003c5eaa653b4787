/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows kernel versions: smve builds against Debian's
 * 6.1 and 6.12 kernels (standard and PREEMPT_RT).
 */
#ifndef SMVE_COMPAT_H
#define SMVE_COMPAT_H

#include <linux/device.h>
#include <linux/tty.h>
#include <linux/version.h>

/*
 * Parameters of tty_ldisc_ops.receive_buf: 6.6 turned the flags to u8 and
 * the count to size_t (6.1: const char *fp, int count).  There is no
 * feature macro to test, hence the version check.
 */
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#define SMVE_LDISC_FLAG		u8
#define SMVE_LDISC_COUNT	size_t
#else
#define SMVE_LDISC_FLAG		char
#define SMVE_LDISC_COUNT	int
#endif

/* 6.4 dropped the owner argument; before, class_create was a macro. */
#ifdef class_create
#define smve_class_create(name)	class_create(THIS_MODULE, name)
#else
#define smve_class_create(name)	class_create(name)
#endif

#endif /* SMVE_COMPAT_H */
