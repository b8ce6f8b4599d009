/* The processor check of builds made for this processor (cpu_check.c). */
#ifndef CITY_CPU_CHECK_H
#define CITY_CPU_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* How many of `features` (a NULL-ended list of __builtin_cpu_supports
 * names) has() says the processor lacks; their names, space-separated, in
 * buf (as many as fit in cap bytes with the terminating NUL). */
size_t city_cpu_missing(char *buf, size_t cap, bool (*has)(const char *feature), const char *const *features);

#endif
