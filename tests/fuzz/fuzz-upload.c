// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for what wgbake upload reads back from outside: the VHD
 * footer of an input image, Get Page Ranges XML from the server, and its own
 * resume state file (which a crash can leave torn). The first byte picks the
 * parser, the rest is its input.
 *
 *   make fuzz            (clang; runs every harness for FUZZ_SECONDS)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../builder/ranges.h"
#include "../../builder/state.h"
#include "../../builder/vhd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		uint8_t footer[VHD_FOOTER_SIZE] = { 0 };
		struct vhd_footer parsed;

		memcpy(footer, data + 1, size - 1 < sizeof(footer) ? size - 1 : sizeof(footer));
		(void)vhd_footer_parse(footer, &parsed);
		break;
	}
	case 1: {
		struct extents e = { 0 };
		char *marker = NULL;

		if (page_ranges_parse((const char *)data + 1, size - 1, &e, &marker) == 0) {
			extents_free(&e);
			free(marker);
		}
		break;
	}
	default: {
		struct upload_state s = { 0 };

		if (state_parse((const char *)data + 1, size - 1, &s) == 0)
			state_free(&s);
		break;
	}
	}
	return 0;
}
