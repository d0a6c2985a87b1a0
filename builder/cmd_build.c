// SPDX-License-Identifier: MIT
/*
 * wgbake build SPEC: fetch → prepare (format, archive) → bake (one appliance launch:
 * install, generalize, lint, trim) → outputs → manifest. A state file in the output folder
 * lets a rerun skip what is done; nothing in the folder looks finished until it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "log.h"
#include "macros.h"
#include "version.h"

#include "bake.h"
#include "commands.h"
#include "fetch.h"
#include "imgformat.h"
#include "manifest.h"
#include "proc.h"
#include "spec.h"

#define STATE_NAME "build-state.json"

struct build {
	const char *spec_path;
	struct spec spec;
	char *out_dir;
	char *work_dir;
	char *cache_dir;
	char *agent;
	char *unit;
	bool json, quiet, force, generalize;
	char input_digest[SHA256_HEX + 1];
	char spec_sha256[SHA256_HEX + 1];
	char base_sha256[SHA256_HEX + 1];
	char *base_file; /* the fetched or given base (never written) */
	char *disk_file; /* base_file, or what an archive held */
	const char *disk_format;
	uint64_t disk_size; /* the base disk's virtual size */
	struct json_object *state;
	struct json_object *stages; /* --json: [{stage, seconds, resumed}] */
	struct json_object *bake_steps;
};

static void usage(FILE *f)
{
	fputs("Usage: wgbake build [options] SPEC\n"
	      "\n"
	      "Bakes WireGuard and wgagent into the spec's base image, generalizes it and\n"
	      "writes the outputs and NAME.manifest.json into the output folder. Rerunning\n"
	      "after a failure resumes from the last finished stage.\n"
	      "\n"
	      "  -o, --output DIR   output folder (default build/images/NAME)\n"
	      "  -c, --cache DIR    download cache (default $WGBAKE_CACHE, else .cache/wgbake)\n"
	      "      --agent FILE   the wgagent binary (default: the spec's agent.binary)\n"
	      "      --unit FILE    wgagent.service (default: the spec's agent.unit)\n"
	      "      --no-generalize  skip generalization (for debugging only)\n"
	      "      --force        start over, ignoring the state file\n"
	      "      --check        only check the spec (fields and types) and exit\n"
	      "      --json         print a JSON summary with the time of each stage\n"
	      "  -q, --quiet        only errors\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Environment: SOURCE_DATE_EPOCH sets the manifest's build time; LIBGUESTFS_BACKEND\n"
	      "and LIBGUESTFS_BACKEND_SETTINGS (force_tcg) choose how the appliance runs.\n",
	      f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds with one decimal: 12.3, not 12.299999999. */
static struct json_object *json_seconds(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.1f", v);
	return json_object_new_double_s(v, buf);
}

static char *path_join(const char *a, const char *b)
{
	char *r;

	return asprintf(&r, "%s/%s", a, b) < 0 ? NULL : r;
}

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_json_atomic(const char *path, struct json_object *o)
{
	_cleanup_free_ char *tmp = NULL;
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	fputc('\n', f);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		int r = -errno;

		(void)fclose(f);
		(void)unlink(tmp);
		return r;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int r = -errno;

		(void)unlink(tmp);
		return r;
	}
	return 0;
}

/* ---------------------------------------------------------------- state */

static bool stage_done(struct build *b, const char *stage)
{
	struct json_object *done, *v;

	if (!b->state || !json_object_object_get_ex(b->state, "done", &done))
		return false;
	return json_object_object_get_ex(done, stage, &v) && json_object_get_boolean(v);
}

static int mark_done(struct build *b, const char *stage)
{
	_cleanup_free_ char *path = path_join(b->out_dir, STATE_NAME);
	struct json_object *done;
	int r;

	if (!path)
		return -ENOMEM;
	if (!b->state) {
		b->state = json_object_new_object();
		json_object_object_add(b->state, "input", json_object_new_string(b->input_digest));
		json_object_object_add(b->state, "done", json_object_new_object());
	}
	json_object_object_get_ex(b->state, "done", &done);
	json_object_object_add(done, stage, json_object_new_boolean(1));
	r = write_json_atomic(path, b->state);
	if (r < 0)
		return log_errno(r, "writing '%s'", path);
	return 0;
}

static void load_state(struct build *b)
{
	_cleanup_free_ char *path = path_join(b->out_dir, STATE_NAME);
	struct json_object *s, *in;

	if (!path || b->force)
		return;
	s = json_object_from_file(path);
	if (!s)
		return;
	if (json_object_object_get_ex(s, "input", &in) &&
	    strcmp(json_object_get_string(in), b->input_digest) == 0) {
		b->state = s;
		return;
	}
	/* another spec, base or agent: start over */
	json_object_put(s);
}

static void record_stage(struct build *b, const char *name, double seconds, bool resumed)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "stage", json_object_new_string(name));
	json_object_object_add(o, "seconds", json_seconds(seconds));
	json_object_object_add(o, "resumed", json_object_new_boolean(resumed));
	json_object_array_add(b->stages, o);
	if (!b->quiet)
		log_info("%s: %s (%.1f s)", name, resumed ? "already done" : "done", seconds);
}

/* The digest of everything the result depends on: spec text, every local file it names,
 * the agent and its unit, wgbake's version. */
static int input_digest(struct build *b)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	const struct spec *s = &b->spec;
	char fh[SHA256_HEX + 1];
	int r;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)WGBAKE_VERSION,
				  strlen(WGBAKE_VERSION) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)b->spec_sha256, SHA256_HEX);
	crypto_hash_sha256_update(&st, (const unsigned char *)(b->generalize ? "g" : "n"), 1);
	/* a rebuilt wgbake bakes differently */
	r = sha256_file("/proc/self/exe", fh);
	if (r < 0)
		return log_errno(r, "reading /proc/self/exe");
	crypto_hash_sha256_update(&st, (const unsigned char *)fh, SHA256_HEX);
	if (s->base_path) {
		/* A local base may change under the same name. Its identity (device, inode,
		 * size, modification time) stands for its bytes here; the sha256 for the
		 * manifest is computed while the appliance works (stage_bake). */
		_cleanup_free_ char *p = spec_path(s, s->base_path);
		struct stat st_base;
		char id[128];

		if (!p)
			return log_errno(-ENOMEM, "build");
		if (stat(p, &st_base) < 0)
			return log_errno(-errno, "base image '%s'", p);
		snprintf(id, sizeof(id), "%ju:%ju:%jd:%jd.%09ld", (uintmax_t)st_base.st_dev,
			 (uintmax_t)st_base.st_ino, (intmax_t)st_base.st_size,
			 (intmax_t)st_base.st_mtim.tv_sec, st_base.st_mtim.tv_nsec);
		crypto_hash_sha256_update(&st, (const unsigned char *)id, strlen(id));
	}
	for (size_t i = 0; i < 2 + s->n_debs + s->n_files + 1; i++) {
		_cleanup_free_ char *p = NULL;
		const char *name;

		if (i == 0)
			name = b->agent;
		else if (i == 1)
			name = b->unit;
		else if (i < 2 + s->n_debs)
			name = s->debs[i - 2];
		else if (i < 2 + s->n_debs + s->n_files)
			name = s->files[i - 2 - s->n_debs].source;
		else
			name = s->agent_config;
		if (!name)
			continue;
		p = i < 2 ? strdup(name) : spec_path(s, name);
		if (!p)
			return log_errno(-ENOMEM, "build");
		r = sha256_file(p, fh);
		if (r < 0)
			return log_errno(r, "'%s'", p);
		crypto_hash_sha256_update(&st, (const unsigned char *)fh, SHA256_HEX);
	}
	crypto_hash_sha256_final(&st, h);
	for (size_t i = 0; i < sizeof(h); i++)
		sprintf(b->input_digest + 2 * i, "%02x", h[i]);
	return 0;
}

/* ---------------------------------------------------------------- base sha256 */

/* Checks the computed sha256 against the spec's, for a local base. */
static int base_hash_check(struct build *b)
{
	const char *want = b->spec.base_sha256;

	if (b->spec.base_path && want && strcmp(want, b->base_sha256) != 0)
		return log_errno(-EBADMSG, "base image '%s': sha256 is %s, the spec says %s",
				 b->base_file, b->base_sha256, want);
	return 0;
}

static int base_hash_now(struct build *b)
{
	int r;

	if (b->base_sha256[0])
		return 0;
	r = sha256_file(b->base_file, b->base_sha256);
	if (r < 0)
		return log_errno(r, "reading base image '%s'", b->base_file);
	return base_hash_check(b);
}

struct hash_job {
	const char *path;
	char *out;
	int r;
};

static void *hash_thread(void *arg)
{
	struct hash_job *j = arg;

	j->r = sha256_file(j->path, j->out);
	return NULL;
}

/* ---------------------------------------------------------------- stages */

static int stage_fetch(struct build *b)
{
	const struct spec *s = &b->spec;
	int r;

	if (s->base_path) {
		b->base_file = spec_path(s, s->base_path);
		if (!b->base_file)
			return log_errno(-ENOMEM, "build");
		if (access(b->base_file, R_OK) < 0)
			return log_errno(-errno, "base image '%s'", b->base_file);
		return 0;
	}
	r = fetch_base(s->base_url, s->base_sha256, b->cache_dir, !b->quiet && isatty(2),
		       &b->base_file);
	if (r < 0)
		return r;
	memcpy(b->base_sha256, s->base_sha256, SHA256_HEX + 1);
	return 0;
}

/* An archive holds exactly one disk image: unpack it once into the cache. */
static int unpack(struct build *b, const struct img_info *outer)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL, *listing = NULL, *member = NULL;
	char *argv[8];
	size_t n = 0;
	int r;

	r = base_hash_now(b);
	if (r < 0)
		return r;
	if (asprintf(&dir, "%s/%s.unpacked", b->cache_dir, b->base_sha256) < 0 ||
	    asprintf(&tmp, "%s.tmp", dir) < 0)
		return log_errno(-ENOMEM, "build");
	if (access(dir, F_OK) < 0) {
		char *rm[] = {(char *)"rm", (char *)"-rf", tmp, NULL};

		(void)proc_run("cleaning up", rm, NULL);
		r = mkdir_p(tmp);
		if (r < 0)
			return log_errno(r, "creating '%s'", tmp);
		if (outer->format == IMG_ZIP) {
			argv[n++] = (char *)"python3";
			argv[n++] = (char *)"-m";
			argv[n++] = (char *)"zipfile";
			argv[n++] = (char *)"-e";
			argv[n++] = b->base_file;
			argv[n++] = tmp;
		} else {
			/* GNU tar recognises gzip and xz itself; --sparse keeps holes */
			argv[n++] = (char *)"tar";
			argv[n++] = (char *)"-xSf";
			argv[n++] = b->base_file;
			argv[n++] = (char *)"-C";
			argv[n++] = tmp;
		}
		argv[n] = NULL;
		if (!b->quiet)
			log_info("unpacking the %s archive '%s'", img_format_name(outer->format),
				 b->base_file);
		r = proc_run("unpacking the base archive", argv, NULL);
		if (r < 0)
			return r;
		if (rename(tmp, dir) < 0)
			return log_errno(-errno, "renaming '%s'", tmp);
	}
	{
		char *find[] = {(char *)"find", dir, (char *)"-type", (char *)"f", NULL};

		r = proc_run("listing the unpacked archive", find, &listing);
		if (r < 0)
			return r;
	}
	for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n")) {
		if (member)
			return log_errno(-EINVAL, "the archive '%s' holds more than one file",
					 b->base_file);
		member = strdup(line);
		if (!member)
			return log_errno(-ENOMEM, "build");
	}
	if (!member)
		return log_errno(-EINVAL, "the archive '%s' is empty", b->base_file);
	b->disk_file = TAKE_PTR(member);
	return 0;
}

static int stage_prepare(struct build *b)
{
	struct img_info info;
	int r = img_probe(b->base_file, &info);

	if (r < 0 && r != -EBADMSG)
		return log_errno(r, "reading base image '%s'", b->base_file);
	if (r == -EBADMSG)
		return log_errno(
			-EINVAL, "base image '%s': %s", b->base_file,
			info.format == IMG_UNKNOWN
				? "unknown format (not raw, qcow2, VHD or a tar/zip archive of one)"
				: "damaged header");
	if (info.format == IMG_VHDX || info.format == IMG_VMDK || info.format == IMG_ZSTD)
		return log_errno(-ENOTSUP, "base image '%s': %s is not supported", b->base_file,
				 img_format_name(info.format));
	if (img_format_is_archive(info.format)) {
		r = unpack(b, &info);
		if (r < 0)
			return r;
		r = img_probe(b->disk_file, &info);
		if (r < 0 || !img_format_is_disk(info.format))
			return log_errno(-EINVAL,
					 "'%s' (from the archive '%s') is not a raw, "
					 "qcow2 or VHD disk image",
					 b->disk_file, b->base_file);
	} else {
		b->disk_file = strdup(b->base_file);
		if (!b->disk_file)
			return log_errno(-ENOMEM, "build");
	}
	b->disk_format = img_format_name(info.format);
	b->disk_size = info.virtual_size;
	if (b->spec.disk_size && b->spec.disk_size < b->disk_size)
		return log_errno(-EINVAL,
				 "disk_size %" PRIu64 " is smaller than the base's %" PRIu64
				 " bytes (shrinking is not supported)",
				 b->spec.disk_size, b->disk_size);
	return 0;
}

/* packages.debs entries may be glob patterns: expand them on this machine. */
static int expand_debs(struct spec *s)
{
	char **list = NULL;
	size_t n = 0;

	for (size_t i = 0; i < s->n_debs; i++) {
		_cleanup_free_ char *pat = spec_path(s, s->debs[i]);
		glob_t gl = {0};
		int q;

		if (!pat)
			goto oom;
		q = glob(pat, GLOB_NOCHECK, NULL, &gl);
		if (q != 0) {
			globfree(&gl);
			goto oom;
		}
		for (size_t j = 0; j < gl.gl_pathc; j++) {
			char **nl = realloc(list, (n + 2) * sizeof(*list));

			if (!nl) {
				globfree(&gl);
				goto oom;
			}
			list = nl;
			/* absolute, so spec_path() leaves it alone; a missing file keeps its
			 * name for check_inputs() to report */
			list[n] = realpath(gl.gl_pathv[j], NULL);
			if (!list[n])
				list[n] = strdup(gl.gl_pathv[j]);
			list[n + 1] = NULL;
			if (!list[n]) {
				globfree(&gl);
				goto oom;
			}
			n++;
		}
		globfree(&gl);
	}
	for (size_t i = 0; i < s->n_debs; i++)
		free(s->debs[i]);
	free(s->debs);
	s->debs = list;
	s->n_debs = n;
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return log_errno(-ENOMEM, "build");
}

static int check_inputs(struct build *b)
{
	const struct spec *s = &b->spec;

	for (size_t i = 0; i < s->n_debs + s->n_files + 1; i++) {
		_cleanup_free_ char *p = NULL;
		const char *name, *what;

		if (i < s->n_debs) {
			name = s->debs[i];
			what = "packages.debs";
		} else if (i < s->n_debs + s->n_files) {
			name = s->files[i - s->n_debs].source;
			what = "files";
		} else {
			name = s->agent_config;
			what = "agent.config";
		}
		if (!name)
			continue;
		p = spec_path(s, name);
		if (!p)
			return log_errno(-ENOMEM, "build");
		if (access(p, R_OK) < 0)
			return log_errno(-errno, "%s: '%s'", what, p);
	}
	for (size_t i = 0; i < s->n_generalize_skip; i++)
		if (!gen_op_known(s->generalize_skip[i]))
			return log_errno(-EINVAL,
					 "generalize_skip: no operation '%s' (see wgbake "
					 "generalize --list)",
					 s->generalize_skip[i]);
	if (access(b->agent, X_OK) < 0)
		return log_errno(-errno, "the wgagent binary '%s'", b->agent);
	if (access(b->unit, R_OK) < 0)
		return log_errno(-errno, "the wgagent unit '%s'", b->unit);
	return 0;
}

static int stage_bake(struct build *b)
{
	_cleanup_free_ char *overlay = path_join(b->work_dir, "overlay.qcow2");
	_cleanup_free_ char *partial = path_join(b->work_dir, "bake-manifest.json");
	struct bake_opts o = {.spec = &b->spec,
			      .disk = overlay,
			      .agent_binary = b->agent,
			      .agent_unit = b->unit,
			      .generalize = b->generalize};
	struct bake_result res;
	struct manifest_in in = {0};
	struct json_object *m, *steps;
	int r;

	if (!overlay || !partial)
		return log_errno(-ENOMEM, "build");
	(void)unlink(overlay);
	r = bake_overlay_create(b->disk_file, b->disk_format, b->spec.disk_size, overlay);
	if (r < 0)
		return r;
	struct hash_job job = {.path = b->base_file, .out = b->base_sha256};
	pthread_t hasher;
	bool hashing = false;

	if (!b->base_sha256[0])
		/* a local base: its sha256 (for the manifest) while the appliance works */
		hashing = pthread_create(&hasher, NULL, hash_thread, &job) == 0;
	r = bake_run(&o, &res);
	if (hashing) {
		(void)pthread_join(hasher, NULL);
		if (job.r < 0 && r == 0) {
			bake_result_free(&res);
			r = log_errno(job.r, "reading base image '%s'", b->base_file);
		} else if (r == 0 && base_hash_check(b) < 0) {
			bake_result_free(&res);
			r = -EBADMSG;
		}
	}
	if (r == 0)
		r = base_hash_now(b);
	if (r < 0) {
		(void)unlink(overlay);
		return r;
	}
	if (!b->quiet || res.lint_failed)
		lint_print(res.lint, stderr);
	if (res.lint_failed && b->spec.lint_strict) {
		bake_result_free(&res);
		(void)unlink(overlay);
		return log_errno(-EINVAL, "%d Azure readiness check%s failed (lint_strict is on)",
				 res.lint_failed, res.lint_failed == 1 ? "" : "s");
	}
	in = (struct manifest_in){
		.spec = b->spec.json,
		.spec_sha256 = b->spec_sha256,
		.base_source = b->spec.base_url ? b->spec.base_url : b->spec.base_path,
		.base_sha256 = b->base_sha256,
		.base_format = b->disk_format,
		.os_product = res.product,
		.os_version = res.version,
		.packages = &res.after,
		.changes = res.changes,
		.n_changes = res.n_changes,
		.updated = res.updated,
		.agent_version = res.agent_version,
		.wgbake_version = WGBAKE_VERSION,
		.ops = res.ops,
		.n_ops = res.n_ops,
		.lint = res.lint,
	};
	m = manifest_build(&in);
	steps = json_object_new_object();
	json_object_object_add(steps, "launch", json_seconds(res.t_launch));
	json_object_object_add(steps, "packages", json_seconds(res.t_packages));
	json_object_object_add(steps, "agent_and_files", json_seconds(res.t_agent));
	json_object_object_add(steps, "generalize_and_lint", json_seconds(res.t_generalize));
	json_object_object_add(steps, "trim", json_seconds(res.t_trim));
	json_object_object_add(steps, "total", json_seconds(res.t_total));
	json_object_object_add(m, "bake_steps", steps);
	bake_result_free(&res);
	if (!m)
		return log_errno(-ENOMEM, "build");
	r = write_json_atomic(partial, m);
	json_object_put(m);
	if (r < 0)
		return log_errno(r, "writing '%s'", partial);
	return 0;
}

static int file_sizes(const char *path, uint64_t *ret_size, uint64_t *ret_alloc)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ret_size = (uint64_t)st.st_size;
	*ret_alloc = (uint64_t)st.st_blocks * 512;
	return 0;
}

static const char *const out_formats[] = {"raw", "qcow2", "vhd"};

static int stage_outputs(struct build *b)
{
	_cleanup_free_ char *overlay = path_join(b->work_dir, "overlay.qcow2");
	_cleanup_free_ char *raw_tmp = NULL;
	char self[PATH_MAX];
	ssize_t n;
	int r;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return log_errno(-errno, "readlink /proc/self/exe");
	self[n] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(out_formats); i++) {
		_cleanup_free_ char *final = NULL, *tmp = NULL;

		if (!(b->spec.outputs & (1u << i)))
			continue;
		if (asprintf(&final, "%s/%s.%s", b->out_dir, b->spec.name, out_formats[i]) < 0 ||
		    asprintf(&tmp, "%s/%s.%s.tmp", b->work_dir, b->spec.name, out_formats[i]) < 0)
			return log_errno(-ENOMEM, "build");
		(void)unlink(tmp);
		if (i < 2) {
			/* standalone (no backing file), sparse: trimmed blocks stay holes */
			char *argv[] = {(char *)"qemu-img",
					(char *)"convert",
					(char *)"-q",
					(char *)"-f",
					(char *)"qcow2",
					(char *)"-O",
					(char *)out_formats[i],
					overlay,
					tmp,
					NULL};

			r = proc_run("writing the output image", argv, NULL);
		} else {
			/* the fixed VHD comes from `wgbake vhd` over a raw copy */
			char *conv[] = {(char *)"qemu-img",
					(char *)"convert",
					(char *)"-q",
					(char *)"-f",
					(char *)"qcow2",
					(char *)"-O",
					(char *)"raw",
					overlay,
					NULL,
					NULL};
			char *vhd[] = {self, (char *)"vhd", (char *)"-q", NULL, tmp, NULL};

			if (asprintf(&raw_tmp, "%s/vhd-input.raw", b->work_dir) < 0)
				return log_errno(-ENOMEM, "build");
			conv[8] = raw_tmp;
			vhd[3] = raw_tmp;
			r = proc_run("writing a raw copy for the VHD", conv, NULL);
			if (r == 0)
				r = proc_run("writing the VHD", vhd, NULL);
			(void)unlink(raw_tmp);
		}
		if (r < 0) {
			(void)unlink(tmp);
			return r;
		}
		if (rename(tmp, final) < 0)
			return log_errno(-errno, "renaming '%s'", tmp);
	}
	return 0;
}

static int stage_manifest(struct build *b, time_t build_time)
{
	_cleanup_free_ char *partial = path_join(b->work_dir, "bake-manifest.json");
	_cleanup_free_ char *path = NULL;
	struct json_object *m, *outs;
	char when[21];
	int r;

	if (!partial || asprintf(&path, "%s/%s.manifest.json", b->out_dir, b->spec.name) < 0)
		return log_errno(-ENOMEM, "build");
	m = json_object_from_file(partial);
	if (!m)
		return log_errno(-EBADMSG, "reading '%s'", partial);
	outs = json_object_new_array();
	for (size_t i = 0; i < ELEMENTSOF(out_formats); i++) {
		_cleanup_free_ char *file = NULL, *name = NULL;
		char hex[SHA256_HEX + 1];
		uint64_t size = 0, alloc = 0;
		struct json_object *o;

		if (!(b->spec.outputs & (1u << i)))
			continue;
		if (asprintf(&name, "%s.%s", b->spec.name, out_formats[i]) < 0 ||
		    asprintf(&file, "%s/%s", b->out_dir, name) < 0) {
			json_object_put(m);
			json_object_put(outs);
			return log_errno(-ENOMEM, "build");
		}
		r = sha256_file(file, hex);
		if (r == 0)
			r = file_sizes(file, &size, &alloc);
		if (r < 0) {
			json_object_put(m);
			json_object_put(outs);
			return log_errno(r, "'%s'", file);
		}
		o = json_object_new_object();
		json_object_object_add(o, "format", json_object_new_string(out_formats[i]));
		json_object_object_add(o, "file", json_object_new_string(name));
		json_object_object_add(o, "sha256", json_object_new_string(hex));
		json_object_object_add(o, "file_size", json_object_new_int64((int64_t)size));
		json_object_object_add(o, "allocated", json_object_new_int64((int64_t)alloc));
		json_object_array_add(outs, o);
	}
	json_object_object_add(m, "outputs", outs);
	json_object_object_add(m, "build_time",
			       json_object_new_string(manifest_format_time(build_time, when)));
	r = write_json_atomic(path, m);
	json_object_put(m);
	if (r < 0)
		return log_errno(r, "writing '%s'", path);
	return 0;
}

/* Before a fresh bake: nothing from an older build may look finished. */
static void remove_outputs(struct build *b)
{
	for (size_t i = 0; i < ELEMENTSOF(out_formats) + 2; i++) {
		char *p = NULL;
		int n;

		if (i < ELEMENTSOF(out_formats))
			n = asprintf(&p, "%s/%s.%s", b->out_dir, b->spec.name, out_formats[i]);
		else if (i == ELEMENTSOF(out_formats))
			n = asprintf(&p, "%s/%s.manifest.json", b->out_dir, b->spec.name);
		else
			n = asprintf(&p, "%s/" STATE_NAME, b->out_dir);
		if (n < 0)
			continue;
		(void)unlink(p);
		free(p);
	}
}

static int resolve_tools(struct build *b, const char *agent, const char *unit)
{
	const struct spec *s = &b->spec;

	b->agent = agent ? strdup(agent) : s->agent_binary ? spec_path(s, s->agent_binary) : NULL;
	if (!b->agent)
		return log_errno(-EINVAL,
				 "no wgagent binary: give --agent or the spec's agent.binary");
	b->unit = unit ? strdup(unit) : s->agent_unit ? spec_path(s, s->agent_unit) : NULL;
	if (!b->unit)
		return log_errno(-EINVAL, "no wgagent unit: give --unit or the spec's agent.unit");
	return 0;
}

static int run_build(struct build *b, time_t build_time)
{
	struct {
		const char *name;
		int (*fn)(struct build *b);
		bool always; /* cheap, and later stages need what it finds */
	} stages[] = {
		{"fetch", stage_fetch, true},
		{"prepare", stage_prepare, true},
		{"bake", stage_bake, false},
		{"outputs", stage_outputs, false},
	};
	_cleanup_free_ char *overlay = path_join(b->work_dir, "overlay.qcow2");
	double t;
	int r;

	if (!overlay)
		return log_errno(-ENOMEM, "build");
	for (size_t i = 0; i < ELEMENTSOF(stages); i++) {
		bool resumed = !stages[i].always && stage_done(b, stages[i].name);

		if (resumed && strcmp(stages[i].name, "bake") == 0 && access(overlay, R_OK) < 0)
			resumed = false;
		if (resumed && strcmp(stages[i].name, "outputs") == 0)
			for (size_t f = 0; f < ELEMENTSOF(out_formats); f++) {
				_cleanup_free_ char *p = NULL;

				if (!(b->spec.outputs & (1u << f)))
					continue;
				if (asprintf(&p, "%s/%s.%s", b->out_dir, b->spec.name,
					     out_formats[f]) < 0 ||
				    access(p, R_OK) < 0)
					resumed = false;
			}
		t = now_s();
		if (!resumed) {
			if (strcmp(stages[i].name, "bake") == 0) {
				remove_outputs(b);
				json_object_put(b->state);
				b->state = NULL;
			}
			r = stages[i].fn(b);
			if (r < 0)
				return r;
			if (!stages[i].always) {
				r = mark_done(b, stages[i].name);
				if (r < 0)
					return r;
			}
		}
		record_stage(b, stages[i].name, now_s() - t, resumed);
	}
	t = now_s();
	r = stage_manifest(b, build_time);
	if (r < 0)
		return r;
	record_stage(b, "manifest", now_s() - t, false);
	return 0;
}

int cmd_build_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"output", required_argument, NULL, 'o'},
		{"cache", required_argument, NULL, 'c'},
		{"agent", required_argument, NULL, 'A'},
		{"unit", required_argument, NULL, 'U'},
		{"no-generalize", no_argument, NULL, 'G'},
		{"force", no_argument, NULL, 'f'},
		{"check", no_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct build b = {.generalize = true};
	const char *out = NULL, *cache = NULL, *agent = NULL, *unit = NULL;
	char err[1024];
	double t0 = now_s();
	time_t build_time;
	bool check_only = false;
	int c, r, status = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "o:c:qh", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			cache = optarg;
			break;
		case 'A':
			agent = optarg;
			break;
		case 'U':
			unit = optarg;
			break;
		case 'G':
			b.generalize = false;
			break;
		case 'f':
			b.force = true;
			break;
		case 'C':
			check_only = true;
			break;
		case 'j':
			b.json = true;
			break;
		case 'q':
			b.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		log_error("expected one SPEC argument");
		return 2;
	}
	if (manifest_build_time(getenv("SOURCE_DATE_EPOCH"), time(NULL), &build_time) < 0) {
		log_error("SOURCE_DATE_EPOCH: '%s' is not a number of seconds",
			  getenv("SOURCE_DATE_EPOCH"));
		return 2;
	}
	if (sodium_init() < 0) {
		log_error("sodium_init failed");
		return EXIT_FAILURE;
	}
	b.spec_path = argv[optind];
	r = spec_load(b.spec_path, &b.spec, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return EXIT_FAILURE;
	}
	if (check_only) {
		if (!b.quiet)
			printf("%s: ok\n", b.spec_path);
		spec_free(&b.spec);
		return EXIT_SUCCESS;
	}
	r = sha256_file(b.spec_path, b.spec_sha256);
	if (r < 0) {
		log_errno(r, "'%s'", b.spec_path);
		goto out;
	}
	if (out)
		b.out_dir = strdup(out);
	else if (asprintf(&b.out_dir, "build/images/%s", b.spec.name) < 0)
		b.out_dir = NULL;
	if (cache)
		b.cache_dir = strdup(cache);
	else if (getenv("WGBAKE_CACHE"))
		b.cache_dir = strdup(getenv("WGBAKE_CACHE"));
	else
		b.cache_dir = strdup(".cache/wgbake");
	b.stages = json_object_new_array();
	if (!b.out_dir || !b.cache_dir || !b.stages) {
		log_errno(-ENOMEM, "build");
		goto out;
	}
	b.work_dir = path_join(b.out_dir, ".work");
	if (!b.work_dir) {
		log_errno(-ENOMEM, "build");
		goto out;
	}
	r = mkdir_p(b.work_dir);
	if (r == 0)
		r = mkdir_p(b.cache_dir);
	if (r < 0) {
		log_errno(r, "creating '%s'", b.work_dir);
		goto out;
	}
	if (resolve_tools(&b, agent, unit) < 0 || expand_debs(&b.spec) < 0 ||
	    check_inputs(&b) < 0 || input_digest(&b) < 0)
		goto out;
	load_state(&b);
	if (run_build(&b, build_time) < 0)
		goto out;
	if (b.json) {
		struct json_object *o = json_object_new_object(), *outs = json_object_new_array();
		_cleanup_free_ char *manifest = NULL;

		if (asprintf(&manifest, "%s/%s.manifest.json", b.out_dir, b.spec.name) < 0)
			manifest = NULL;
		json_object_object_add(o, "name", json_object_new_string(b.spec.name));
		json_object_object_add(o, "output_dir", json_object_new_string(b.out_dir));
		json_object_object_add(o, "manifest",
				       json_object_new_string(manifest ? manifest : ""));
		for (size_t i = 0; i < ELEMENTSOF(out_formats); i++) {
			_cleanup_free_ char *p = NULL;

			if (!(b.spec.outputs & (1u << i)))
				continue;
			if (asprintf(&p, "%s/%s.%s", b.out_dir, b.spec.name, out_formats[i]) < 0)
				continue;
			json_object_array_add(outs, json_object_new_string(p));
		}
		json_object_object_add(o, "outputs", outs);
		json_object_object_add(o, "stages", json_object_get(b.stages));
		{
			_cleanup_free_ char *partial = path_join(b.work_dir, "bake-manifest.json");
			struct json_object *pm = partial ? json_object_from_file(partial) : NULL,
					   *steps = NULL;

			if (pm && json_object_object_get_ex(pm, "bake_steps", &steps))
				json_object_object_add(o, "bake_steps", json_object_get(steps));
			json_object_put(pm);
		}
		json_object_object_add(o, "total_seconds", json_seconds(now_s() - t0));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (!b.quiet) {
		log_info("wrote %s/%s.manifest.json in %.1f s", b.out_dir, b.spec.name,
			 now_s() - t0);
	}
	status = EXIT_SUCCESS;
out:
	spec_free(&b.spec);
	json_object_put(b.state);
	json_object_put(b.stages);
	free(b.out_dir);
	free(b.work_dir);
	free(b.cache_dir);
	free(b.agent);
	free(b.unit);
	free(b.base_file);
	free(b.disk_file);
	return status;
}
