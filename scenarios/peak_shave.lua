-- Battery peak shaving by a controller (scenarios/controllers/peak_shave.lua,
-- or its C twin): one 22.9 kV feeder with 600 kW of residential load over a
-- day, a 1500 kWh / 150 kW battery at the load bus. The controller reads the
-- feeder's power meter (the branch from the substation, every minute) and
-- sets the battery: discharge above 450 kW, charge below 300 kW.
--   citylab run scenarios/peak_shave.lua                      (controlled)
--   citylab run scenarios/peak_shave.lua --param control=false (baseline: battery idle)
-- KPIs: the feeder's peak (kW) and the load's peak, whose gap is what the battery shaved:
-- 600 kW baseline, 452.4 kW controlled (450 kW limit, one minute of meter lag).
local control = city.param("control", true)
local file = city.param("controller", "controllers/peak_shave.lua")
city.config{ dt_ms = 1000, until_s = 86400, name = "peak_shave" }
city.grid.config{ period_s = 60, method = "nr", base_mva = 10 }
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
city.grid.bus{ id = 2, kv = 22.9, feeder = "F1" }
city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.182, x_ohm = 0.391, length_km = 3, rate_kva = 12000 }
city.grid.load{ id = 1, bus = 2, p_kw = 600, pf = 0.95, profile = "residential" }
city.grid.battery{ id = 1, bus = 2, energy_kwh = 1500, power_kw = 150, soc = 0.8, mode = "idle" }
city.sensor.add{ name = "feeder", kind = "feeder", quantity = "power", branch = 1, period_s = 60 }
city.control.actuator{ name = "bat", kind = "storage", battery = 1, min = -150, max = 150 }
if control then
  city.control.attach{ file = file, name = "ps", sensors = { "feeder" }, actuators = { "bat" }, period = 60,
                       stale_s = 600,
                       params = { sensor = "feeder", battery = "bat", limit_kw = 450, floor_kw = 300, power_kw = 150 } }
end

local peak_feeder, peak_load = 0, 0
city.every(60, function()
  local last = city.grid.last()
  if last then
    peak_feeder = math.max(peak_feeder, last.source_kw - last.losses_kw)
    peak_load = math.max(peak_load, last.demand_kw)
  end
end, 60)
city.kpi("peak_feeder_kw", function() return peak_feeder end)
city.kpi("peak_load_kw", function() return peak_load end)
city.check("battery_shaves_peak", function()
  if not control then return true, "baseline: nothing to shave" end
  return peak_feeder < 460 and peak_load > 590, string.format("feeder peak %.1f kW vs load peak %.1f kW", peak_feeder, peak_load)
end, { whole_run = true })
