// SPDX-License-Identifier: MIT
/*
 * The fixed-VHD footer, field by field as in the spec's "Hard Disk Footer Format". All
 * numbers are big-endian.
 */
#include <errno.h>
#include <string.h>

#include "vhd.h"

#define VHD_COOKIE "conectix"
#define VHD_FEATURES 0x00000002u /* "reserved", must always be set */
#define VHD_VERSION 0x00010000u
#define VHD_OS_WI2K 0x5769326bu
#define VHD_CREATOR_VERSION 0x00010000u
/* 2000-01-01 00:00:00 UTC as a Unix time. */
#define VHD_EPOCH 946684800

enum {
	OFF_COOKIE = 0,
	OFF_FEATURES = 8,
	OFF_VERSION = 12,
	OFF_DATA_OFFSET = 16,
	OFF_TIMESTAMP = 24,
	OFF_CREATOR_APP = 28,
	OFF_CREATOR_VERSION = 32,
	OFF_CREATOR_OS = 36,
	OFF_ORIGINAL_SIZE = 40,
	OFF_CURRENT_SIZE = 48,
	OFF_CYLINDERS = 56,
	OFF_HEADS = 58,
	OFF_SECTORS = 59,
	OFF_DISK_TYPE = 60,
	OFF_CHECKSUM = 64,
	OFF_UNIQUE_ID = 68,
	OFF_SAVED_STATE = 84,
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

bool vhd_round_size(uint64_t size, uint64_t *ret)
{
	uint64_t r;

	if (size > VHD_MAX_SIZE)
		return false;
	r = (size + VHD_ALIGN - 1) / VHD_ALIGN * VHD_ALIGN;
	if (r == 0)
		r = VHD_ALIGN;
	if (r > VHD_MAX_SIZE)
		return false;
	*ret = r;
	return true;
}

struct vhd_geometry vhd_geometry_for(uint64_t total_sectors)
{
	uint64_t cylinder_times_heads, sectors_per_track, heads;

	/* Verbatim from the spec's appendix, including its cap at about 127 GiB. */
	if (total_sectors > 65535ull * 16 * 255)
		total_sectors = 65535ull * 16 * 255;
	if (total_sectors >= 65535ull * 16 * 63) {
		sectors_per_track = 255;
		heads = 16;
		cylinder_times_heads = total_sectors / sectors_per_track;
	} else {
		sectors_per_track = 17;
		cylinder_times_heads = total_sectors / sectors_per_track;
		heads = (cylinder_times_heads + 1023) / 1024;
		if (heads < 4)
			heads = 4;
		if (cylinder_times_heads >= heads * 1024 || heads > 16) {
			sectors_per_track = 31;
			heads = 16;
			cylinder_times_heads = total_sectors / sectors_per_track;
		}
		if (cylinder_times_heads >= heads * 1024) {
			sectors_per_track = 63;
			heads = 16;
			cylinder_times_heads = total_sectors / sectors_per_track;
		}
	}
	return (struct vhd_geometry){
		.cylinders = (uint16_t)(cylinder_times_heads / heads),
		.heads = (uint8_t)heads,
		.sectors = (uint8_t)sectors_per_track,
	};
}

struct vhd_geometry vhd_footer_geometry(uint64_t size)
{
	uint64_t sectors = size / VHD_SECTOR;
	struct vhd_geometry g = vhd_geometry_for(sectors);

	/*
	 * CHS describes the disk only when it multiplies out to its size. Otherwise write the
	 * spec's largest geometry, which qemu (and qemu-img's force_size), Hyper-V and Azure
	 * all read as "the size is current_size"; Virtual PC-style readers that trust CHS
	 * would otherwise see a disk cut short by up to a cylinder.
	 */
	if ((uint64_t)g.cylinders * g.heads * g.sectors != sectors)
		g = (struct vhd_geometry){.cylinders = 65535, .heads = 16, .sectors = 255};
	return g;
}

uint32_t vhd_timestamp(time_t t)
{
	long long d = (long long)t - VHD_EPOCH;

	if (d < 0)
		return 0;
	if (d > (long long)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)d;
}

uint32_t vhd_checksum(const uint8_t footer[VHD_FOOTER_SIZE])
{
	uint32_t sum = 0;

	for (size_t i = 0; i < VHD_FOOTER_SIZE; i++)
		if (i < OFF_CHECKSUM || i >= OFF_CHECKSUM + 4)
			sum += footer[i];
	return ~sum;
}

void vhd_footer_init(struct vhd_footer *f, uint64_t size, time_t now, const uint8_t id[16])
{
	memset(f, 0, sizeof(*f));
	memcpy(f->creator_app, "wgbk", 4);
	f->creator_version = VHD_CREATOR_VERSION;
	f->creator_os = VHD_OS_WI2K;
	f->timestamp = vhd_timestamp(now);
	f->original_size = size;
	f->current_size = size;
	f->geometry = vhd_footer_geometry(size);
	f->disk_type = VHD_TYPE_FIXED;
	memcpy(f->unique_id, id, sizeof(f->unique_id));
}

void vhd_footer_pack(const struct vhd_footer *f, uint8_t out[VHD_FOOTER_SIZE])
{
	memset(out, 0, VHD_FOOTER_SIZE);
	memcpy(out + OFF_COOKIE, VHD_COOKIE, 8);
	put_be32(out + OFF_FEATURES, VHD_FEATURES);
	put_be32(out + OFF_VERSION, VHD_VERSION);
	put_be64(out + OFF_DATA_OFFSET, UINT64_MAX); /* fixed disks have no dynamic header */
	put_be32(out + OFF_TIMESTAMP, f->timestamp);
	memcpy(out + OFF_CREATOR_APP, f->creator_app, 4);
	put_be32(out + OFF_CREATOR_VERSION, f->creator_version);
	put_be32(out + OFF_CREATOR_OS, f->creator_os);
	put_be64(out + OFF_ORIGINAL_SIZE, f->original_size);
	put_be64(out + OFF_CURRENT_SIZE, f->current_size);
	put_be16(out + OFF_CYLINDERS, f->geometry.cylinders);
	out[OFF_HEADS] = f->geometry.heads;
	out[OFF_SECTORS] = f->geometry.sectors;
	put_be32(out + OFF_DISK_TYPE, f->disk_type);
	memcpy(out + OFF_UNIQUE_ID, f->unique_id, 16);
	out[OFF_SAVED_STATE] = f->saved_state;
	put_be32(out + OFF_CHECKSUM, vhd_checksum(out));
}

int vhd_footer_parse(const uint8_t in[VHD_FOOTER_SIZE], struct vhd_footer *ret)
{
	struct vhd_footer f = {0};

	if (memcmp(in + OFF_COOKIE, VHD_COOKIE, 8) != 0)
		return -EBADMSG;
	if (get_be32(in + OFF_VERSION) != VHD_VERSION)
		return -EBADMSG;
	f.checksum = get_be32(in + OFF_CHECKSUM);
	if (f.checksum != vhd_checksum(in))
		return -EBADMSG;
	memcpy(f.creator_app, in + OFF_CREATOR_APP, 4);
	f.creator_version = get_be32(in + OFF_CREATOR_VERSION);
	f.creator_os = get_be32(in + OFF_CREATOR_OS);
	f.timestamp = get_be32(in + OFF_TIMESTAMP);
	f.original_size = get_be64(in + OFF_ORIGINAL_SIZE);
	f.current_size = get_be64(in + OFF_CURRENT_SIZE);
	f.geometry.cylinders = get_be16(in + OFF_CYLINDERS);
	f.geometry.heads = in[OFF_HEADS];
	f.geometry.sectors = in[OFF_SECTORS];
	f.disk_type = get_be32(in + OFF_DISK_TYPE);
	memcpy(f.unique_id, in + OFF_UNIQUE_ID, 16);
	f.saved_state = in[OFF_SAVED_STATE];
	if (f.disk_type != VHD_TYPE_FIXED)
		return -ENOTSUP;
	if (get_be64(in + OFF_DATA_OFFSET) != UINT64_MAX)
		return -EBADMSG;
	*ret = f;
	return 0;
}
