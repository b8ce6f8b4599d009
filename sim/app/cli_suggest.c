/* "Did you mean" for the command line: the core's nearest word. */
#include "city_text.h"
#include "commands.h"

const char *city_cli_nearest(const char *word, const char *const *choices)
{
    return city_text_nearest(word, choices);
}
