// SPDX-License-Identifier: GPL-2.0
/*
 * smve: Mara RS485 bus master line discipline.  Module parameters, the
 * device class and the line discipline registration.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "smve_priv.h"

atomic_long_t smve_objects = ATOMIC_LONG_INIT(0);
struct class *smve_class;

static int ldisc = SMVE_LDISC_DEFAULT;
module_param(ldisc, int, 0444);
MODULE_PARM_DESC(ldisc, "line discipline number (default 29, N_DEVELOPMENT)");

unsigned int smve_ring_records = 512;
static int ring_records_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < 16 || v > 65536)
		return -ERANGE;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops ring_records_ops = {
	.set = ring_records_set,
	.get = param_get_uint,
};

module_param_cb(ring_records, &ring_records_ops, &smve_ring_records, 0444);
MODULE_PARM_DESC(ring_records, "records per IED ring, 16..65536 (default 512)");

bool smve_fifo;
module_param_named(fifo, smve_fifo, bool, 0644);
MODULE_PARM_DESC(fifo, "run new bus threads SCHED_FIFO (default off)");

/* Read-only view of the live-object counter, for leak checks. */
static int objects_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&smve_objects));
}

static const struct kernel_param_ops objects_ops = {
	.get = objects_get,
};

module_param_cb(objects, &objects_ops, NULL, 0444);
MODULE_PARM_DESC(objects, "live buses, IEDs, open files and commands (read-only)");

static int __init smve_init(void)
{
	int ret;

	if (ldisc < 1 || ldisc >= NR_LDISCS) {
		pr_err("ldisc=%d out of range 1..%d\n", ldisc, NR_LDISCS - 1);
		return -EINVAL;
	}
	smve_class = smve_class_create("smve");
	if (IS_ERR(smve_class))
		return PTR_ERR(smve_class);
	ret = smve_ied_chrdev_init();
	if (ret)
		goto err_class;
	ret = smve_ldisc_register(ldisc);
	if (ret) {
		pr_err("cannot register line discipline %d: %d\n", ldisc, ret);
		goto err_chrdev;
	}
	return 0;

err_chrdev:
	smve_ied_chrdev_exit();
err_class:
	class_destroy(smve_class);
	return ret;
}

static void __exit smve_exit(void)
{
	smve_ldisc_unregister();
	smve_ied_chrdev_exit();
	class_destroy(smve_class);
	if (atomic_long_read(&smve_objects))
		pr_warn("%ld objects still alive at unload\n",
			atomic_long_read(&smve_objects));
}

module_init(smve_init);
module_exit(smve_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mara RS485 bus master line discipline");
MODULE_AUTHOR("SMVE project");
MODULE_VERSION("0.1.0");
MODULE_ALIAS_LDISC(SMVE_LDISC_DEFAULT);
