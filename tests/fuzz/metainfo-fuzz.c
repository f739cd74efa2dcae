/*
 * metainfo-fuzz.c: libFuzzer target for the .mtorrent parser.
 *
 * The text form is canonical, so every accepted input must be written
 * back byte for byte (write(parse(x)) == x), and parsing what was written
 * must succeed again with the same file id.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "metainfo.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metainfo	mi, mi2;
	struct mt_err	err;
	struct buf	out;

	metainfo_init(&mi);
	if (metainfo_parse((const char *)data, size, &mi, &err) != 0) {
		if (err.code == MT_E_OK)
			abort();	/* a refusal must say why */
		return (0);
	}
	buf_init(&out, METAINFO_TEXT_MAX);
	if (metainfo_write(&mi, &out, &err) != 0)
		abort();
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	metainfo_init(&mi2);
	if (metainfo_parse((const char *)out.data, out.len, &mi2, &err) != 0)
		abort();
	if (memcmp(mi.file_id, mi2.file_id, sizeof mi.file_id) != 0 ||
	    mi.size != mi2.size || mi.npieces != mi2.npieces)
		abort();
	metainfo_done(&mi2);
	metainfo_done(&mi);
	buf_done(&out);
	return (0);
}
