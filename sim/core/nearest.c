/* "Did you mean": the nearest of a list of valid words to a mistyped one,
 * for command-line flags and the keys of Lua API tables alike. */
#include <string.h>

#include "city_text.h"

/* Edit distance (insert, delete, replace, swap of neighbours), capped. */
static size_t distance(const char *a, const char *b)
{
    enum { MAX = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return MAX;
    size_t d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *city_text_nearest(const char *word, const char *const *choices)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; choices[i]; i++) {
        size_t d = distance(word, choices[i]);
        if (d < best_d) {
            best_d = d;
            best = choices[i];
        }
    }
    /* close enough to be a typo: a third of the word, at least 2 edits */
    size_t len = strlen(word), allowed = len / 3 > 2 ? len / 3 : 2;
    return best && best_d <= allowed ? best : NULL;
}
