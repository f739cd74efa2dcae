/*
 * replay-main.c: run a libFuzzer target over saved inputs without
 * libFuzzer, so `make check` replays the seed corpus and every crash
 * kept as a regression input.  Arguments are files or directories.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE		*fp;
	uint8_t		*data;
	long		 len;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    len > 16L * 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size, or over 16 MiB\n", path);
		fclose(fp);
		return (-1);
	}
	data = malloc((size_t)len + 1);
	if (data == NULL || fread(data, 1, (size_t)len, fp) != (size_t)len) {
		fprintf(stderr, "%s: read failed\n", path);
		free(data);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	free(data);
	return (0);
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	int		 i, n = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return (1);
		}
		if (S_ISDIR(st.st_mode)) {
			DIR		*d = opendir(argv[i]);
			struct dirent	*de;
			char		 path[4096];

			if (d == NULL) {
				perror(argv[i]);
				return (1);
			}
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "%s/%s", argv[i],
				    de->d_name);
				rc |= replay_file(path);
				n++;
			}
			closedir(d);
		} else {
			rc |= replay_file(argv[i]);
			n++;
		}
	}
	printf("replayed %d inputs\n", n);
	return (rc == 0 && n > 0 ? 0 : 1);
}
