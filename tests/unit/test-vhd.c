// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../builder/vhd.h"

/* The footer qemu-img 7.2 wrote for a 10 MiB disk with -o subformat=fixed,force_size. */
static const uint8_t QEMU_10M[96] = {
	0x63, 0x6f, 0x6e, 0x65, 0x63, 0x74, 0x69, 0x78, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00,
	0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x32, 0x9c, 0x1d, 0xd6, 0x71, 0x65,
	0x6d, 0x32, 0x00, 0x05, 0x00, 0x03, 0x57, 0x69, 0x32, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x00, 0xff, 0xff, 0x10, 0xff,
	0x00, 0x00, 0x00, 0x02, 0xff, 0xff, 0xe4, 0x0c, 0xf7, 0x95, 0x86, 0x95, 0x97, 0x79, 0x47,
	0x11, 0xba, 0x36, 0x56, 0x63, 0x35, 0x8a, 0x91, 0xa9, 0x00,
};

static void qemu_footer(uint8_t out[VHD_FOOTER_SIZE])
{
	memset(out, 0, VHD_FOOTER_SIZE);
	memcpy(out, QEMU_10M, sizeof(QEMU_10M));
}

TEST(vhd_round_size_to_mib)
{
	uint64_t r = 0;

	CHECK(vhd_round_size(1, &r));
	CHECK_EQ(r, 1024 * 1024);
	CHECK(vhd_round_size(0, &r));
	CHECK_EQ(r, 1024 * 1024);
	CHECK(vhd_round_size(1024 * 1024, &r));
	CHECK_EQ(r, 1024 * 1024);
	CHECK(vhd_round_size(1024 * 1024 + 512, &r));
	CHECK_EQ(r, 2 * 1024 * 1024);
	CHECK(vhd_round_size(30ull * 1000 * 1000 * 1000, &r));
	CHECK_EQ(r, 28611ull * 1024 * 1024);
	CHECK(!vhd_round_size(VHD_MAX_SIZE + 1, &r));
	CHECK(!vhd_round_size(UINT64_MAX, &r));
}

TEST(vhd_geometry_follows_the_spec)
{
	struct vhd_geometry g;

	g = vhd_geometry_for(17 * 2048); /* 17 MiB: 512 x 4 x 17 exactly */
	CHECK_EQ(g.cylinders, 512);
	CHECK_EQ(g.heads, 4);
	CHECK_EQ(g.sectors, 17);
	g = vhd_geometry_for(10 * 2048);
	CHECK_EQ(g.cylinders, 301);
	CHECK_EQ(g.heads, 4);
	CHECK_EQ(g.sectors, 17);
	g = vhd_geometry_for(1024ull * 2048); /* 1 GiB: past 17 x 16 x 1024, so 63 sectors */
	CHECK_EQ(g.sectors, 63);
	CHECK_EQ(g.heads, 16);
	CHECK_EQ(g.cylinders, 2080);
	g = vhd_geometry_for(40ull * 1024 * 2048); /* 40 GiB: 255 sectors per track */
	CHECK_EQ(g.cylinders, 20560);
	CHECK_EQ(g.heads, 16);
	CHECK_EQ(g.sectors, 255);
	g = vhd_geometry_for(1ull << 40); /* capped */
	CHECK_EQ(g.cylinders, 65535);
	CHECK_EQ(g.heads, 16);
	CHECK_EQ(g.sectors, 255);
}

TEST(vhd_footer_geometry_is_exact_or_max)
{
	struct vhd_geometry g = vhd_footer_geometry(17ull * 1024 * 1024);

	CHECK_EQ(g.cylinders, 512);
	g = vhd_footer_geometry(10ull * 1024 * 1024);
	CHECK_EQ(g.cylinders, 65535);
	CHECK_EQ(g.heads, 16);
	CHECK_EQ(g.sectors, 255);
}

TEST(vhd_parses_qemu_img_footer)
{
	uint8_t b[VHD_FOOTER_SIZE];
	struct vhd_footer f;

	qemu_footer(b);
	CHECK_EQ(vhd_footer_parse(b, &f), 0);
	CHECK_EQ(f.current_size, 10 * 1024 * 1024);
	CHECK_EQ(f.original_size, 10 * 1024 * 1024);
	CHECK_EQ(f.disk_type, VHD_TYPE_FIXED);
	CHECK_EQ(f.checksum, 0xffffe40c);
	CHECK_EQ(vhd_checksum(b), 0xffffe40c);
	CHECK_EQ(f.geometry.cylinders, 65535);
	CHECK_MEMEQ(f.creator_app, "qem2", 4);
	CHECK_EQ(f.timestamp, 0x329c1dd6);
}

TEST(vhd_pack_matches_qemu_byte_for_byte)
{
	uint8_t want[VHD_FOOTER_SIZE], got[VHD_FOOTER_SIZE];
	struct vhd_footer f;

	qemu_footer(want);
	CHECK_EQ(vhd_footer_parse(want, &f), 0);
	vhd_footer_pack(&f, got);
	CHECK_MEMEQ(got, want, VHD_FOOTER_SIZE);
}

TEST(vhd_init_and_roundtrip)
{
	static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t b[VHD_FOOTER_SIZE], q[VHD_FOOTER_SIZE];
	struct vhd_footer f, back;

	vhd_footer_init(&f, 10 * 1024 * 1024, 946684800 + 0x329c1dd6, id);
	CHECK_EQ(f.timestamp, 0x329c1dd6);
	vhd_footer_pack(&f, b);
	CHECK_EQ(vhd_footer_parse(b, &back), 0);
	CHECK_MEMEQ(back.unique_id, id, 16);
	CHECK_MEMEQ(b + 28, "wgbk", 4);
	/* Everything but creator, checksum and id equals qemu-img's footer. */
	qemu_footer(q);
	CHECK_MEMEQ(b, q, 28);
	CHECK_MEMEQ(b + 36, q + 36, 64 - 36);
	CHECK_MEMEQ(b + 84, q + 84, VHD_FOOTER_SIZE - 84);
}

TEST(vhd_parse_rejects_damage)
{
	uint8_t b[VHD_FOOTER_SIZE];
	struct vhd_footer f;

	qemu_footer(b);
	b[50] ^= 1;
	CHECK_EQ(vhd_footer_parse(b, &f), -EBADMSG);
	qemu_footer(b);
	b[0] = 'C';
	CHECK_EQ(vhd_footer_parse(b, &f), -EBADMSG);
	/* A dynamic disk with a correct checksum is valid, but not ours. */
	qemu_footer(b);
	b[63] = 3;
	b[64] = (uint8_t)(vhd_checksum(b) >> 24);
	b[65] = (uint8_t)(vhd_checksum(b) >> 16);
	b[66] = (uint8_t)(vhd_checksum(b) >> 8);
	b[67] = (uint8_t)vhd_checksum(b);
	CHECK_EQ(vhd_footer_parse(b, &f), -ENOTSUP);
}

TEST(vhd_timestamp_epoch)
{
	CHECK_EQ(vhd_timestamp(946684800), 0);
	CHECK_EQ(vhd_timestamp(0), 0);
	CHECK_EQ(vhd_timestamp(946684800 + 86400), 86400);
}

TEST(vhd_parse_survives_mutations)
{
	unsigned seed = 7, odd = 0;
	uint8_t b[VHD_FOOTER_SIZE];
	struct vhd_footer f;

	for (int i = 0; i < 20000; i++) {
		int r;

		qemu_footer(b);
		for (int k = 0; k < 1 + i % 3; k++)
			b[(unsigned)rand_r(&seed) % VHD_FOOTER_SIZE] = (uint8_t)rand_r(&seed);
		r = vhd_footer_parse(b, &f);
		if (r != 0 && r != -EBADMSG && r != -ENOTSUP)
			odd++;
		/* Whatever parses packs back to the same bytes. */
		if (r == 0) {
			uint8_t again[VHD_FOOTER_SIZE];

			vhd_footer_pack(&f, again);
			if (memcmp(again, b, 85) != 0)
				odd++;
		}
	}
	CHECK_EQ(odd, 0);
}
