-- Peak shaving and PV self-consumption on a heat-wave day, against the same
-- feeder without control in the same run. Two identical 22.9 kV feeders,
-- each a neighbourhood of 400 kW residential load whose cooling adds 3 %
-- per deg C above 24 C, 800 kWp of rooftop PV and a 600 kWh / 150 kW
-- battery, under the Seoul summer day plus a +4 C heat wave (the grid
-- reads the environment's weather). "base" keeps its battery idle;
-- "ctl" runs controllers/peak_shave.lua with floor_kw = 0, so it charges
-- only from PV that would otherwise flow back up the feeder and discharges
-- what the feeder draws above limit_kw: PV self-consumption and peak
-- shaving by one rule. KPIs: each feeder's peak draw and its export.
--   citylab run scenarios/pv_selfconsume.lua [--param limit_kw=380]
local limit = city.param("limit_kw", 380)
city.config{ dt_ms = 60000, until_s = 86400, name = "pv_selfconsume" }
city.env.episode{ kind = "heat", start_s = 6 * 3600, ramp_s = 3 * 3600, hold_s = 9 * 3600, level = 4 }
city.grid.config{ period_s = 60, method = "nr", base_mva = 10 } -- the control period: the meter sees each setpoint
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
for k, name in ipairs{ "base", "ctl" } do
  local bus = k + 1
  city.grid.bus{ id = bus, kv = 22.9, feeder = name }
  city.grid.line{ id = k, from = 1, to = bus, r_ohm = 0.182, x_ohm = 0.391, length_km = 3, rate_kva = 12000 }
  city.grid.load{ id = k, bus = bus, p_kw = 400, pf = 0.95, profile = "residential", cooling_pct_per_c = 3,
                  t_base_c = 24 }
  city.grid.pv{ id = k, bus = bus, kwp = 800 }
  city.grid.battery{ id = k, bus = bus, energy_kwh = 600, power_kw = 150, soc = 0.3, mode = "idle" }
end
city.sensor.add{ name = "feeder.ctl", kind = "feeder", quantity = "power", branch = 2, period_s = 60 }
city.control.actuator{ name = "bat.ctl", kind = "storage", battery = 2, min = -150, max = 150 }
city.control.attach{ file = "controllers/peak_shave.lua", name = "shave", sensors = { "feeder.ctl" },
                     actuators = { "bat.ctl" }, period = 60, stale_s = 900,
                     params = { sensor = "feeder.ctl", battery = "bat.ctl", limit_kw = limit, floor_kw = 0,
                                power_kw = 150 } }

-- per feeder, every grid period: the draw at the feeder head and what flows back
local peak, export_kwh, pv_kwh = { base = 0, ctl = 0 }, { base = 0, ctl = 0 }, { base = 0, ctl = 0 }
city.every(60, function()
  for _, f in ipairs(city.grid.feeders()) do
    if peak[f.name] then
      local net = f.demand_kw - f.pv_kw - f.battery_kw + f.losses_kw
      peak[f.name] = math.max(peak[f.name], net)
      export_kwh[f.name] = export_kwh[f.name] + math.max(0, -net) * 60 / 3600
      pv_kwh[f.name] = pv_kwh[f.name] + f.pv_kw * 60 / 3600
    end
  end
end, 60)
local function self_use(name) return pv_kwh[name] > 0 and 1 - export_kwh[name] / pv_kwh[name] or 0 end
city.kpi("peak_base_kw", function() return peak.base end)
city.kpi("peak_ctl_kw", function() return peak.ctl end)
city.kpi("pv_export_base_kwh", function() return export_kwh.base end)
city.kpi("pv_export_ctl_kwh", function() return export_kwh.ctl end)
city.kpi("pv_self_use_base_pct", function() return 100 * self_use("base") end)
city.kpi("pv_self_use_ctl_pct", function() return 100 * self_use("ctl") end)
city.check("peak_cut", function()
  return peak.ctl < peak.base - 50,
         ("feeder peak %.0f kW controlled, %.0f kW without (limit %.0f kW)"):format(peak.ctl, peak.base, limit)
end, { whole_run = true })
city.check("pv_self_consumption_up", function()
  return export_kwh.base > 0 and export_kwh.ctl < 0.5 * export_kwh.base,
         ("PV used on the feeder: %.0f %% controlled, %.0f %% without (%.0f of %.0f kWh exported)"):format(
           100 * self_use("ctl"), 100 * self_use("base"), export_kwh.ctl, pv_kwh.ctl)
end, { whole_run = true })
