// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the IMDS response parsers: userData (base64 ->
 * UTF-8 text, then the configuration parsers, as the agent does), vmId and
 * the attested document. The first byte picks the parser; the rest is the
 * body as IMDS would send it.
 *
 *   make fuzz            (clang; runs every harness for FUZZ_SECONDS)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "imds.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1, *why = NULL;
	size_t len = size ? size - 1 : 0;
	char *text = NULL, id[64];
	size_t text_len = 0;

	if (size == 0 || len > IMDS_BODY_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (imds_parse_user_data(body, len, &text, &text_len, &why) == 0 && text) {
			struct conf_ctx ctx = { .source = "imds:userData" };
			struct wg_config *cfg = NULL;

			if (strlen(text) != text_len)
				abort(); /* the parser promised no NUL bytes */
			if (conf_parse(&ctx, text, text_len, &cfg) == 0)
				config_free(cfg);
			secret_wipe(text, text_len);
			free(text);
		}
		break;
	case 1:
		if (imds_parse_vm_id(body, len, id) == 0 && strlen(id) != 36)
			abort();
		break;
	default:
		(void)imds_parse_attested(body, len);
		break;
	}
	return 0;
}
