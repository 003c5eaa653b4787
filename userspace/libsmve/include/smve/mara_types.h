/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Userspace shim for the shared codec (kernel/mara.c, installed as
 * <smve/mara.h>): the kernel's fixed-width type names over <stdint.h>.
 * Define SMVE_NO_KTYPES before including if another header of yours
 * already defines u8..s64 with the same meaning.
 */
#ifndef SMVE_MARA_TYPES_H
#define SMVE_MARA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SMVE_NO_KTYPES
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#endif

#ifndef BIT
#define BIT(n) (1UL << (n))
#endif

#endif
