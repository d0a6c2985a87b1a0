// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"

#include "imgformat.h"

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int has(const uint8_t *buf, size_t len, size_t off, const void *magic, size_t n)
{
	return len >= off + n && memcmp(buf + off, magic, n) == 0;
}

/* A VHD footer: "conectix" cookie and disk type 2 (fixed), 3 (dynamic) or 4 (differencing). */
static int vhd_footer(const uint8_t *f, size_t len, uint64_t *ret_size)
{
	uint32_t type;

	if (!has(f, len, 0, "conectix", 8) || len < 64)
		return 0;
	type = be32(f + 60);
	if (type < 2 || type > 4)
		return 0;
	*ret_size = be64(f + 48); /* current size */
	return 1;
}

int img_detect(const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len,
	       uint64_t size, struct img_info *ret)
{
	struct img_info info = {.format = IMG_UNKNOWN};
	uint64_t vsize;

	if (has(head, head_len, 0, "QFI\xfb", 4)) {
		if (head_len < 32)
			return -EBADMSG;
		info.format = IMG_QCOW2;
		info.virtual_size = be64(head + 24);
		if (info.virtual_size == 0 || be32(head + 4) < 2)
			return -EBADMSG;
	} else if (has(head, head_len, 0, "vhdxfile", 8)) {
		info.format = IMG_VHDX;
	} else if (has(head, head_len, 0, "KDMV", 4) ||
		   has(head, head_len, 0, "# Disk DescriptorFile", 21)) {
		info.format = IMG_VMDK;
	} else if (vhd_footer(head, head_len, &vsize)) {
		/* A dynamic VHD starts with a copy of its footer. */
		info.format = IMG_VPC;
		info.virtual_size = vsize;
	} else if (size >= 512 && tail_len == IMG_TAIL_SIZE && vhd_footer(tail, tail_len, &vsize)) {
		info.format = IMG_VPC;
		info.virtual_size = vsize;
	} else if (has(head, head_len, 0, "\x1f\x8b", 2)) {
		info.format = IMG_GZIP;
	} else if (has(head, head_len, 0,
		       "\xfd"
		       "7zXZ\0",
		       6)) {
		info.format = IMG_XZ;
	} else if (has(head, head_len, 0, "\x28\xb5\x2f\xfd", 4)) {
		info.format = IMG_ZSTD;
	} else if (has(head, head_len, 0, "PK\x03\x04", 4)) {
		info.format = IMG_ZIP;
	} else if (has(head, head_len, 257, "ustar", 5)) {
		info.format = IMG_TAR;
	} else if (has(head, head_len, 512, "EFI PART", 8) ||
		   has(head, head_len, 510, "\x55\xaa", 2) ||
		   has(head, head_len, 1024 + 56, "\x53\xef", 2) || /* ext2/3/4 superblock */
		   has(head, head_len, 0, "XFSB", 4) ||
		   has(head, head_len, 0x10040, "_BHRfS_M", 8)) {
		info.format = IMG_RAW;
		info.virtual_size = size;
	}
	if (info.format == IMG_UNKNOWN) {
		*ret = info;
		return -EBADMSG;
	}
	if (img_format_is_disk(info.format) && info.virtual_size == 0)
		return -EBADMSG;
	*ret = info;
	return 0;
}

const char *img_format_name(enum img_format f)
{
	switch (f) {
	case IMG_RAW:
		return "raw";
	case IMG_QCOW2:
		return "qcow2";
	case IMG_VPC:
		return "vpc";
	case IMG_GZIP:
		return "gzip";
	case IMG_XZ:
		return "xz";
	case IMG_TAR:
		return "tar";
	case IMG_ZIP:
		return "zip";
	case IMG_VHDX:
		return "vhdx";
	case IMG_VMDK:
		return "vmdk";
	case IMG_ZSTD:
		return "zstd";
	case IMG_UNKNOWN:
		break;
	}
	return "unknown";
}

int img_format_is_disk(enum img_format f)
{
	return f == IMG_RAW || f == IMG_QCOW2 || f == IMG_VPC;
}

int img_format_is_archive(enum img_format f)
{
	return f == IMG_GZIP || f == IMG_XZ || f == IMG_TAR || f == IMG_ZIP;
}

static int pread_full(int fd, uint8_t *buf, size_t len, off_t off, size_t *ret)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*ret = done;
	return 0;
}

int img_probe(const char *path, struct img_info *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t head[IMG_HEAD_SIZE], tail[IMG_TAIL_SIZE];
	size_t head_len = 0, tail_len = 0;
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -EINVAL;
	r = pread_full(fd, head, sizeof(head), 0, &head_len);
	if (r < 0)
		return r;
	if (st.st_size >= IMG_TAIL_SIZE) {
		r = pread_full(fd, tail, sizeof(tail), st.st_size - IMG_TAIL_SIZE, &tail_len);
		if (r < 0)
			return r;
	}
	return img_detect(head, head_len, tail, tail_len, (uint64_t)st.st_size, ret);
}
