/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_FILEIO_H
#define WGBAKE_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replaces path with data, atomically: a temporary file in the same folder
 * with `mode`, fsync()ed, then rename()d over path, so a reader (or a crash)
 * sees the old file or the new one, never a torn one. Returns 0 or -errno;
 * logs nothing. Callers wipe `data` themselves when it held a secret.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
