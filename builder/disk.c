// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "disk.h"

#define SCAN_CHUNK (1024 * 1024)

extern char **environ;

int disk_format_parse(const char *s, enum disk_format *ret)
{
	static const struct {
		const char *name;
		enum disk_format f;
	} names[] = {{"auto", DISK_AUTO}, {"raw", DISK_RAW},   {"qcow2", DISK_QCOW2},
		     {"vpc", DISK_VHD},	  {"vhd", DISK_VHD},   {"vhdx", DISK_VHDX},
		     {"vmdk", DISK_VMDK}};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].f;
			return 0;
		}
	return -EINVAL;
}

const char *disk_format_name(enum disk_format f)
{
	switch (f) {
	case DISK_RAW:
		return "raw";
	case DISK_QCOW2:
		return "qcow2";
	case DISK_VHD:
		return "vhd";
	case DISK_VHD_DYNAMIC:
		return "vhd, dynamic";
	case DISK_VHDX:
		return "vhdx";
	case DISK_VMDK:
		return "vmdk";
	case DISK_AUTO:
		break;
	}
	return "auto";
}

bool buffer_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len == 0)
		return true;
	if (p[0] != 0)
		return false;
	return memcmp(p, p + 1, len - 1) == 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(p, 0, len); /* past the end of a short file: zeros */
			return 0;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* qemu-img convert -O raw into a temporary file: sparse, and then read like any raw image. */
static int qemu_to_raw(const char *path, const char *qemu_format, int *ret_fd)
{
	const char *tmpdir = getenv("TMPDIR");
	_cleanup_free_ char *tmp = NULL;
	char *argv[] = {"qemu-img", "convert", "-q", "-f", (char *)qemu_format, "-O", "raw",
			NULL,	    NULL,      NULL};
	pid_t pid;
	int fd, status, r;

	if (asprintf(&tmp, "%s/wgbake-raw-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
		return log_errno(-ENOMEM, "%s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "creating a temporary file in '%s'",
				 tmpdir && *tmpdir ? tmpdir : "/tmp");
	argv[7] = (char *)path;
	argv[8] = tmp;
	r = posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ);
	if (r != 0) {
		(void)unlink(tmp);
		(void)close(fd);
		return log_errno(-r, "running qemu-img to read %s image '%s'", qemu_format, path);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	/* qemu-img rewrote the file by name; reopen it, then let it vanish on close. */
	(void)close(fd);
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		r = -EIO;
	fd = r == 0 ? open(tmp, O_RDONLY | O_CLOEXEC) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	(void)unlink(tmp);
	if (r < 0)
		return log_errno(r, "'%s': qemu-img could not convert it from %s", path,
				 qemu_format);
	*ret_fd = fd;
	return 0;
}

static int detect(int fd, uint64_t file_size, enum disk_format *ret)
{
	uint8_t buf[VHD_FOOTER_SIZE];
	struct vhd_footer f;
	int r;

	r = pread_all(fd, buf, 8, 0);
	if (r < 0)
		return r;
	if (file_size >= 8 && memcmp(buf, "QFI\xfb", 4) == 0) {
		*ret = DISK_QCOW2;
		return 0;
	}
	if (file_size >= 8 && memcmp(buf, "vhdxfile", 8) == 0) {
		*ret = DISK_VHDX;
		return 0;
	}
	if (file_size >= 8 && memcmp(buf, "KDMV", 4) == 0) {
		*ret = DISK_VMDK;
		return 0;
	}
	if (file_size >= 2 * VHD_FOOTER_SIZE) {
		r = pread_all(fd, buf, sizeof(buf), file_size - VHD_FOOTER_SIZE);
		if (r < 0)
			return r;
		r = memcmp(buf, "conectix", 8) == 0 ? vhd_footer_parse(buf, &f) : -EBADMSG;
		if (r != -EBADMSG) {
			*ret = r == -ENOTSUP ? DISK_VHD_DYNAMIC : DISK_VHD;
			return 0;
		}
	}
	*ret = DISK_RAW;
	return 0;
}

int disk_open(const char *path, enum disk_format format, struct disk *ret)
{
	_cleanup_close_ int fd = -1;
	struct disk d = {.fd = -1, .path = path};
	struct stat st;
	uint64_t file_size;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open image '%s'", path);
	if (fstat(fd, &st) < 0)
		return log_errno(-errno, "cannot stat image '%s'", path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &file_size) < 0)
			return log_errno(-errno, "cannot size block device '%s'", path);
	} else if (S_ISREG(st.st_mode)) {
		file_size = (uint64_t)st.st_size;
	} else {
		return log_errno(-EINVAL, "image '%s' is not a file or a block device", path);
	}
	if (file_size == 0)
		return log_errno(-EINVAL, "image '%s' is empty", path);
	/* Read one byte now, so that an unreadable image fails here and not mid-upload. */
	{
		uint8_t probe;

		if (pread(fd, &probe, 1, 0) < 0)
			return log_errno(-errno, "cannot read image '%s'", path);
	}
	d.mtime = st.st_mtime;
	if (format == DISK_AUTO) {
		r = detect(fd, file_size, &format);
		if (r < 0)
			return log_errno(r, "cannot read image '%s'", path);
	}
	d.format = format;

	if (format == DISK_VHD && file_size >= 2 * VHD_FOOTER_SIZE) {
		struct vhd_footer f;

		r = pread_all(fd, d.footer, VHD_FOOTER_SIZE, file_size - VHD_FOOTER_SIZE);
		if (r < 0)
			return log_errno(r, "cannot read image '%s'", path);
		if (vhd_footer_parse(d.footer, &f) == -ENOTSUP)
			format = d.format = DISK_VHD_DYNAMIC;
	}

	switch (format) {
	case DISK_QCOW2:
	case DISK_VHD_DYNAMIC:
	case DISK_VHDX:
	case DISK_VMDK: {
		static const char *const qemu_names[] = {
			[DISK_QCOW2] = "qcow2",
			[DISK_VHD_DYNAMIC] = "vpc",
			[DISK_VHDX] = "vhdx",
			[DISK_VMDK] = "vmdk",
		};
		int raw_fd = -1;

		r = qemu_to_raw(path, qemu_names[format], &raw_fd);
		if (r < 0)
			return r;
		(void)close(fd);
		fd = raw_fd;
		if (fstat(fd, &st) < 0)
			return log_errno(-errno, "cannot stat the raw copy of '%s'", path);
		file_size = (uint64_t)st.st_size;
		break;
	}
	case DISK_VHD: {
		struct vhd_footer f;

		if (file_size < 2 * VHD_FOOTER_SIZE)
			return log_errno(-EINVAL, "'%s' is too small to be a VHD", path);
		r = pread_all(fd, d.footer, VHD_FOOTER_SIZE, file_size - VHD_FOOTER_SIZE);
		if (r < 0)
			return log_errno(r, "cannot read image '%s'", path);
		r = vhd_footer_parse(d.footer, &f);
		if (r < 0)
			return log_errno(r, "'%s' has no valid VHD footer", path);
		if (f.current_size != file_size - VHD_FOOTER_SIZE)
			return log_errno(-EINVAL,
					 "'%s': the footer says %llu bytes but the disk "
					 "holds %llu",
					 path, (unsigned long long)f.current_size,
					 (unsigned long long)(file_size - VHD_FOOTER_SIZE));
		/* Azure wants whole MiB: other sizes get rounded up and a new footer. */
		d.keep_footer = f.current_size % VHD_ALIGN == 0;
		file_size -= VHD_FOOTER_SIZE;
		break;
	}
	case DISK_RAW:
	case DISK_AUTO:
		break;
	}

	if (file_size % VHD_SECTOR)
		return log_errno(-EINVAL, "image '%s': size %llu is not a multiple of 512", path,
				 (unsigned long long)file_size);
	d.input_size = file_size;
	if (!vhd_round_size(file_size, &d.size))
		return log_errno(-EFBIG, "image '%s': %llu bytes is more than a VHD can hold", path,
				 (unsigned long long)file_size);
	d.fd = TAKE_FD(fd);
	*ret = d;
	return 0;
}

int disk_scan(struct disk *d)
{
	_cleanup_free_ uint8_t *buf = malloc(SCAN_CHUNK);
	crypto_generichash_state h;
	uint8_t le[8], data_digest[DISK_DIGEST_BYTES];
	uint64_t pos = 0;
	bool seek_ok = true;
	int r;

	if (!buf)
		return log_errno(-ENOMEM, "scanning '%s'", d->path);
	extents_free(&d->data);
	crypto_generichash_init(&h, NULL, 0, DISK_DIGEST_BYTES);
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(d->size >> (8 * i));
	crypto_generichash_update(&h, le, 8);

	while (pos < d->input_size) {
		uint64_t data_start = pos, data_end = d->input_size;

		if (seek_ok) {
			off_t o = lseek(d->fd, (off_t)pos, SEEK_DATA);

			if (o < 0 && errno == ENXIO)
				break; /* only a hole is left */
			if (o < 0) {
				seek_ok = false; /* no SEEK_DATA here: read everything */
			} else {
				off_t e = lseek(d->fd, o, SEEK_HOLE);

				data_start = (uint64_t)o / VHD_SECTOR * VHD_SECTOR;
				if (e > o && (uint64_t)e < d->input_size)
					data_end = ((uint64_t)e + VHD_SECTOR - 1) / VHD_SECTOR *
						   VHD_SECTOR;
				if (data_start >= d->input_size)
					break;
			}
		}
		pos = data_start;
		while (pos < data_end) {
			size_t n =
				data_end - pos < SCAN_CHUNK ? (size_t)(data_end - pos) : SCAN_CHUNK;

			r = pread_all(d->fd, buf, n, pos);
			if (r < 0)
				return log_errno(r, "reading image '%s'", d->path);
			for (size_t p = 0; p < n; p += VHD_SECTOR) {
				if (buffer_is_zero(buf + p, VHD_SECTOR))
					continue;
				for (int i = 0; i < 8; i++)
					le[i] = (uint8_t)((pos + p) >> (8 * i));
				crypto_generichash_update(&h, le, 8);
				crypto_generichash_update(&h, buf + p, VHD_SECTOR);
				r = extents_add(&d->data, pos + p, VHD_SECTOR);
				if (r < 0)
					return log_errno(r, "scanning '%s'", d->path);
			}
			pos += n;
		}
	}
	d->data_bytes = extents_bytes(&d->data);

	if (!d->keep_footer) {
		/*
		 * Same input, same VHD: the footer's time is the image's mtime and its unique
		 * id comes from the content, so a rerun makes the very same blob.
		 */
		crypto_generichash_state h2 = h;
		struct vhd_footer f;
		uint8_t id[16];

		crypto_generichash_final(&h2, data_digest, sizeof(data_digest));
		crypto_generichash(id, sizeof(id), data_digest, sizeof(data_digest), NULL, 0);
		id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* an RFC 4122 version-4 shape */
		id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
		vhd_footer_init(&f, d->size, d->mtime, id);
		vhd_footer_pack(&f, d->footer);
	}
	crypto_generichash_update(&h, d->footer, VHD_FOOTER_SIZE);
	crypto_generichash_final(&h, d->digest, sizeof(d->digest));
	return 0;
}

int disk_read(const struct disk *d, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	int r;

	if (off < d->input_size) {
		size_t n = d->input_size - off < len ? (size_t)(d->input_size - off) : len;

		r = pread_all(d->fd, p, n, off);
		if (r < 0)
			return log_errno(r, "reading image '%s'", d->path);
		p += n;
		off += n;
		len -= n;
	}
	while (len > 0) {
		if (off < d->size) {
			size_t n = d->size - off < len ? (size_t)(d->size - off) : len;

			memset(p, 0, n);
			p += n;
			off += n;
			len -= n;
		} else if (off < d->size + VHD_FOOTER_SIZE) {
			size_t in = (size_t)(off - d->size);
			size_t n = VHD_FOOTER_SIZE - in < len ? VHD_FOOTER_SIZE - in : len;

			memcpy(p, d->footer + in, n);
			p += n;
			off += n;
			len -= n;
		} else {
			return log_errno(-ERANGE, "reading past the end of '%s'", d->path);
		}
	}
	return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int disk_write_vhd(const struct disk *d, const char *out)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_free_ uint8_t *buf = malloc(PUT_PAGE_MAX);
	int fd, r = 0;

	if (!buf || asprintf(&tmp, "%s.tmp-XXXXXX", out) < 0)
		return log_errno(-ENOMEM, "writing '%s'", out);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot create '%s'", tmp);
	for (size_t i = 0; i < d->data.n && r == 0; i++) {
		uint64_t off = d->data.v[i].off, end = off + d->data.v[i].len;

		while (off < end && r == 0) {
			size_t n = end - off < PUT_PAGE_MAX ? (size_t)(end - off) : PUT_PAGE_MAX;

			r = disk_read(d, off, buf, n);
			if (r == 0) {
				r = pwrite_all(fd, buf, n, off);
				if (r < 0)
					log_errno(r, "writing '%s'", out);
			}
			off += n;
		}
	}
	if (r == 0 && ftruncate(fd, (off_t)d->size) < 0)
		r = log_errno(-errno, "writing '%s'", out);
	if (r == 0) {
		r = pwrite_all(fd, d->footer, VHD_FOOTER_SIZE, d->size);
		if (r < 0)
			log_errno(r, "writing '%s'", out);
	}
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = log_errno(-errno, "writing '%s'", out);
	if (r == 0 && fsync(fd) < 0)
		r = log_errno(-errno, "writing '%s'", out);
	if (close(fd) < 0 && r == 0)
		r = log_errno(-errno, "writing '%s'", out);
	if (r == 0 && rename(tmp, out) < 0)
		r = log_errno(-errno, "renaming '%s' to '%s'", tmp, out);
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		(void)close(d->fd);
	extents_free(&d->data);
	d->fd = -1;
}
