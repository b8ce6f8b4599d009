/* Must NOT compile: the core never sees the network layer. */
#include "city_mqtt.h"
