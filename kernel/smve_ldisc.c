// SPDX-License-Identifier: GPL-2.0
/*
 * tty hooks.  They only hand over and wake: receive_buf and write_wakeup
 * may run in atomic context, so bytes go into the bus FIFO and the bus
 * thread does all transmission and timing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>
#include <linux/uaccess.h>

#include "smve_priv.h"

static int smve_ldisc_open(struct tty_struct *tty)
{
	struct smve_bus *bus;

	/*
	 * TIOCSETD itself is unprivileged; taking over a serial port as a
	 * bus master is not.
	 */
	if (!capable(CAP_SYS_ADMIN) && !capable(CAP_SYS_TTY_CONFIG))
		return -EPERM;
	if (!tty->ops->write)
		return -EOPNOTSUPP;

	bus = smve_bus_create(tty);
	if (IS_ERR(bus))
		return PTR_ERR(bus);
	tty->disc_data = bus;
	tty->receive_room = 65536;
	return 0;
}

static void smve_ldisc_close(struct tty_struct *tty)
{
	struct smve_bus *bus = tty->disc_data;

	if (!bus)
		return;
	smve_bus_shutdown(bus);
	tty->disc_data = NULL;
	smve_bus_put(bus);
}

/* Readers must not stay blocked on a port that went away. */
static void smve_ldisc_hangup(struct tty_struct *tty)
{
	struct smve_bus *bus = tty->disc_data;

	if (bus)
		smve_bus_shutdown(bus);
}

static void smve_ldisc_receive(struct tty_struct *tty, const u8 *cp,
			       const SMVE_LDISC_FLAG *fp, SMVE_LDISC_COUNT count)
{
	struct smve_bus *bus = tty->disc_data;

	/* Flag bytes are TTY_NORMAL (0) or an error code in either type. */
	if (bus && count > 0)
		smve_bus_rx(bus, cp, (const u8 *)fp, count);
}

static void smve_ldisc_write_wakeup(struct tty_struct *tty)
{
	struct smve_bus *bus = tty->disc_data;

	clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	if (bus)
		smve_bus_kick(bus);
}

static void smve_ldisc_set_termios(struct tty_struct *tty,
				   const struct ktermios *old)
{
	struct smve_bus *bus = tty->disc_data;

	if (bus)
		smve_bus_termios(bus);
}

static ssize_t smve_ldisc_read(struct tty_struct *tty, struct file *file,
			       u8 *buf, size_t nr, void **cookie,
			       unsigned long offset)
{
	/* The tty belongs to the bus master; data is read from the nodes. */
	return -EIO;
}

static ssize_t smve_ldisc_write(struct tty_struct *tty, struct file *file,
				const u8 *buf, size_t nr)
{
	return -EIO;
}

static int bus_ioctl(struct smve_bus *bus, unsigned int cmd,
		     void __user *argp)
{
	union {
		struct smve_bus_config cfg;
		struct smve_bus_stats st;
		struct smve_bus_ieds ieds;
		struct smve_bus_layout layout;
	} *u;
	int ret = 0;

	/* Reading is for anyone with the tty open; changing needs admin. */
	if ((_IOC_DIR(cmd) & _IOC_WRITE || _IOC_DIR(cmd) == _IOC_NONE) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;

	switch (cmd) {
	case SMVE_IOC_BUS_GET_CONFIG:
		smve_bus_config_get(bus, &u->cfg);
		if (copy_to_user(argp, &u->cfg, sizeof(u->cfg)))
			ret = -EFAULT;
		break;
	case SMVE_IOC_BUS_SET_CONFIG:
		if (copy_from_user(&u->cfg, argp, sizeof(u->cfg)))
			ret = -EFAULT;
		else
			ret = smve_bus_config_set(bus, &u->cfg);
		break;
	case SMVE_IOC_BUS_GET_STATS:
		smve_bus_stats_fill(bus, &u->st);
		if (copy_to_user(argp, &u->st, sizeof(u->st)))
			ret = -EFAULT;
		break;
	case SMVE_IOC_BUS_RESET_STATS:
		smve_bus_stats_reset(bus);
		break;
	case SMVE_IOC_BUS_GET_IEDS: {
		unsigned int i;

		mutex_lock(&bus->lock);
		for (i = 0; i < bus->n_ieds; i++) {
			u8 a = bus->ieds[i]->addr;

			u->ieds.map[a / 64] |= 1ULL << (a % 64);
		}
		mutex_unlock(&bus->lock);
		if (copy_to_user(argp, &u->ieds, sizeof(u->ieds)))
			ret = -EFAULT;
		break;
	}
	case SMVE_IOC_BUS_SET_IEDS: {
		DECLARE_BITMAP(map, 256);
		unsigned int a;

		if (copy_from_user(&u->ieds, argp, sizeof(u->ieds))) {
			ret = -EFAULT;
			break;
		}
		bitmap_zero(map, 256);
		for (a = 0; a < 256; a++)
			if (u->ieds.map[a / 64] & (1ULL << (a % 64)))
				__set_bit(a, map);
		ret = smve_bus_set_ieds(bus, map);
		break;
	}
	case SMVE_IOC_BUS_GET_LAYOUT:
		ret = smve_bus_get_layout(bus, u->layout.text,
					  sizeof(u->layout.text));
		if (ret >= 0)
			ret = copy_to_user(argp, &u->layout,
					   sizeof(u->layout)) ? -EFAULT : 0;
		break;
	case SMVE_IOC_BUS_SET_LAYOUT:
		if (copy_from_user(&u->layout, argp, sizeof(u->layout))) {
			ret = -EFAULT;
			break;
		}
		ret = smve_bus_set_layout(bus, u->layout.text,
					  strnlen(u->layout.text,
						  sizeof(u->layout.text)));
		break;
	default:
		ret = -ENOIOCTLCMD;
	}
	kfree(u);
	return ret;
}

static int smve_ldisc_ioctl(struct tty_struct *tty, unsigned int cmd,
			    unsigned long arg)
{
	struct smve_bus *bus = tty->disc_data;

	if (_IOC_TYPE(cmd) == SMVE_IOC_MAGIC) {
		if (!bus)
			return -ENODEV;
		return bus_ioctl(bus, cmd, (void __user *)arg);
	}
	/* termios and the rest keep working (stty, tcsetattr). */
	return n_tty_ioctl_helper(tty, cmd, arg);
}

static struct tty_ldisc_ops smve_ldisc_ops = {
	.owner		= THIS_MODULE,
	.name		= "smve",
	.open		= smve_ldisc_open,
	.close		= smve_ldisc_close,
	.hangup		= smve_ldisc_hangup,
	.read		= smve_ldisc_read,
	.write		= smve_ldisc_write,
	.ioctl		= smve_ldisc_ioctl,
	.set_termios	= smve_ldisc_set_termios,
	.receive_buf	= smve_ldisc_receive,
	.write_wakeup	= smve_ldisc_write_wakeup,
};

int smve_ldisc_register(int num)
{
	smve_ldisc_ops.num = num;
	return tty_register_ldisc(&smve_ldisc_ops);
}

void smve_ldisc_unregister(void)
{
	tty_unregister_ldisc(&smve_ldisc_ops);
}
