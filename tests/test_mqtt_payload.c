/* The MQTT payloads and topics of the deployment path, on their own (no
 * broker): commands, the clock, a controller's "done", readings (SenML),
 * topic names and broker URLs, each formatted and parsed back, and the
 * refusals with their messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "city_mqtt.h"
#include "city_net_msg.h"

static void test_payload_formats(void **state)
{
    (void)state;
    char buf[CITY_NET_MSG_MAX], id[CITY_NET_ID_MAX];
    CityError why;
    CityNetCommand c = {20.5, 60000, "ps", 60000, 3}, back;
    assert_int_equal(city_net_command_format(buf, sizeof buf, &c), 51);
    assert_string_equal(buf, "{\"v\":20.5,\"t\":60.000,\"src\":\"ps\",\"x\":60.000,\"seq\":3}");
    assert_true(city_net_command_parse(buf, strlen(buf), &back, &why));
    assert_true(back.value == 20.5 && back.issued_ms == 60000 && back.x_ms == 60000 && back.seq == 3);
    assert_string_equal(back.src, "ps");
    c.value = 0.1 + 0.2; /* needs 17 digits to come back the same */
    city_net_command_format(buf, sizeof buf, &c);
    assert_true(city_net_command_parse(buf, strlen(buf), &back, &why));
    assert_true(back.value == 0.1 + 0.2);
    static const char *const bad[] = {"{\"v\":20}",
                                      "{\"v\":\"20\",\"t\":1}",
                                      "{\"v\":20,\"t\":1,\"zz\":1}",
                                      "{\"v\":20,\"t\":1,\"v\":3}",
                                      "{\"v\":20,\"t\":1} x",
                                      "{\"v\":20,\"t\":-5}",
                                      "[1]",
                                      "",
                                      "{\"v\":1e999,\"t\":1}",
                                      NULL};
    static const char *const bad_why[] = {"command: no \"t\"",
                                          "command: \"v\" must be a finite number",
                                          "command: unknown key \"zz\"",
                                          "command: key \"v\" twice",
                                          "command: bytes after the JSON object",
                                          "command: \"t\" must be a time in s from 0 to 9e12 (or -1)",
                                          "command: not a JSON object",
                                          "command: not valid JSON",
                                          "command: \"v\" must be a finite number"};
    for (int i = 0; bad[i]; i++) {
        assert_false(city_net_command_parse(bad[i], strlen(bad[i]), &back, &why));
        assert_int_equal(why.status, CITY_ERR_PARSE);
        assert_string_equal(why.msg, bad_why[i]);
    }
    assert_false(city_net_command_parse("{\"v\":1,\"t\":1}\0", 14, &back, &why));

    CityNetClock k = {86399000, 18446744073709551615ull, true, 2}, kb;
    city_net_clock_format(buf, sizeof buf, &k);
    assert_string_equal(buf, "{\"t\":86399.000,\"seed\":\"18446744073709551615\",\"step\":true,\"n\":2}");
    assert_true(city_net_clock_parse(buf, strlen(buf), &kb, &why));
    assert_true(kb.t_ms == 86399000 && kb.seed == 18446744073709551615ull && kb.step && kb.n == 2);
    const char neg_seed[] = "{\"t\":1,\"seed\":\"-1\",\"step\":true,\"n\":0}"; /* refused for its seed */
    assert_false(city_net_clock_parse(neg_seed, strlen(neg_seed), &kb, &why));
    assert_string_equal(why.msg, "clock: \"seed\" must be a decimal integer in a string");

    CityNetDone d = {60000, 1, -1, "error: boom \"x\""}, db;
    city_net_done_format(buf, sizeof buf, &d);
    assert_string_equal(buf, "{\"t\":60.000,\"n\":1,\"wake\":-1,\"failed\":\"error: boom \\\"x\\\"\"}");
    assert_true(city_net_done_parse(buf, strlen(buf), &db, &why));
    assert_string_equal(db.failed, d.failed);
    assert_true(db.wake_ms == -1 && db.n == 1);

    CityReading r, rb;
    city_reading_init(&r, "feeder", CITY_QTY_POWER, 452.25, 60000, 60500, CITY_QUALITY_UNCERTAIN);
    city_net_reading_format(buf, sizeof buf, &r);
    assert_string_equal(buf, "[{\"n\":\"feeder/power\",\"u\":\"kW\",\"v\":452.25,\"t\":60.000,\"at\":60.500,"
                             "\"q\":\"uncertain\"}]");
    assert_true(city_net_reading_parse("feeder", buf, strlen(buf), &rb, &why));
    assert_true(rb.value == 452.25 && rb.arrives_ms == 60500 && rb.quality == CITY_QUALITY_UNCERTAIN);
    assert_false(city_net_reading_parse("other", buf, strlen(buf), &rb, &why));
    assert_string_equal(why.msg, "reading: the record names sensor 'feeder' but the topic 'other'");
    const char two[] = "[{\"n\":\"a/power\",\"v\":1},{\"n\":\"a/power\",\"v\":2}]";
    assert_false(city_net_reading_parse("a", two, strlen(two), &rb, &why));

    assert_int_equal(city_net_topic_parse("lab", "citylab/lab/actuator/bat/set", id, sizeof id), CITY_TOPIC_SET);
    assert_string_equal(id, "bat");
    assert_int_equal(city_net_topic_parse("lab", "citylab/lab/controller/ps/done", id, sizeof id), CITY_TOPIC_DONE);
    assert_int_equal(city_net_topic_parse("lab", "citylab/lab/sensor/loop.e1", id, sizeof id), CITY_TOPIC_SENSOR);
    assert_string_equal(id, "loop.e1");
    assert_int_equal(city_net_topic_parse("lab", "citylab/lab/actuator/bat", id, sizeof id), CITY_TOPIC_NONE);
    assert_int_equal(city_net_topic_parse("lab", "citylab/lab2/sensor/x", id, sizeof id), CITY_TOPIC_NONE);
    assert_int_equal(city_net_topic_parse("lab", "citylab/lab/sensor/x/y", id, sizeof id), CITY_TOPIC_NONE);

    char host[64];
    int port;
    bool tls;
    assert_true(city_mqtt_url_parse("mqtts://broker.example:8884", host, sizeof host, &port, &tls));
    assert_true(tls && port == 8884 && !strcmp(host, "broker.example"));
    assert_true(city_mqtt_url_parse("mqtt://10.0.0.1", host, sizeof host, &port, &tls));
    assert_true(!tls && port == 1883);
    assert_false(city_mqtt_url_parse("http://x:1", host, sizeof host, &port, &tls));
    assert_false(city_mqtt_url_parse("mqtt://x:99999", host, sizeof host, &port, &tls));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_payload_formats)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
