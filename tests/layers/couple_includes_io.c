/* Must NOT compile: couplings sit below the file formats. */
#include "city_output.h"
