-- Adaptive streetlights on a quiet night street, against always-on lamps in
-- the same run. A 1 km two-way street carries a few vehicles an hour each
-- way from midnight to 05:00 (dark all along). Two identical groups of 40
-- lamps of 150 W light it, each on its own feeder: "always" stays full on
-- (the baseline), "adaptive" is driven by controllers/adaptive_streetlights.lua
-- from four cameras along the street that count the vehicles within 150 m
-- every 5 s: full on while one is seen, dimmed to 30 % one minute after the
-- last. The KPI is the energy the adaptive group saves.
--   citylab run scenarios/adaptive_streetlights.lua [--param rate=8]
local until_s = 5 * 3600
local rate = city.param("rate", 8) -- vehicles per hour each way
local dim = 0.3
city.config{ dt_ms = 500, until_s = until_s, name = "adaptive_streetlights" }
city.road.build{ nodes = { { id = "w", x = 0, y = 0 }, { id = "e", x = 1000, y = 0 } },
                 edges = { { id = "we", from = "w", to = "e", lanes = 1, speed = 13.89 },
                           { id = "ew", from = "e", to = "w", lanes = 1, speed = 13.89 } } }
city.road.flow{ id = "east", from = "we", to = "we", rate = rate, poisson = true, begin = 0, ["end"] = until_s }
city.road.flow{ id = "west", from = "ew", to = "ew", rate = rate, poisson = true, begin = 0, ["end"] = until_s }

city.grid.config{ period_s = 10, method = "nr", base_mva = 1 }
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
city.grid.bus{ id = 2, kv = 22.9, feeder = "always" }
city.grid.bus{ id = 3, kv = 22.9, feeder = "adaptive" }
city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.1, x_ohm = 0.2, length_km = 1 }
city.grid.line{ id = 2, from = 1, to = 3, r_ohm = 0.1, x_ohm = 0.2, length_km = 1 }
city.grid.lights{ id = 1, bus = 2, count = 40, w_each = 150 }
city.grid.lights{ id = 2, bus = 3, count = 40, w_each = 150 }

local cams = {}
for k = 1, 4 do
  cams[k] = city.sensor.add{ name = "cam." .. k, kind = "camera", quantity = "count", x = 250 * k - 125, y = 0,
                             radius_m = 150, period_s = 5, latency_s = 0.5 }
end
city.control.actuator{ name = "lamps", kind = "streetlight", lights = 2 }
city.control.attach{ file = "controllers/adaptive_streetlights.lua", name = "lights", sensors = cams,
                     actuators = { "lamps" }, period = 5, stale_s = 60,
                     params = { lights = "lamps", sensors = table.concat(cams, " "), dim = dim, hold = 60 } }

-- energy per group, from the feeders' demand each grid period
local kwh = { always = 0, adaptive = 0 }
city.every(10, function()
  for _, f in ipairs(city.grid.feeders()) do
    if kwh[f.name] then kwh[f.name] = kwh[f.name] + f.demand_kw * 10 / 3600 end
  end
end, 10)
city.kpi("lights_always_kwh", function() return kwh.always end)
city.kpi("lights_adaptive_kwh", function() return kwh.adaptive end)
city.kpi("lights_saved_pct", function() return kwh.always > 0 and 100 * (1 - kwh.adaptive / kwh.always) or 0 end)
city.check("adaptive_lights_save_energy", function()
  local saved = 1 - kwh.adaptive / kwh.always
  return saved > 0.2 and kwh.adaptive >= dim * kwh.always * 0.999,
         ("%.1f kWh always on, %.1f kWh adaptive: %.0f %% saved"):format(kwh.always, kwh.adaptive, 100 * saved)
end)
-- Safety: whenever a camera saw a vehicle 10 to 50 s ago (time for the reading to
-- arrive and the controller to act, and within its hold), the lamps are full on.
local polls, bad_polls, seen = 0, 0, -1e300
city.every(5, function()
  for _, c in ipairs(cams) do
    local r = city.sensor.last(c, "count")
    if r.value and r.value > 0 then seen = math.max(seen, r.measured_s) end
  end
  local age = city.time() - seen
  if age >= 10 and age <= 50 then
    polls = polls + 1
    if city.control.status("lamps").value < 1 then bad_polls = bad_polls + 1 end
  end
end, 2.5)
city.check("lights_full_when_seen", function()
  return polls > 100 and bad_polls == 0,
         ("%d of %d polls found the lamps dim 10-50 s after a vehicle was seen"):format(bad_polls, polls)
end, { whole_run = true })
