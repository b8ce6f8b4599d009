/* Where citylab finds its own files (scenarios/, assets/). No Lua, no SDL:
 * the CLI, the viewer and the scenario runtime all ask here. */
#ifndef CITY_PATHS_H
#define CITY_PATHS_H

/* The citylab data folder (scenarios/ and assets/ inside), found from the
 * CITYLAB_DATA environment variable, the install location next to the
 * running binary, the source tree, or the configured install folder, in
 * that order. Static storage, computed on first call; callable any time. */
const char *city_data_dir(void);

#endif
