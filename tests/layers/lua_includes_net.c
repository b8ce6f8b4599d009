/* Must NOT compile: the Lua layer runs controllers against a port, never against MQTT itself. */
#include "city_mqtt.h"
