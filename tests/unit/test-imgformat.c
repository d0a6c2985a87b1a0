// SPDX-License-Identifier: MIT
/* Base image format detection from bytes, never from names. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../builder/imgformat.h"

static uint8_t head[IMG_HEAD_SIZE], tail[IMG_TAIL_SIZE];

static void reset(void)
{
	memset(head, 0, sizeof(head));
	memset(tail, 0, sizeof(tail));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_vhd_footer(uint8_t *p, uint32_t type, uint64_t size)
{
	memcpy(p, "conectix", 8);
	put_be64(p + 48, size);
	p[60] = (uint8_t)(type >> 24);
	p[61] = (uint8_t)(type >> 16);
	p[62] = (uint8_t)(type >> 8);
	p[63] = (uint8_t)type;
}

static int detect(uint64_t size, struct img_info *info)
{
	return img_detect(head, sizeof(head), tail, sizeof(tail), size, info);
}

TEST(imgformat_qcow2)
{
	struct img_info info;

	reset();
	memcpy(head, "QFI\xfb\0\0\0\3", 8);
	put_be64(head + 24, 2ULL << 30);
	CHECK_EQ(detect(1 << 20, &info), 0);
	CHECK_EQ(info.format, IMG_QCOW2);
	CHECK_EQ(info.virtual_size, 2ULL << 30);
	CHECK_STREQ(img_format_name(info.format), "qcow2");
	/* a qcow2 header claiming size 0 is damaged */
	put_be64(head + 24, 0);
	CHECK_EQ(detect(1 << 20, &info), -EBADMSG);
}

TEST(imgformat_vhd_fixed_and_dynamic)
{
	struct img_info info;

	reset();
	head[510] = 0x55;
	head[511] = 0xaa; /* an MBR, but the footer says VHD: the footer wins */
	put_vhd_footer(tail, 2, 30ULL << 30);
	CHECK_EQ(detect((30ULL << 30) + 512, &info), 0);
	CHECK_EQ(info.format, IMG_VPC);
	CHECK_EQ(info.virtual_size, 30ULL << 30);
	CHECK_STREQ(img_format_name(info.format), "vpc");

	reset();
	put_vhd_footer(head, 3, 1ULL << 30); /* dynamic: a footer copy at the start */
	CHECK_EQ(detect(4096, &info), 0);
	CHECK_EQ(info.format, IMG_VPC);
	CHECK_EQ(info.virtual_size, 1ULL << 30);

	reset();
	put_vhd_footer(tail, 9, 1ULL << 30); /* unknown disk type: not a VHD */
	CHECK_EQ(detect(1 << 20, &info), -EBADMSG);
	CHECK_EQ(info.format, IMG_UNKNOWN);
}

TEST(imgformat_raw)
{
	struct img_info info;

	reset();
	memcpy(head + 512, "EFI PART", 8);
	CHECK_EQ(detect(2ULL << 30, &info), 0);
	CHECK_EQ(info.format, IMG_RAW);
	CHECK_EQ(info.virtual_size, 2ULL << 30);

	reset();
	head[510] = 0x55;
	head[511] = 0xaa;
	CHECK_EQ(detect(1 << 20, &info), 0);
	CHECK_EQ(info.format, IMG_RAW);

	reset();
	head[1024 + 56] = 0x53;
	head[1024 + 57] = 0xef; /* a bare ext4 */
	CHECK_EQ(detect(1 << 20, &info), 0);
	CHECK_EQ(info.format, IMG_RAW);
}

TEST(imgformat_archives)
{
	struct img_info info;

	reset();
	memcpy(head, "\x1f\x8b\x08", 3);
	CHECK_EQ(detect(100, &info), 0);
	CHECK_EQ(info.format, IMG_GZIP);
	CHECK(img_format_is_archive(info.format));
	CHECK(!img_format_is_disk(info.format));

	reset();
	memcpy(head,
	       "\xfd"
	       "7zXZ\0",
	       6);
	CHECK_EQ(detect(100, &info), 0);
	CHECK_EQ(info.format, IMG_XZ);

	reset();
	memcpy(head + 257, "ustar", 5);
	CHECK_EQ(detect(10240, &info), 0);
	CHECK_EQ(info.format, IMG_TAR);

	reset();
	memcpy(head, "PK\x03\x04", 4);
	CHECK_EQ(detect(100, &info), 0);
	CHECK_EQ(info.format, IMG_ZIP);
}

TEST(imgformat_refused_and_unknown)
{
	struct img_info info;

	reset();
	memcpy(head, "vhdxfile", 8);
	CHECK_EQ(detect(1 << 20, &info), 0);
	CHECK_EQ(info.format, IMG_VHDX);
	CHECK(!img_format_is_disk(info.format));

	reset();
	memcpy(head, "KDMV", 4);
	CHECK_EQ(detect(1 << 20, &info), 0);
	CHECK_EQ(info.format, IMG_VMDK);

	reset(); /* all zeros: no guessing */
	CHECK_EQ(detect(1 << 20, &info), -EBADMSG);
	CHECK_EQ(info.format, IMG_UNKNOWN);
	CHECK_STREQ(img_format_name(info.format), "unknown");

	/* short inputs: no reads past the end */
	CHECK_EQ(img_detect((const uint8_t *)"QFI", 3, NULL, 0, 3, &info), -EBADMSG);
	CHECK_EQ(img_detect((const uint8_t *)"", 0, NULL, 0, 0, &info), -EBADMSG);
}

/* The name never matters: a qcow2 called .raw is a qcow2. */
TEST(imgformat_probe_ignores_name)
{
	char path[] = "/tmp/wgbake-test-XXXXXX.raw";
	int fd = mkstemps(path, 4);
	uint8_t hdr[512] = "QFI\xfb\0\0\0\3";
	struct img_info info;

	CHECK(fd >= 0);
	put_be64(hdr + 24, 1 << 30);
	CHECK_EQ(write(fd, hdr, sizeof(hdr)), (long long)sizeof(hdr));
	close(fd);
	CHECK_EQ(img_probe(path, &info), 0);
	CHECK_EQ(info.format, IMG_QCOW2);
	unlink(path);
	CHECK_EQ(img_probe("/nonexistent/x", &info), -ENOENT);
}
