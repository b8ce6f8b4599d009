-- Resilience drill: sensors fail and a line trips on a night feeder run by
-- two controllers, and the fail-safes take over. From midnight to 04:00:
--   * a battery under controllers/peak_shave.lua loses its feeder meter
--     (fault "dead" at 01:00; stale_s = 300): the battery must be idle (its
--     safe default) within 300 s and one control period;
--   * the streetlights under controllers/adaptive_streetlights.lua lose all
--     four cameras (dead at 03:00; stale_s = 60): full on within 60 s and a period;
--   * the lateral feeding the lights trips at 02:00 (an island, unserved
--     demand) and is fed again through a tie line closed at 02:30.
-- Checks: each actuator was in its safe default within its limit, exactly
-- two fail-safe events, and the grid stayed within 0.95-1.05 pu and under
-- its line ratings on every energised bus all night.
--   citylab run scenarios/resilience.lua
local until_s = 4 * 3600
city.config{ dt_ms = 1000, until_s = until_s, name = "resilience" }
city.road.build{ nodes = { { id = "w", x = 0, y = 0 }, { id = "e", x = 1000, y = 0 } },
                 edges = { { id = "we", from = "w", to = "e", lanes = 1, speed = 13.89 },
                           { id = "ew", from = "e", to = "w", lanes = 1, speed = 13.89 } } }
city.road.flow{ id = "east", from = "we", to = "we", rate = 8, poisson = true, begin = 0, ["end"] = until_s }
city.road.flow{ id = "west", from = "ew", to = "ew", rate = 8, poisson = true, begin = 0, ["end"] = until_s }

city.grid.config{ period_s = 60, method = "nr", base_mva = 10, vmin = 0.95, vmax = 1.05 }
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
city.grid.bus{ id = 2, kv = 22.9, feeder = "F1" }
city.grid.bus{ id = 3, kv = 22.9, feeder = "F1" }
city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.182, x_ohm = 0.391, length_km = 3, rate_kva = 12000 }
city.grid.line{ id = 2, from = 2, to = 3, r_ohm = 0.182, x_ohm = 0.391, length_km = 1, rate_kva = 6000 }
city.grid.line{ id = 3, from = 1, to = 3, r_ohm = 0.182, x_ohm = 0.391, length_km = 4, rate_kva = 6000,
                closed = false } -- the tie
city.grid.load{ id = 1, bus = 2, p_kw = 600, pf = 0.95, profile = "residential" }
city.grid.load{ id = 2, bus = 3, p_kw = 60, pf = 0.95, profile = "residential" }
city.grid.battery{ id = 1, bus = 2, energy_kwh = 600, power_kw = 100, soc = 0.8, mode = "idle" }
city.grid.lights{ id = 1, bus = 3, count = 40, w_each = 150 }

city.sensor.add{ name = "feeder", kind = "feeder", quantity = "power", branch = 1, period_s = 60, fault = "dead",
                 fault_at_s = 3600 }
local cams = {}
for k = 1, 4 do
  cams[k] = city.sensor.add{ name = "cam." .. k, kind = "camera", quantity = "count", x = 250 * k - 125, y = 0,
                             radius_m = 150, period_s = 5, latency_s = 0.5, fault = "dead", fault_at_s = 3 * 3600 }
end
city.control.actuator{ name = "bat", kind = "storage", battery = 1, min = -100, max = 100 }
city.control.actuator{ name = "lamps", kind = "streetlight", lights = 1 }
city.control.attach{ file = "controllers/peak_shave.lua", name = "shave", sensors = { "feeder" },
                     actuators = { "bat" }, period = 60, stale_s = 300,
                     params = { sensor = "feeder", battery = "bat", limit_kw = 250, floor_kw = 150, power_kw = 100 } }
city.control.attach{ file = "controllers/adaptive_streetlights.lua", name = "lights", sensors = cams,
                     actuators = { "lamps" }, period = 5, stale_s = 60,
                     params = { lights = "lamps", sensors = table.concat(cams, " "), dim = 0.3, hold = 60 } }

city.at(2 * 3600, function() city.grid.outage(2) end)
city.at(2.5 * 3600, function() city.grid.switch(3, true) end)

-- when each actuator was seen in its safe default, polled every second
local drills = { { act = "bat", safe = 0, fail_s = 3600, limit_s = 3600 + 300 + 60 },
                 { act = "lamps", safe = 1, fail_s = 3 * 3600, limit_s = 3 * 3600 + 60 + 5 } }
city.every(1, function()
  for _, d in ipairs(drills) do
    local st = city.control.status(d.act)
    if st.failsafe and st.value == d.safe and not d.safe_at then d.safe_at = city.time() end
  end
end)
-- the grid on every energised bus, every period
local vmin, vmax, loading = 9, 0, 0
city.every(60, function()
  for _, b in ipairs(city.grid.buses()) do
    if b.energised then vmin, vmax = math.min(vmin, b.vm_pu), math.max(vmax, b.vm_pu) end
  end
  for _, l in ipairs(city.grid.lines()) do loading = math.max(loading, l.loading_pct or 0) end
end, 60)
for _, d in ipairs(drills) do
  city.kpi("failsafe_" .. d.act .. "_s", function() return d.safe_at or -1 end)
  city.check("failsafe_" .. d.act .. "_in_time", function()
    local t = d.safe_at
    return t ~= nil and t >= d.fail_s and t <= d.limit_s,
           ("%s at its safe default %g at %s s (sensors dead at %d s, limit %d s)"):format(d.act, d.safe,
             tostring(t), d.fail_s, d.limit_s)
  end, { whole_run = true })
end
city.check("two_failsafe_events", function()
  local n = city.control.stats().failsafe_events
  return n == 2, ("%d fail-safe events"):format(n)
end, { whole_run = true })
city.check("grid_within_limits", function()
  return vmin >= 0.95 and vmax <= 1.05 and loading < 100,
         ("energised buses %.4f-%.4f pu, lines at most %.1f %% loaded"):format(vmin, vmax, loading)
end)
city.check("outage_bridged_by_tie", function()
  local t = city.grid.totals()
  -- 30 minutes of the lateral (lights and 60 kW of homes at night) unserved, no more
  return t.unserved_kwh > 0 and t.unserved_kwh < 0.5 * (60 + 6) * 1.01,
         ("%.1f kWh unserved while the lateral was out"):format(t.unserved_kwh)
end, { whole_run = true })
