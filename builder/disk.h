/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_DISK_H
#define WGBAKE_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ranges.h"
#include "vhd.h"

/*
 * A disk image seen as what its fixed VHD will hold: `size` bytes of disk (a whole number
 * of MiB, zero-padded past the input's end) and a footer. Raw images are read directly;
 * qcow2, dynamic VHD, VHDX and VMDK through a sparse raw copy that qemu-img makes; fixed
 * VHDs directly, keeping their footer when their size is a whole number of MiB.
 */
enum disk_format {
	DISK_AUTO,
	DISK_RAW,
	DISK_QCOW2,
	DISK_VHD,	  /* fixed; a dynamic or differencing one is DISK_VHD_DYNAMIC */
	DISK_VHD_DYNAMIC, /* read through qemu-img, like the next two */
	DISK_VHDX,
	DISK_VMDK,
};

#define DISK_DIGEST_BYTES 32

struct disk {
	int fd;
	const char *path;
	enum disk_format format;
	uint64_t input_size; /* the input's virtual size */
	uint64_t size;	     /* rounded up to 1 MiB */
	time_t mtime;
	uint8_t footer[VHD_FOOTER_SIZE];
	bool keep_footer; /* a fixed VHD of a whole number of MiB: its footer goes up as is */
	struct extents data; /* page-aligned, non-zero, ascending; after disk_scan() */
	uint64_t data_bytes;
	/* BLAKE2b-256 over the size, every non-zero page with its offset, and the footer. */
	uint8_t digest[DISK_DIGEST_BYTES];
};

int disk_format_parse(const char *s, enum disk_format *ret);
const char *disk_format_name(enum disk_format f);
/* Opens and sizes the image, converting qcow2 to a temporary raw file. Logs. */
int disk_open(const char *path, enum disk_format format, struct disk *ret);
/* Finds the non-zero pages (skipping holes), computes the digest and the footer. Logs. */
int disk_scan(struct disk *d);
/* Reads [off, off+len) of the VHD (disk, zero padding, footer) into buf. Logs. */
int disk_read(const struct disk *d, uint64_t off, void *buf, size_t len);
/*
 * Writes the fixed VHD to out (through a temporary file and rename): the non-zero pages,
 * holes for the rest, the footer. After disk_scan(). Logs.
 */
int disk_write_vhd(const struct disk *d, const char *out);
void disk_close(struct disk *d);
/* Pure: is this buffer all zeros? */
bool buffer_is_zero(const void *buf, size_t len);

#endif
