-- Heat-wave demand response: two identical office feeders on a +4 C heat-wave
-- day, against each other in the same run. Each feeder serves ten office
-- buildings of 60 kW (commercial day plateau) whose cooling adds 3 % per deg C
-- above 24 C. On "base" nothing is done; on "dr" controllers/heatwave_dr.lua
-- moves the buildings' cooling thermostats through `load` actuators: 2 C
-- cooler from 07:00 while the feeder draws under 700 kW (pre-cooling), 4 C
-- warmer from 10:00 to 18:00 (curtailment), once its thermometer has read
-- 30 C. KPIs: each feeder's peak and the energy moved. The load model has
-- no thermal mass: pre-cooling shows as energy drawn earlier, not as a
-- cooler building later (what it buys in comfort is not modelled).
--   citylab run scenarios/heatwave_dr.lua
city.config{ dt_ms = 60000, until_s = 86400, name = "heatwave_dr" }
city.env.episode{ kind = "heat", start_s = 6 * 3600, ramp_s = 3 * 3600, hold_s = 9 * 3600, level = 4 }
city.grid.config{ period_s = 60, method = "nr", base_mva = 10 }
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
local drs = {}
for k, name in ipairs{ "base", "dr" } do
  local bus = 10 * k
  city.grid.bus{ id = bus, kv = 22.9, feeder = name }
  city.grid.line{ id = k, from = 1, to = bus, r_ohm = 0.182, x_ohm = 0.391, length_km = 2, rate_kva = 12000 }
  for b = 1, 10 do
    local id = 100 * k + b
    city.grid.load{ id = id, bus = bus, p_kw = 60, pf = 0.95, profile = "commercial", cooling_pct_per_c = 3,
                    t_base_c = 24 }
    if name == "dr" then
      drs[#drs + 1] = city.control.actuator{ name = "dr." .. b, kind = "load", load = id, min = -3, max = 4 }
    end
  end
end
city.sensor.add{ name = "thermo", kind = "weather", quantity = "temperature", period_s = 300, noise_sd = 0.2,
                 quantum = 0.1 }
city.sensor.add{ name = "feeder.dr", kind = "feeder", quantity = "power", branch = 2, period_s = 60 }
city.control.attach{ file = "controllers/heatwave_dr.lua", name = "dr", sensors = { "thermo", "feeder.dr" },
                     actuators = drs, period = 60, stale_s = 900,
                     params = { loads = table.concat(drs, " "), thermo = "thermo", feeder = "feeder.dr",
                                trigger_c = 30, precool_from = 7, peak_from = 10, peak_to = 18, precool_c = -2,
                                curtail_c = 4, precool_below_kw = 700 } }

local peak, kwh, precool_max = { base = 0, dr = 0 }, { base = {}, dr = {} }, 0
city.every(60, function()
  local hour = math.floor(city.time() / 3600 - 1 / 60) % 24
  for _, f in ipairs(city.grid.feeders()) do
    if peak[f.name] then
      peak[f.name] = math.max(peak[f.name], f.demand_kw)
      if f.name == "dr" and city.control.status("dr.1").value < 0 then precool_max = math.max(precool_max, f.demand_kw) end
      kwh[f.name][hour] = (kwh[f.name][hour] or 0) + f.demand_kw / 60
    end
  end
end, 60)
local function moved(from, to) -- kWh dr minus base over [from, to) hours
  local d = 0
  for h = from, to - 1 do d = d + (kwh.dr[h] or 0) - (kwh.base[h] or 0) end
  return d
end
city.kpi("peak_base_kw", function() return peak.base end)
city.kpi("peak_dr_kw", function() return peak.dr end)
city.kpi("precooled_kwh", function() return moved(7, 10) end)
city.kpi("curtailed_kwh", function() return -moved(10, 18) end)
city.check("feeder_peak_cut", function()
  return peak.dr < 0.95 * peak.base, ("feeder peak %.0f kW with demand response, %.0f kW without"):format(
    peak.dr, peak.base)
end, { whole_run = true })
city.check("precooling_within_headroom", function()
  -- pre-cooling happened, and never pushed the feeder much past the 700 kW headroom (one minute of meter lag)
  local pre, cut = moved(7, 10), -moved(10, 18)
  return pre > 0 and cut > 0 and precool_max < 700 * 1.05,
         ("%.0f kWh pre-cooled 07-10 h (feeder at most %.0f kW while pre-cooling), %.0f kWh curtailed 10-18 h"):format(pre,
           precool_max, cut)
end, { whole_run = true })
