// SPDX-License-Identifier: MIT
/* Configuration sources and their precedence (see source.h and CONFIG.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "key.h"
#include "log.h"
#include "macros.h"
#include "source.h"

bool source_looks_like_path(const char *s)
{
	size_t len = strlen(s);

	return strchr(s, '/') || (len > 5 && !strcmp(s + len - 5, ".conf")) ||
	       (len > 5 && !strcmp(s + len - 5, ".json"));
}

int source_init(struct source *s, const struct source_opts *o)
{
	bool use;

	*s = (struct source){ .o = *o };
	if (!s->o.config_dir)
		s->o.config_dir = DEFAULT_CONFIG_DIR;
	if (!s->o.asset_tag_path)
		s->o.asset_tag_path = DMI_CHASSIS_ASSET_TAG;
	if (!s->o.product_uuid_path)
		s->o.product_uuid_path = DMI_PRODUCT_UUID;
	switch (o->imds_mode) {
	case IMDS_OFF:
		use = false;
		break;
	case IMDS_ON:
		use = true;
		break;
	default:
		/*
		 * Not on Azure: don't even try, so a VM elsewhere boots without waiting.
		 * A given endpoint (tests, proxies of our own) means "try it, briefly".
		 */
		use = imds_on_azure(s->o.asset_tag_path) || o->imds.endpoint;
		if (use && !imds_on_azure(s->o.asset_tag_path) && !s->o.imds.connect_budget_ms)
			s->o.imds.connect_budget_ms = 2000;
		break;
	}
	if (!use)
		return 0;
	s->imds = imds_new(&s->o.imds);
	if (!s->imds)
		return -ENOPKG; /* imds_new() said why */
	return 0;
}

void source_done(struct source *s)
{
	imds_free(s->imds);
	s->imds = NULL;
}

static void warn_cb(void *userdata, const char *msg)
{
	log_warn("%s", msg);
}

static int finish(struct source *s, struct wg_config *cfg, const char *ifname,
		  struct wg_config **ret)
{
	if (s->o.ifname)
		snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", s->o.ifname);
	else if (!cfg->ifname[0])
		snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", ifname);
	*ret = cfg;
	return 0;
}

static int load_file(struct source *s, const char *path, const char *ifname,
		     struct wg_config **ret)
{
	struct conf_ctx ctx = { .read_key = key_read_file, .warn = warn_cb };
	struct wg_config *cfg = NULL;
	char name[IFNAMSIZ];
	int r;

	r = config_load_file(&ctx, path, &cfg);
	if (r < 0) {
		log_error("%s", ctx.err);
		return r == -ENOENT ? -EIO : r; /* it existed a moment ago */
	}
	if (!ifname) {
		if (!s->o.ifname && !cfg->ifname[0] && !conf_ifname_from_path(path, name)) {
			log_error("cannot take an interface name from '%s'; use --interface", path);
			config_free(cfg);
			return -EINVAL;
		}
		ifname = conf_ifname_from_path(path, name) ? name : DEFAULT_IFNAME;
	}
	return finish(s, cfg, ifname, ret);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int load_imds(struct source *s, const char *ifname, struct wg_config **ret)
{
	struct conf_ctx ctx = { .source = "imds:userData", .warn = warn_cb };
	struct wg_config *cfg = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!s->imds || s->imds_absent)
		return -ENOENT;
	r = imds_get_user_data(s->imds, &text, &len);
	if (r == -EHOSTUNREACH) {
		log_info("imds: no answer from the metadata service; not on Azure, using files");
		s->imds_absent = true;
		return -ENOENT;
	}
	if (r == -ENOENT || (r == 0 && !text))
		return -ENOENT; /* no userData on this VM */
	if (r < 0)
		return r; /* imds_get() said why */
	/* Key files are refused: userData must not make the agent read local paths. */
	r = conf_parse(&ctx, text, len, &cfg);
	secret_wipe(text, len);
	free(text);
	if (r < 0) {
		log_error("%s", ctx.err);
		return r;
	}
	return finish(s, cfg, ifname, ret);
}

int source_load(struct source *s, struct wg_config **ret)
{
	const char *ifname = s->o.ifname;
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL;
	int r;

	if (s->o.target && source_looks_like_path(s->o.target))
		return load_file(s, s->o.target, NULL, ret);
	if (s->o.target) {
		if (!conf_ifname_valid(s->o.target)) {
			log_error("'%s' is neither a config file nor an interface name",
				  s->o.target);
			return -EINVAL;
		}
		if (!ifname)
			ifname = s->o.target;
	}
	if (!ifname)
		ifname = DEFAULT_IFNAME;
	if (asprintf(&p1, "%s/%s.conf", s->o.config_dir, ifname) < 0 ||
	    asprintf(&p2, "%s/%s.json", s->o.config_dir, ifname) < 0 ||
	    asprintf(&p3, "/etc/wireguard/%s.conf", ifname) < 0)
		return log_errno(-ENOMEM, "loading the configuration");
	if (exists(p1))
		return load_file(s, p1, ifname, ret);
	if (exists(p2))
		return load_file(s, p2, ifname, ret);
	r = load_imds(s, ifname, ret);
	if (r != -ENOENT)
		return r;
	if (exists(p3))
		return load_file(s, p3, ifname, ret);
	log_error("no configuration for '%s': not in %s/%s.conf|.json, IMDS userData or %s", ifname,
		  s->o.config_dir, ifname, p3);
	return -ENOENT;
}

void source_identity(struct source *s, struct identity *ret)
{
	memset(ret, 0, sizeof(*ret));
	identity_read_product_uuid(s->o.product_uuid_path, ret);
	if (s->imds && !s->imds_absent && !s->vm_id[0]) {
		int r = imds_get_vm_id(s->imds, s->vm_id);

		if (r == -EHOSTUNREACH)
			s->imds_absent = true;
		if (r < 0)
			s->vm_id[0] = '\0';
	}
	snprintf(ret->vm_id, sizeof(ret->vm_id), "%s", s->vm_id);
}
