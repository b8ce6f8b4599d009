/* MQTT payloads and topics of the deployment path (city_net_msg.h): every
 * parser on the same bytes; what parses must format and parse back to the
 * same message (else abort, a finding), and topics split without reading
 * past their end. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "city_net_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(bool same)
{
    if (!same)
        abort();
}

static void commands(const uint8_t *data, size_t size)
{
    char buf[CITY_NET_MSG_MAX];
    CityError why;
    CityNetCommand c, back;
    if (!city_net_command_parse(data, size, &c, &why))
        return;
    size_t len = city_net_command_format(buf, sizeof buf, &c);
    same_or_abort(len > 0 && city_net_command_parse(buf, len, &back, &why));
    same_or_abort((back.value == c.value || (isnan(back.value) && isnan(c.value))) && back.issued_ms == c.issued_ms &&
                  back.x_ms == c.x_ms && back.seq == c.seq && !strcmp(back.src, c.src));
}

static void states_clocks_dones(const uint8_t *data, size_t size)
{
    char buf[CITY_NET_MSG_MAX];
    CityError why;
    CityNetState s, sb;
    if (city_net_state_parse(data, size, &s, &why)) {
        size_t len = city_net_state_format(buf, sizeof buf, &s);
        same_or_abort(len > 0 && city_net_state_parse(buf, len, &sb, &why));
        same_or_abort(sb.value == s.value && sb.t_ms == s.t_ms && !strcmp(sb.result, s.result) && sb.seq == s.seq);
    }
    CityNetClock k, kb;
    if (city_net_clock_parse(data, size, &k, &why)) {
        size_t len = city_net_clock_format(buf, sizeof buf, &k);
        same_or_abort(len > 0 && city_net_clock_parse(buf, len, &kb, &why));
        same_or_abort(kb.t_ms == k.t_ms && kb.seed == k.seed && kb.step == k.step && kb.n == k.n);
    }
    CityNetDone d, db;
    if (city_net_done_parse(data, size, &d, &why)) {
        size_t len = city_net_done_format(buf, sizeof buf, &d);
        same_or_abort(len > 0 && city_net_done_parse(buf, len, &db, &why));
        same_or_abort(db.t_ms == d.t_ms && db.n == d.n && db.wake_ms == d.wake_ms && !strcmp(db.failed, d.failed));
    }
}

static void readings(const uint8_t *data, size_t size)
{
    char buf[CITY_NET_MSG_MAX];
    CityError why;
    CityReading r, back;
    const char *ids[] = {"feeder", "loop.e1_0", "a"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (!city_net_reading_parse(ids[i], data, size, &r, &why))
            continue;
        size_t len = city_net_reading_format(buf, sizeof buf, &r);
        same_or_abort(len > 0 && city_net_reading_parse(ids[i], buf, len, &back, &why));
        same_or_abort(back.value == r.value && back.measured_ms == r.measured_ms && back.arrives_ms == r.arrives_ms &&
                      back.quality == r.quality && back.quantity == r.quantity);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    commands(data, size);
    states_clocks_dones(data, size);
    readings(data, size);
    char *topic = malloc(size + 1);
    if (!topic)
        return 0;
    memcpy(topic, data, size);
    topic[size] = '\0';
    char id[CITY_NET_ID_MAX];
    city_net_topic_parse("lab", topic, id, sizeof id);
    free(topic);
    return 0;
}
