/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_IMGFORMAT_H
#define WGBAKE_IMGFORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * What a base image is, decided from its bytes only: never from its name, and never by
 * letting libguestfs or qemu probe (a raw image whose first bytes look like a qcow2 header
 * would otherwise be opened as one).
 */
enum img_format {
	IMG_UNKNOWN,
	IMG_RAW, /* a partitioned disk (MBR or GPT) or a bare ext2/3/4, XFS or btrfs volume */
	IMG_QCOW2,
	IMG_VPC,  /* a VHD, fixed or dynamic (qemu calls it "vpc") */
	IMG_GZIP, /* archives: a tar inside, or one image compressed */
	IMG_XZ,
	IMG_TAR,
	IMG_ZIP,
	/* recognised, and refused by name */
	IMG_VHDX,
	IMG_VMDK,
	IMG_ZSTD,
};

/* How many bytes img_detect() wants from the start and from the end of the file. */
#define IMG_HEAD_SIZE 0x10048 /* btrfs keeps its magic at 64 KiB + 64 */
#define IMG_TAIL_SIZE 512

struct img_info {
	enum img_format format;
	uint64_t virtual_size; /* the disk's size; 0 for archives */
};

/*
 * Pure. head holds the first min(size, IMG_HEAD_SIZE) bytes, tail the last
 * min(size, IMG_TAIL_SIZE). Returns 0, -EBADMSG for bytes that are no disk format we know
 * (ret->format = IMG_UNKNOWN) or a header that contradicts itself (a qcow2 of size 0).
 */
int img_detect(const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len,
	       uint64_t size, struct img_info *ret);

/* "raw", "qcow2", "vpc" (qemu's names), "gzip", ...; "unknown". */
const char *img_format_name(enum img_format f);
/* Formats libguestfs may open directly. */
int img_format_is_disk(enum img_format f);
int img_format_is_archive(enum img_format f);

/* I/O: reads the head and tail of path and detects. Doesn't log. */
int img_probe(const char *path, struct img_info *ret);

#endif
