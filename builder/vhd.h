/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_VHD_H
#define WGBAKE_VHD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * Azure's fixed VHD: the raw disk, its virtual size a whole number of MiB, followed by one
 * 512-byte footer (Microsoft's "Virtual Hard Disk Image Format Specification", 2006).
 * Everything here is pure: no I/O, no logging.
 */
#define VHD_FOOTER_SIZE 512
#define VHD_SECTOR 512
#define VHD_ALIGN (1024 * 1024)
#define VHD_TYPE_FIXED 2
/* Azure's limit for a page blob disk is 8 TiB less the footer; keep well inside int64. */
#define VHD_MAX_SIZE (UINT64_C(1) << 46)

struct vhd_geometry {
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors;
};

struct vhd_footer {
	char creator_app[4];
	uint32_t creator_version;
	uint32_t creator_os;
	uint32_t timestamp; /* seconds since 2000-01-01 00:00:00 UTC */
	uint64_t original_size;
	uint64_t current_size;
	struct vhd_geometry geometry;
	uint32_t disk_type;
	uint32_t checksum;
	uint8_t unique_id[16];
	uint8_t saved_state;
};

/* Rounds up to a whole MiB; false if the result would exceed VHD_MAX_SIZE. */
bool vhd_round_size(uint64_t size, uint64_t *ret);
/* CHS geometry of the spec's appendix, for a disk of total_sectors 512-byte sectors. */
struct vhd_geometry vhd_geometry_for(uint64_t total_sectors);
/*
 * The geometry a footer gets: the spec's when it multiplies out to exactly size bytes,
 * else 65535/16/255, which readers take to mean "use current_size".
 */
struct vhd_geometry vhd_footer_geometry(uint64_t size);
/* Seconds since 2000-01-01 UTC, clamped to 0..UINT32_MAX. */
uint32_t vhd_timestamp(time_t t);
/* One's complement of the byte sum of a footer, skipping the checksum field. */
uint32_t vhd_checksum(const uint8_t footer[VHD_FOOTER_SIZE]);

/*
 * Fills a footer for a fixed disk of `size` bytes (a multiple of 1 MiB): geometry as above,
 * creator "wgbk", host "Wi2k" (what qemu-img and Windows write), the given time and id.
 */
void vhd_footer_init(struct vhd_footer *f, uint64_t size, time_t now, const uint8_t id[16]);
void vhd_footer_pack(const struct vhd_footer *f, uint8_t out[VHD_FOOTER_SIZE]);
/*
 * Parses and checks a footer: cookie, version, checksum, fixed type. Returns 0, -EBADMSG
 * for a broken footer or -ENOTSUP for a valid one that is not a fixed disk.
 */
int vhd_footer_parse(const uint8_t in[VHD_FOOTER_SIZE], struct vhd_footer *ret);

#endif
