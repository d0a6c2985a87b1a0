// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "key.h"

/* RFC 7748 section 6.1: Alice's private and public keys. */
static const char *alice_private = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
static const char *alice_public = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

TEST(key_base64_round_trip)
{
	struct wg_key k;
	char out[WG_KEY_B64_LEN];

	CHECK(key_from_base64(&k, alice_private));
	key_to_base64(out, &k);
	CHECK_STREQ(out, alice_private);
}

TEST(key_base64_rejects_bad_input)
{
	struct wg_key k;

	CHECK(!key_from_base64(&k, ""));
	CHECK(!key_from_base64(&k, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"));
	CHECK(!key_from_base64(&k, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=="));
	CHECK(!key_from_base64(&k, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC!="));
	/* Stray low bits in the last digit: not the canonical form. */
	CHECK(!key_from_base64(&k, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp="));
	CHECK(!key_from_base64(&k, " dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="));
}

TEST(key_public_matches_rfc7748)
{
	struct wg_key priv, pub;
	char out[WG_KEY_B64_LEN];

	CHECK(key_from_base64(&priv, alice_private));
	CHECK(key_public_from_private(&pub, &priv));
	key_to_base64(out, &pub);
	CHECK_STREQ(out, alice_public);
}

TEST(key_generate_is_clamped_and_fresh)
{
	struct wg_key a, b;

	key_generate_private(&a);
	key_generate_private(&b);
	CHECK_EQ(a.b[0] & 7, 0);
	CHECK_EQ(a.b[31] & 128, 0);
	CHECK_EQ(a.b[31] & 64, 64);
	CHECK(!key_equal(&a, &b));
	key_wipe(&a);
	CHECK(key_is_zero(&a));
}

TEST(key_file_round_trip)
{
	char path[] = "/tmp/wgbake-test-key-XXXXXX";
	struct wg_key k, back;
	bool world = true;
	struct stat st;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	key_generate_private(&k);
	CHECK_EQ(key_write_file(path, &k), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(key_read_file(path, &back, &world), 0);
	CHECK(!world);
	CHECK(key_equal(&k, &back));
	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(key_read_file(path, &back, &world), 0);
	CHECK(world);
	unlink(path);
	CHECK_EQ(key_read_file(path, &back, &world), -ENOENT);
}
