-- The sensor benchmark's scenario (scripts/bench_sensor.sh): the Jamsil
-- traffic of scenarios/jamsil.lua (run it for 10 minutes: --until 600), plus `sensors` low-cost
-- PM2.5 sensors sampling every second on a square grid over the network
-- (noise, quantization, dropout and random faults on). With `air = 1` the
-- traffic also feeds an air grid of 10 m cells. `traffic = "rush"` loads the
-- streets with jamsil_rush.lua's demand (1500 OD pairs at 60 veh/h) instead
-- of jamsil.lua's hour (50 pairs at 30 veh/h); `traffic = "fine_dust"` is
-- scenarios/fine_dust.lua whole (its hour of traffic, people walking, the
-- dust episode on a 10 m air grid, its own sensor network), the sensors
-- added to it.
--   citylab run scenarios/bench_sensors.lua --until 600 --param sensors=10000 --param air=1
local n = city.param("sensors", 10000)
local air = city.param("air", 0)
local traffic = city.param("traffic", "hour")
if traffic == "fine_dust" then
  require("fine_dust")
else
  if traffic == "rush" then
    JAMSIL = { name = "bench_sensors", pairs_n = 1500, rate = 60, until_s = 3600, checks = false }
  elseif traffic == "hour" then
    JAMSIL = { name = "bench_sensors", until_s = 3600 }
  else
    error(("traffic must be \"hour\", \"rush\" or \"fine_dust\", not %q"):format(traffic))
  end
  require("jamsil")
end
if air ~= 0 then
  city.env.air{ cell_m = 10 }
end
if n > 0 then
  if traffic ~= "fine_dust" then -- (it has its own background and episode)
    city.env.background{ pm25 = 15 }
  end
  local placed = city.sensor.grid{ count = n, prefix = "bench", quantity = "pm25", period_s = 1, noise_sd = 2,
                                   quantum = 1, min = 0, max = 1000, dropout = 0.02, rh_kappa = 0.4, fault = "stuck",
                                   mttf_s = 36000 }
  city.log("bench", ("%d sensors"):format(placed))
end
