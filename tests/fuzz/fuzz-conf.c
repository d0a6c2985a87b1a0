// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the configuration parsers (wg-quick INI and JSON,
 * detected by content) and config_validate(), on arbitrary bytes.
 * Key files are refused (read_key = NULL): a fuzzer must not open paths.
 *
 *   make fuzz            (clang; runs every harness for FUZZ_SECONDS)
 */
#include <stdint.h>
#include <stdlib.h>

#include "conf.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_ctx ctx = { .source = "fuzz" };
	struct wg_config *cfg = NULL;

	if (conf_parse(&ctx, (const char *)data, size, &cfg) == 0)
		config_free(cfg);
	return 0;
}
