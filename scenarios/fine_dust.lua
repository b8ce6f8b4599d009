-- A fine-dust morning on the Jamsil streets, as its sensor network sees it.
-- Background PM2.5 rises from 15 to 75 ug/m3 over an hour (a fine-dust
-- episode), traffic adds its exhaust and its tyre, brake and road dust on
-- an air grid of 10 m cells, and a network of low-cost optical PM2.5
-- sensors every 300 m, loops on every signalised approach and a few
-- thermometers report, noisy, late and sometimes failing. The checks
-- compare what the sensors say about exposure with the truth.
JAMSIL = { name = "fine_dust", until_s = 3600, rate = 30 }
require("jamsil")

city.env.background{ pm25 = 15, pm10 = 25, nox = 30 }
city.env.episode{ kind = "dust", start_s = 0, ramp_s = 3600, hold_s = 3600, level = 75 }
city.env.air{ cell_m = 10 }

-- Low-cost optical sensors: +-2 ug/m3 noise, 1 ug/m3 resolution, a few
-- percent of readings lost, the humidity overestimate of Crilley et al.
-- (2018, kappa 0.4), and on average one failure in ten hours.
local pm = city.sensor.grid{ every_m = 300, quantity = "pm25", period_s = 60, latency_s = 2,
                             noise_sd = 2, quantum = 1, min = 0, max = 1000, dropout = 0.03,
                             rh_kappa = 0.4, fault = "stuck", mttf_s = 36000 }
local loops = city.sensor.loops{ period_s = 60, latency_s = 1 }
city.sensor.grid{ every_m = 1000, kind = "weather", quantity = "temperature", prefix = "thermo",
                  period_s = 300, noise_sd = 0.2, bias = 0.3, quantum = 0.1 }
city.log("sensors", ("%d PM2.5 sensors, loops on %d approach lanes"):format(pm, loops))

-- People walking the sidewalks between the corners of the largest piece of
-- the pedestrian network (as scenarios/jamsil_walk.lua) for the first 20
-- minutes: their PM2.5 exposure (concentration x time at their position,
-- sim/couple/couple_ped_env.c) as it was, and as the nearest sensor said.
city.ped.load_sumo{ net = "jamsil/jamsil.net.xml" }
local corners = { southwest = { 2431.19, 148.68 }, northeast = { 3308.36, 1066.17 },
                  northwest = { 2664.87, 1049.79 }, southeast = { 2959.42, 255.27 } }
for _, name in ipairs{ "southwest", "northeast", "northwest", "southeast" } do
  city.ped.place{ name = name, x = corners[name][1], y = corners[name][2], radius = 1 }
end
for _, od in ipairs{ { "southwest", "northeast" }, { "northeast", "southwest" },
                     { "northwest", "southeast" }, { "southeast", "northwest" } } do
  city.ped.flow{ from = od[1], to = od[2], begin = 0, ["end"] = 1200, rate = 150, poisson = true }
end

-- exposure at the sensor sites: the sum over sites of concentration x time,
-- as the sensors report it, as the truth has it, and with the humidity
-- correction a careful analyst would apply (same kappa)
local said, truth, corrected, seen = 0, 0, 0, {}
city.every(60, function()
  local w = city.env.weather_at()
  local f = 1 + (0.4 / 1.65) / (100 / math.min(w.rh_pct, 99) - 1)
  local r = city.sensor.readings("pm25") -- every PM2.5 sensor's last reading, in one call
  for k = 1, r.n do
    local name, t, v, tr = r.name[k], r.measured_s[k], r.value[k], r.truth[k]
    if t ~= seen[name] and tr == tr then -- a new reading, its truth known (not NaN)
      seen[name] = t
      said = said + v * 60
      truth = truth + tr * 60
      corrected = corrected + v / f * 60
    end
  end
end)

city.kpi("exposure_said_ug_s_m3", function() return said end)
city.kpi("exposure_true_ug_s_m3", function() return truth end)
city.kpi("exposure_corrected_ug_s_m3", function() return corrected end)
city.check("humid_optical_sensors_overestimate", function()
  return said > 1.3 * truth, ("sensors say %.3g, truth %.3g ug s/m3"):format(said, truth)
end, { whole_run = true })
city.check("corrected_exposure_within_10_percent", function()
  return math.abs(corrected - truth) < 0.1 * truth,
         ("corrected %.3g, truth %.3g ug s/m3"):format(corrected, truth)
end, { whole_run = true })
-- Exposure of the people walking: the sensors' estimate carries their
-- humidity overestimate (as at the sites above) and misses the traffic
-- share next to the roads people walk along, which the 300 m network
-- rarely sits on. On a fine-dust day the background dominates, so the
-- walkers' sensed/true ratio is the sites' own, within 10 %: the network
-- tells walkers' exposure as well as its own sites' once corrected.
city.kpi("ped_exposure_true_ugh_m3", function() local e = city.env.exposure() return e and e.mean_true or 0 end)
city.kpi("ped_exposure_sensed_ugh_m3", function() local e = city.env.exposure() return e and e.mean_sensed or 0 end)
city.check("pedestrian_exposure_sensed_vs_true", function()
  local e = city.env.exposure()
  if not e or not e.mean_sensed or e.persons < 100 then return false, "no walkers or no sensor estimate" end
  local r, sites = e.mean_sensed / e.mean_true, said / truth
  return r > 1.3 and math.abs(r - sites) < 0.1 * sites,
         ("%d walkers, %.1f person-h: sensed %.3g, true %.3g ug h/m3 each (x%.2f; sites x%.2f)"):format(
           e.persons, e.person_h, e.mean_sensed, e.mean_true, r, sites)
end, { whole_run = true })
city.check("air_mass_balance", function()
  local b = city.env.budget("pm25")
  local err = math.abs(b.mass_g - (b.emitted_g - b.outflow_g - b.vented_g))
  return err <= 1e-9 * b.emitted_g, ("imbalance %.3g g of %.3g g emitted"):format(err, b.emitted_g)
end)
