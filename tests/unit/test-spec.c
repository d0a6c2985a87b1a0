// SPDX-License-Identifier: MIT
/* Image spec parsing: valid specs, defaults, and errors that name the field. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "../../builder/spec.h"

static int parse(const char *text, struct spec *s, char *err, size_t len)
{
	return spec_parse(text, strlen(text), "/specs", s, err, len);
}

#define MINIMAL "\"name\": \"t\", \"os\": \"debian\", \"base\": {\"path\": \"base.raw\"}"

TEST(spec_minimal_defaults)
{
	struct spec s;
	char err[256];

	CHECK_EQ(parse("{" MINIMAL "}", &s, err, sizeof(err)), 0);
	CHECK_STREQ(s.name, "t");
	CHECK_STREQ(s.base_path, "base.raw");
	CHECK_EQ(s.outputs, SPEC_OUT_QCOW2);
	CHECK_EQ(s.n_modules, 1);
	CHECK_STREQ(s.modules[0], "wireguard");
	CHECK_STREQ(s.agent_config_dest, "/etc/wgagent/wg0.conf");
	CHECK(s.lint_strict);
	CHECK(!s.updates);
	CHECK_EQ(s.disk_size, 0);
	spec_free(&s);
}

TEST(spec_full)
{
	const char *text =
		"{\"name\": \"ubuntu-22.04-wg\", \"description\": \"d\", \"os\": \"ubuntu\","
		" \"release\": \"22.04\","
		" \"base\": {\"url\": \"https://example.org/x.vhd.tar.gz\", \"sha256\": "
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		" \"notes\": \"n\"},"
		" \"disk_size\": \"8G\","
		" \"packages\": {\"apt\": [\"wireguard-tools\", \"libmnl0\"], \"debs\": "
		"[\"a.deb\"],"
		"   \"updates\": true},"
		" \"agent\": {\"binary\": \"../agent/wgagent\", \"unit\": \"u.service\","
		"   \"config\": \"wg0.conf\", \"modules\": [\"wireguard\", \"udf\"]},"
		" \"files\": [{\"path\": \"/etc/motd\", \"content\": \"hi\\n\"},"
		"   {\"path\": \"/usr/local/bin/x\", \"source\": \"x.sh\", \"mode\": \"0755\"}],"
		" \"outputs\": [\"raw\", \"vhd\"], \"generalize_skip\": [\"hostname\"],"
		" \"lint_strict\": false,"
		" \"gallery\": {\"resource_group\": \"rg\", \"gallery\": \"g\", "
		"\"image_definition\": "
		"\"wg\", \"publisher\": \"p\", \"offer\": \"o\", \"sku\": \"s\", "
		"\"hyper_v_generation\": \"V2\", \"regions\": [\"westeurope\", \"eastus\"]}}";
	struct spec s;
	char err[256] = "";

	CHECK_EQ(parse(text, &s, err, sizeof(err)), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(s.disk_size, 8ULL << 30);
	CHECK_EQ(s.n_apt, 2);
	CHECK_STREQ(s.apt[1], "libmnl0");
	CHECK_EQ(s.n_debs, 1);
	CHECK(s.updates);
	CHECK_EQ(s.n_files, 2);
	CHECK_STREQ(s.files[0].content, "hi\n");
	CHECK_EQ(s.files[0].mode, 0644);
	CHECK_EQ(s.files[1].mode, 0755);
	CHECK_EQ(s.outputs, SPEC_OUT_RAW | SPEC_OUT_VHD);
	CHECK_EQ(s.n_modules, 2);
	CHECK(!s.lint_strict);
	CHECK_EQ(s.gallery.n_regions, 2);
	CHECK_STREQ(s.gallery.regions[1], "eastus");
	{
		char *p = spec_path(&s, s.agent_binary);

		CHECK_STREQ(p, "/specs/../agent/wgagent");
		free(p);
	}
	spec_free(&s);
}

/* Each bad document and the text its error must contain. */
static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{"{" MINIMAL ", \"colour\": 1}", "unknown field 'colour'"},
	{"{" MINIMAL ", \"packages\": {\"aptt\": []}}", "packages: unknown field 'aptt'"},
	{"{\"name\": 7, \"os\": \"debian\", \"base\": {\"path\": \"b\"}}",
	 "name: expected a string, got a number"},
	{"{\"os\": \"debian\", \"base\": {\"path\": \"b\"}}", "name: missing"},
	{"{\"name\": \"t\", \"os\": \"fedora\", \"base\": {\"path\": \"b\"}}",
	 "os: 'fedora' is not debian or ubuntu"},
	{"{\"name\": \"a b\", \"os\": \"debian\", \"base\": {\"path\": \"b\"}}", "name: 'a b'"},
	{"{\"name\": \"t\", \"os\": \"debian\", \"base\": {}}", "base: give exactly one"},
	{"{\"name\": \"t\", \"os\": \"debian\", \"base\": {\"url\": \"https://x\"}}",
	 "base.sha256: missing"},
	{"{\"name\": \"t\", \"os\": \"debian\", \"base\": {\"url\": \"ftp://x\", \"sha256\": "
	 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}",
	 "base.url: must start with"},
	{"{\"name\": \"t\", \"os\": \"debian\", \"base\": {\"url\": \"https://x\", \"sha256\": "
	 "\"ABC\"}}",
	 "base.sha256: expected 64 lowercase hex"},
	{"{\"name\": \"t\", \"os\": \"debian\", \"base\": {\"path\": 3}}",
	 "base.path: expected a string, got a number"},
	{"{" MINIMAL ", \"disk_size\": \"8X\"}", "disk_size: '8X'"},
	{"{" MINIMAL ", \"disk_size\": 8}", "disk_size: expected a string, got a number"},
	{"{" MINIMAL ", \"packages\": {\"apt\": \"wireguard-tools\"}}",
	 "packages.apt: expected an array, got a string"},
	{"{" MINIMAL ", \"packages\": {\"apt\": [\"ok\", 5]}}",
	 "packages.apt[1]: expected a non-empty string, got a number"},
	{"{" MINIMAL ", \"packages\": {\"apt\": [\"x; rm -rf /\"]}}", "is not a package name"},
	{"{" MINIMAL ", \"packages\": {\"debs\": [\"x.rpm\"]}}",
	 "packages.debs[0]: 'x.rpm' does not end in .deb"},
	{"{" MINIMAL ", \"packages\": {\"updates\": \"yes\"}}",
	 "packages.updates: expected a boolean, got a string"},
	{"{" MINIMAL ", \"files\": [{\"path\": \"/a\", \"content\": \"x\", \"mode\": 644}]}",
	 "files[0].mode: expected a string of octal digits"},
	{"{" MINIMAL ", \"files\": [{\"path\": \"/a\", \"content\": \"x\", \"mode\": \"0999\"}]}",
	 "files[0].mode: '0999' is not an octal mode"},
	{"{" MINIMAL ", \"files\": [{\"path\": \"/a\", \"content\": \"x\"}, {\"path\": \"rel\","
	 " \"content\": \"y\"}]}",
	 "files[1].path: 'rel' must be an absolute file path"},
	{"{" MINIMAL ", \"files\": [{\"path\": \"/a\"}]}", "files[0]: give exactly one of"},
	{"{" MINIMAL ", \"files\": [{\"path\": \"/a\", \"content\": \"x\", \"owner\": \"r\"}]}",
	 "files[0]: unknown field 'owner'"},
	{"{" MINIMAL ", \"files\": [3]}", "files[0]: expected an object, got a number"},
	{"{" MINIMAL ", \"outputs\": [\"vmdk\"]}", "outputs[0]: 'vmdk' is not one of"},
	{"{" MINIMAL ", \"outputs\": []}", "outputs: must name at least one"},
	{"{" MINIMAL ", \"agent\": {\"config_dest\": \"wg0.conf\"}}",
	 "agent.config_dest: must be an absolute path"},
	{"{" MINIMAL ", \"agent\": {\"modules\": [\"wire guard\"]}}",
	 "agent.modules[0]: 'wire guard' is not a module name"},
	{"{" MINIMAL ", \"gallery\": {\"hyper_v_generation\": \"V3\"}}",
	 "gallery.hyper_v_generation: 'V3'"},
	{"{" MINIMAL ", \"gallery\": {\"regions\": [\"a\"], \"zone\": 1}}",
	 "gallery: unknown field 'zone'"},
	{"{" MINIMAL ", \"lint_strict\": 1}", "lint_strict: expected a boolean, got a number"},
	{"[1, 2]", "expected a JSON object at the top"},
	{"{\n\"name\": \"t\",\n\"os\": }", "line 3: invalid JSON"},
	{"{" MINIMAL "} trailing", "invalid JSON"},
};

TEST(spec_errors_name_the_field)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec s;
		char err[256] = "";
		int r = parse(bad[i].text, &s, err, sizeof(err));

		CHECK_EQ(r, -EINVAL);
		CHECK_CONTAINS(err, bad[i].err);
	}
}

TEST(spec_sizes)
{
	uint64_t v = 0;

	CHECK_EQ(spec_parse_size("8G", &v), 0);
	CHECK_EQ(v, 8ULL << 30);
	CHECK_EQ(spec_parse_size("2048MiB", &v), 0);
	CHECK_EQ(v, 2048ULL << 20);
	CHECK_EQ(spec_parse_size("512", &v), 0);
	CHECK_EQ(v, 512);
	CHECK_EQ(spec_parse_size("1T", &v), 0);
	CHECK_EQ(v, 1ULL << 40);
	CHECK_EQ(spec_parse_size("", &v), -EINVAL);
	CHECK_EQ(spec_parse_size("G", &v), -EINVAL);
	CHECK_EQ(spec_parse_size("-1G", &v), -EINVAL);
	CHECK_EQ(spec_parse_size("1.5G", &v), -EINVAL);
	CHECK_EQ(spec_parse_size("99999999999999999999", &v), -EINVAL);
	CHECK_EQ(spec_parse_size("17179869184G", &v), -EINVAL);
}

TEST(spec_disk_size_multiple_of_512)
{
	struct spec s;
	char err[256];

	CHECK_EQ(parse("{" MINIMAL ", \"disk_size\": \"1000\"}", &s, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "disk_size");
}
