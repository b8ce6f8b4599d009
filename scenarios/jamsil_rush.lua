-- Jamsil at rush hour: twenty-five times the hour's demand (1500 OD pairs at
-- 60 veh/h each), far above what the district's streets carry: a load test
-- (scripts/bench_view.sh draws it), not a traffic study. The flow checks of
-- jamsil.lua are left out; its check is that it does load the streets.
JAMSIL = { pairs_n = 1500, rate = 60, until_s = 3600, name = "jamsil_rush", checks = false }
require("jamsil")

local peak = 0
city.every(60, function() peak = math.max(peak, city.road.stats().running) end)
city.check("streets_loaded", function()
  return peak >= 5000, ("%d vehicles on the streets at the peak (a load test wants 5,000 or more)"):format(peak)
end, { whole_run = true })
