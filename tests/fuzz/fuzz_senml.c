/* SenML packs (city_senml.h), as a readings file or an MQTT payload holds
 * them: parse up to 8 records with their ground truth; every record that
 * parses must format within CITY_SENML_LINE_MAX and parse back to the same
 * reading (else abort, a finding). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "city_senml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_number(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CityReading r[8];
    double truth[8];
    size_t n = 0;
    CityError err;
    if (city_senml_parse((const char *)data, size, "fuzz", r, truth, 8, &n, &err) != CITY_OK)
        return 0;
    if (n > 8)
        abort();
    for (size_t i = 0; i < n; i++) {
        char line[CITY_SENML_LINE_MAX];
        size_t len = city_senml_format(line, sizeof line, &r[i], truth[i]);
        CityReading back;
        double back_truth;
        size_t m = 0;
        if (len == 0 || city_senml_parse(line, len, "back", &back, &back_truth, 1, &m, &err) != CITY_OK || m != 1)
            abort();
        if (strcmp(back.sensor, r[i].sensor) != 0 || back.quantity != r[i].quantity ||
            back.measured_ms != r[i].measured_ms || back.arrives_ms != r[i].arrives_ms ||
            back.quality != r[i].quality || !same_number(back_truth, isfinite(truth[i]) ? truth[i] : NAN) ||
            (isfinite(r[i].value) && !same_number(back.value, r[i].value)))
            abort();
    }
    return 0;
}
