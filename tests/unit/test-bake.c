// SPDX-License-Identifier: MIT
/* Pure helpers of bake/generalize/lint, and the manifest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "../../builder/bakeutil.h"
#include "../../builder/manifest.h"

TEST(bake_shadow_lock_root)
{
	char *out = NULL;
	bool changed = false;

	CHECK_EQ(shadow_lock_root("daemon:*:1::::::\nroot:$6$abc$def:19000:0:99999:7:::\n", &out,
				  &changed),
		 0);
	CHECK_STREQ(out, "daemon:*:1::::::\nroot:!$6$abc$def:19000:0:99999:7:::\n");
	CHECK(changed);
	free(out);
	CHECK_EQ(shadow_lock_root("root:!$6$x:1::::::\n", &out, &changed), 0);
	CHECK_STREQ(out, "root:!$6$x:1::::::\n");
	CHECK(!changed);
	free(out);
	CHECK_EQ(shadow_lock_root("root::1::::::\nx:y:z", &out, &changed), 0);
	CHECK_STREQ(out, "root:!*:1::::::\nx:y:z");
	free(out);
	CHECK_EQ(shadow_lock_root("root:*:1::::::", &out, &changed), 0);
	CHECK_STREQ(out, "root:!*:1::::::");
	free(out);
	CHECK_EQ(shadow_lock_root("rooty:x:1\n", &out, &changed), -EBADMSG);
}

TEST(bake_unit_wanted_by)
{
	char **v = NULL;

	CHECK_EQ(unit_wanted_by("[Unit]\nWantedBy=nope.target\n[Service]\nExecStart=/x\n"
				"[Install]\nWantedBy=multi-user.target  cloud-init.target\n",
				&v),
		 0);
	CHECK_STREQ(v[0], "multi-user.target");
	CHECK_STREQ(v[1], "cloud-init.target");
	CHECK(v[2] == NULL);
	strv_free(v);
	CHECK_EQ(unit_wanted_by("[Unit]\nWantedBy=x.target\n", &v), -EBADMSG);
}

TEST(bake_pkg_diff)
{
	struct pkg_list a, b;
	struct pkg_change *c;
	size_t n;

	CHECK_EQ(pkg_list_parse("libc6\t2.36-9\tii \nopenssl\t3.0.1\tii \ngone\t1\tii \n"
				"old\t1\trc \n",
				&a),
		 0);
	CHECK_EQ(a.n, 3);
	CHECK_EQ(pkg_list_parse("wireguard-tools\t1.0\tii \nlibc6\t2.36-9\tii \nopenssl\t3.0.2\t"
				"ii \n",
				&b),
		 0);
	CHECK_STREQ(pkg_list_find(&b, "openssl")->version, "3.0.2");
	CHECK(pkg_list_find(&b, "gone") == NULL);
	CHECK_EQ(pkg_list_diff(&a, &b, &c, &n), 0);
	CHECK_EQ(n, 3);
	CHECK_STREQ(c[0].name, "gone");
	CHECK(c[0].to == NULL);
	CHECK_STREQ(c[1].name, "openssl");
	CHECK_STREQ(c[1].from, "3.0.1");
	CHECK_STREQ(c[1].to, "3.0.2");
	CHECK_STREQ(c[2].name, "wireguard-tools");
	CHECK(c[2].from == NULL);
	free(c);
	pkg_list_free(&a);
	pkg_list_free(&b);
	CHECK_EQ(pkg_list_parse("no-tab-here\n", &a), -EBADMSG);
}

TEST(bake_lint_text_checks)
{
	CHECK(cmdline_has_serial_console("linux /vmlinuz root=UUID=x ro console=tty0 "
					 "console=ttyS0,115200n8"));
	CHECK(!cmdline_has_serial_console("linux /vmlinuz root=UUID=x ro console=tty0 quiet"));
	CHECK(!cmdline_has_serial_console("linux /vmlinuz xconsole=ttyS0"));
	CHECK(modprobe_blocks("# comment\nblacklist udf\n", "udf"));
	CHECK(modprobe_blocks("install udf /bin/true\n", "udf"));
	CHECK(!modprobe_blocks("# blacklist udf\nblacklist udfx\noptions udf x=1\n", "udf"));
	CHECK(fstab_has_swap("UUID=a / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n"));
	CHECK(!fstab_has_swap("UUID=a / ext4 defaults 0 1\n# /swapfile none swap sw 0 0\n"));
	CHECK(text_has_private_key("[Interface]\nPrivateKey = abc\n"));
	CHECK(text_has_private_key("{\"interface\": {\"private_key\": \"x\"}}"));
	CHECK(!text_has_private_key("[Interface]\nAddress = 10.0.0.1/24\n"));
}

TEST(manifest_time)
{
	time_t t = 0;
	char buf[21];

	CHECK_EQ(manifest_build_time("1700000000", 5, &t), 0);
	CHECK_EQ(t, 1700000000);
	CHECK_EQ(manifest_build_time(NULL, 5, &t), 0);
	CHECK_EQ(t, 5);
	CHECK_EQ(manifest_build_time("", 6, &t), 0);
	CHECK_EQ(t, 6);
	CHECK_EQ(manifest_build_time("12abc", 5, &t), -EINVAL);
	CHECK_EQ(manifest_build_time("-1", 5, &t), -EINVAL);
	CHECK_STREQ(manifest_format_time(1700000000, buf), "2023-11-14T22:13:20Z");
}

TEST(manifest_document)
{
	struct pkg_list pk;
	struct pkg_change ch[] = {{"wireguard-tools", NULL, "1.0.20210914-1"}};
	struct gen_result ops[] = {{"machine-id", 1, 0}, {"hostname", 0, 1}};
	struct lint_item lint[LINT_N] = {{.name = "hyperv-drivers", .ok = true}};
	struct json_object *spec = json_tokener_parse("{\"name\": \"t\"}"), *m, *v, *e;

	for (size_t i = 1; i < LINT_N; i++)
		lint[i] = (struct lint_item){.name = "x", .ok = false};
	CHECK_EQ(pkg_list_parse("wireguard-tools\t1.0.20210914-1\tii \n", &pk), 0);
	m = manifest_build(&(struct manifest_in){.spec = spec,
						 .spec_sha256 = "ab",
						 .base_source = "base.raw",
						 .base_sha256 = "cd",
						 .base_format = "raw",
						 .packages = &pk,
						 .changes = ch,
						 .n_changes = 1,
						 .updated = 1,
						 .agent_version = "wgagent 0.1.0",
						 .wgbake_version = "0.1.0",
						 .ops = ops,
						 .n_ops = 2,
						 .lint = lint,
						 .build_time = 1700000000});
	CHECK(m != NULL);
	CHECK(json_object_object_get_ex(m, "build_time", &v));
	CHECK_STREQ(json_object_get_string(v), "2023-11-14T22:13:20Z");
	CHECK(json_object_object_get_ex(m, "spec", &v));
	CHECK(json_object_object_get_ex(v, "name", &e));
	CHECK_STREQ(json_object_get_string(e), "t");
	CHECK(json_object_object_get_ex(m, "packages", &v));
	CHECK(json_object_object_get_ex(v, "wireguard-tools", &e));
	CHECK_STREQ(json_object_get_string(e), "1.0.20210914-1");
	CHECK(json_object_object_get_ex(m, "package_changes", &v));
	CHECK(json_object_object_get_ex(v, "changes", &e));
	CHECK_EQ(json_object_array_length(e), 1);
	CHECK(json_object_object_get_ex(m, "operations", &v));
	CHECK_EQ(json_object_array_length(v), 2);
	e = json_object_array_get_idx(v, 1);
	CHECK(json_object_object_get_ex(e, "skipped", &e));
	CHECK(json_object_get_boolean(e));
	CHECK(json_object_object_get_ex(m, "azure_readiness", &v));
	CHECK_EQ(json_object_array_length(v), LINT_N);
	CHECK(json_object_object_get_ex(m, "base", &v));
	CHECK(json_object_object_get_ex(v, "sha256", &e));
	CHECK_STREQ(json_object_get_string(e), "cd");
	CHECK(json_object_object_get_ex(m, "agent_version", &v));
	CHECK_STREQ(json_object_get_string(v), "wgagent 0.1.0");
	json_object_put(m);
	json_object_put(spec);
	pkg_list_free(&pk);
}
