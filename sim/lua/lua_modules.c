/* The one list of binding modules the scenario runtime opens. Bindings use
 * the runtime only through city_lua.h; the runtime reaches them only
 * through this list, so dependencies point one way. */
#include "lua_modules.h"

static const struct {
    const char *name;   /* field of the `city` table */
    lua_CFunction open; /* pushes the namespace table */
} MODULES[] = {
    {"road", city_lua_open_road},       {"grid", city_lua_open_grid}, {"map", city_lua_open_map},
    {"ped", city_lua_open_ped},         {"env", city_lua_open_env},   {"sensor", city_lua_open_sensor},
    {"control", city_lua_open_control},
};

void city_lua_open_modules(lua_State *L)
{
    for (size_t i = 0; i < sizeof MODULES / sizeof MODULES[0]; i++) {
        MODULES[i].open(L);
        lua_setfield(L, -2, MODULES[i].name);
    }
}
