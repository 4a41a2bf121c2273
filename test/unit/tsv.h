/*
 * A reader for test/fixtures/peer/cases.tsv, shared by the unit tests: tab-separated,
 * a header row, no quoting (fields hold literal '"'). Test-only code.
 */
#ifndef KT_TEST_TSV_H
#define KT_TEST_TSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSV_MAX_ROWS 64
#define TSV_MAX_FIELDS 8

struct tsv_row {
	char *field[TSV_MAX_FIELDS];  /* file, kind, expected, expected_message, today_facts, source */
	int n;
};

struct tsv {
	char *text;
	struct tsv_row rows[TSV_MAX_ROWS];
	int n;
};

/* Returns 0, or -1 when the file cannot be read. Rows exclude the header. */
static inline int tsv_load(const char *path, struct tsv *t)
{
	FILE *f = fopen(path, "r");
	long size;
	char *line, *next;

	memset(t, 0, sizeof(*t));
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	t->text = calloc(1, (size_t)size + 1);
	if (!t->text || fread(t->text, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	for (line = t->text; line && *line; line = next) {
		struct tsv_row *r;
		char *p;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line == t->text || !*line)
			continue;  /* header, blank */
		if (t->n == TSV_MAX_ROWS)
			break;
		r = &t->rows[t->n++];
		for (p = line; p && r->n < TSV_MAX_FIELDS; ) {
			r->field[r->n++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
	}
	return 0;
}

static inline void tsv_free(struct tsv *t)
{
	free(t->text);
	t->text = NULL;
}

#endif
