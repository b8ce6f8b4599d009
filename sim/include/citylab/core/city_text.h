/* Text helpers for every reader: the words of space-separated lists
 * (SUMO's id and class lists, Lua strings of edge ids), the nearest of a
 * set of words, and the one whole-file read. */
#ifndef CITY_TEXT_H
#define CITY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The next word of a list separated by spaces: skips the spaces at *s,
 * copies the word into buf (cut to cap - 1 bytes, always terminated) and
 * advances *s past it. Returns the word's full length, so a result >= cap
 * means the copy was cut; 0 at the end of the list. */
size_t city_list_next(const char **s, char *buf, size_t cap);

/* The choice (NULL-terminated list) nearest to a mistyped word by edit
 * distance, or NULL when none is close enough to suggest. Pure; callable
 * anywhere. */
const char *city_text_nearest(const char *word, const char *const *choices);

/* Reads a whole file into a heap buffer (the caller frees it) with a NUL
 * after the last byte; *len is the byte count. NULL with errno set when the
 * file cannot be opened or read (errno from the system), holds more than
 * max_bytes (EFBIG) or memory runs out (ENOMEM). Callable anywhere. */
char *city_file_read(const char *path, size_t max_bytes, size_t *len);

#endif
